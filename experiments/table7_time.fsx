// Table 7: training time of InSPO against CFCQL on SMAC-lite at the same budget (the profile's steps; an InSPO step
// is one round updating every agent in turn, a CFCQL step one update of the mixed value), on the same machine (a table
// per machine the records name; records before 2026-12-02 name none and form one table, all made on one machine): wall
// seconds per run and per 1000 steps, mean ± std over seeds, and the InSPO / CFCQL ratio: per tier, and per map over
// the tiers where both algorithms have runs (in bold).
// The cells are Table 4's (same runs: reused when Table 4 ran first, trained otherwise). Times of runs trained as
// one ensemble are the group's wall time divided by its members (GroupRunner); runs of one table share the cores
// the same way, so the ratio compares like with like. Processor seconds per run (the run process's CPU time, which
// waiting for a core or being suspended does not add to) are printed too, with their ratio, where every run of the
// map has them. The number of runs behind each mean is printed: with INSPO_REPORT_ONLY=1 the table is of the runs
// finished so far. Only records whose times cover every process that trained them count (a resumed run adds its
// checkpoint's seconds; records with `resumed_at_step`, from 2026-12-02 on): an older record of a resumed run holds
// its last process's time only, so older records are left out and counted under the table.
// Run: `dotnet fsi experiments/table7_time.fsx` (after a Release build), or `dotnet fsi build.fsx -t Table7`.
// INSPO_PROFILE, INSPO_DEVICE, INSPO_RUNS, INSPO_REPORTS, INSPO_JOBS as in table1_xor.fsx; INSPO_SMAC_TIERS=a,b: only
// those tiers; INSPO_SMAC_MAPS=a,b.
#load "../scripts/InSPO.fsx"

open InSPO.Scripting
open InSPO.Scripting.Experiment

let root = System.IO.Path.GetFullPath(__SOURCE_DIRECTORY__ + "/..")
let probe, maps = SmacExperiments.prepare root SmacExperiments.allMaps

let table7 map =
    let e = SmacExperiments.onTiers probe (sprintf "table4_%s" map) map [ algo "cfcql" []; algo "inspo" [] ]
    { e with
        DatasetHyperparameters =
            Map [ for folder in e.Datasets ->
                    (folder, "cfcql"), [ for struct (k, v) in InSPO.Algorithms.CfcqlOptions.SmacSettings(map, datasetLabel folder) -> k, v ] ] }

let results = runAll (engine root (fun spec -> InSPO.Training.Runner.Run(spec, true, null))) (maps |> List.map table7)

let stats (xs: float list) = if List.isEmpty xs then nan, nan else List.average xs, Stats.std xs
/// "mean ± std" with `digits` decimals; "—" without runs, the mean alone for one run.
let meanStd digits (xs: float list) =
    match xs with
    | [] -> "—"
    | [ x ] -> sprintf "%.*f (one run)" digits x
    | _ -> let m, s = stats xs in sprintf "%.*f ± %.*f" digits m digits s
let ratio (a: float list) (b: float list) = if a.IsEmpty || b.IsEmpty then "—" else sprintf "%.2f" (List.average a / List.average b)
/// The machine a run's times were taken on, as the table names it (records say so from 2026-12-02 on).
let machineOf (x: InSPO.Training.RunResult) =
    match x.Machine with
    | null -> "a machine not recorded (records before 2026-12-02)"
    | m -> m
/// The runs of `name` among `cells` that count on `machine`: taken there, their times covering every process that
/// trained them.
let countedRuns machine name (cells: CellResult list) =
    cells |> List.filter (fun c -> c.Cell.Variant.Algorithm.Name = name) |> List.choose resultOf
    |> List.filter (fun x -> x.TimesCoverEveryProcess && machineOf x = machine)

/// One row of the table: the counted runs of `cells` on `machine`, per algorithm.
let row machine (label: string) (cells: CellResult list) =
    let runsOf name = countedRuns machine name cells
    let per name = [ for x in runsOf name -> x.WallSeconds ]
    let per1000 name = [ for x in runsOf name -> 1000.0 * x.WallSeconds / float (max 1L x.Steps) ]
    let cpu name =
        let xs = runsOf name |> List.map (fun x -> x.CpuSeconds)
        if not xs.IsEmpty && xs |> List.forall (fun c -> c.HasValue) then Some [ for c in xs -> c.Value ] else None
    let cpuColumns =
        let side name = cpu name |> Option.map (meanStd 0) |> Option.defaultValue "—"
        [ side "cfcql"; side "inspo"
          (match cpu "cfcql", cpu "inspo" with
           | Some c, Some i -> ratio i c
           | _ -> "—") ]
    let counted = (runsOf "cfcql").Length + (runsOf "inspo").Length
    counted,
    [ label
      sprintf "%d / %d" (runsOf "cfcql").Length (runsOf "inspo").Length
      meanStd 1 (per1000 "cfcql"); meanStd 1 (per1000 "inspo")
      meanStd 0 (per "cfcql"); meanStd 0 (per "inspo")
      ratio (per "inspo") (per "cfcql") ] @ cpuColumns

// A tier's episodes set a step's cost (a batch is padded to its longest episode), so the two algorithms are compared
// tier by tier, and a map's row pools only the tiers where both have runs; tiers with one side only are shown alone.
let rows machine =
    [ for r in results do
        let map = SmacExperiments.mapOf r.Experiment.Env
        let tiers = r.Experiment.Datasets
        let cellsOf tier = r.Cells |> List.filter (fun c -> c.Cell.Dataset = tier)
        let has name tier = not (countedRuns machine name (cellsOf tier)).IsEmpty
        let both = tiers |> List.filter (fun t -> has "cfcql" t && has "inspo" t)
        let label = if both.IsEmpty then sprintf "%s (no tier with both)" map else sprintf "%s (%s)" map (both |> List.map datasetLabel |> String.concat ", ")
        yield snd (row machine (sprintf "**%s**" label) (both |> List.collect cellsOf))
        for tier in tiers do
            match row machine (sprintf "%s %s" map (datasetLabel tier)) (cellsOf tier) with
            | 0, _ -> ()
            | _, line -> yield line ]
// Times compare only on one machine (committed records travel between machines): a table per machine.
let machines =
    results |> List.collect (fun r -> r.Cells |> List.choose resultOf) |> List.filter (fun x -> x.TimesCoverEveryProcess)
    |> List.map machineOf |> List.distinct |> List.sort
let header =
    [ "map (tiers with both) / tier"; "runs (CFCQL / InSPO)"; "CFCQL s / 1000 steps"; "InSPO s / 1000 steps"; "CFCQL s / run"; "InSPO s / run"; "InSPO / CFCQL (run)"
      "CFCQL CPU s / run"; "InSPO CPU s / run"; "InSPO / CFCQL (CPU)" ]
let leftOut =
    results |> List.sumBy (fun r -> r.Cells |> List.choose resultOf |> List.filter (fun x -> not x.TimesCoverEveryProcess) |> List.length)
let tables =
    match machines with
    | [] -> [ sprintf "Table 7: training time, profile %s: no run with complete times yet\n" probe.Profile ]
    | _ -> [ for m in machines -> sprintf "Table 7: training time of the runs on %s, profile %s\n\n%s" m probe.Profile (Tables.markdown header (rows m)) ]
let text =
    sprintf "%s\nA resumed run's times include the processes before its resume. Left out: %d older records (before 2026-12-02), whose times may cover the last process only.\n"
        (String.concat "\n" tables) leftOut
printfn "\n%s" text
System.IO.Directory.CreateDirectory probe.ReportsRoot |> ignore
System.IO.File.WriteAllText(System.IO.Path.Combine(probe.ReportsRoot, "table7_time.md"), text)
if results |> List.sumBy failures > 0 then exit 1
