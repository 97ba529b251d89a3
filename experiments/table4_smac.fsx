// Table 4: SMAC-lite, 4 maps × 4 tiers (medium, medium-replay, expert, mixed; experiments/smac_tiers.fsx makes them
// from the committed QMIX models, and this script runs it for any map whose tiers are missing) × BC, OMAR, CFCQL,
// OMIGA, InSPO, 5 seeds. Table value: win rate of the final policy on 32 greedy episodes (SPEC 4; the return is in
// each run's record). The paper's numbers are StarCraft II's, printed beside ours to compare the ordering of
// methods, not values. CFCQL takes its README's per-map, per-dataset CQL weight and temperature. Under the tables,
// the 16-row average per method beside the paper's average over the same rows.
// Run: `dotnet fsi experiments/table4_smac.fsx` (after a Release build), or `dotnet fsi build.fsx -t Table4`.
// INSPO_PROFILE, INSPO_DEVICE, INSPO_RUNS, INSPO_REPORTS, INSPO_JOBS as in table1_xor.fsx; INSPO_SMAC_TIERS=a,b: only
// those tiers; INSPO_SMAC_MAPS=a,b: only
// those maps.
#load "../scripts/InSPO.fsx"

open InSPO.Scripting
open InSPO.Scripting.Experiment

let root = System.IO.Path.GetFullPath(__SOURCE_DIRECTORY__ + "/..")
let algorithms = [ "bc"; "omar"; "cfcql"; "omiga"; "inspo" ] |> List.map (fun n -> algo n [])
let probe, maps = SmacExperiments.prepare root SmacExperiments.allMaps

let table4 map =
    let e = SmacExperiments.onTiers probe (sprintf "table4_%s" map) map algorithms
    { e with
        Paper = PaperTargets.smac map
        DatasetHyperparameters =
            Map [ for folder in e.Datasets ->
                    (folder, "cfcql"), [ for struct (k, v) in InSPO.Algorithms.CfcqlOptions.SmacSettings(map, datasetLabel folder) -> k, v ] ] }

let experiments = maps |> List.map table4
let results = runAll (engine root (fun spec -> InSPO.Training.Runner.Run(spec, true, null))) experiments
for r in results do Tables.report r |> ignore

// The average over every (map, tier) row of each method's seed mean, beside the paper's over the same rows.
let paperValue map tier label =
    PaperTargets.value (PaperTargets.smac map) tier label |> Option.map (fun (s: string) -> float (s.Trim()))
let summary =
    [ for v in variants (List.head experiments) ->
        // (ours, paper's) on every row where this method has finished seeds: the paper's average covers the same rows
        let rows =
            [ for r in results do
                for d in r.Experiment.Datasets do
                    match samples r d v with
                    | [] -> ()
                    | xs -> List.average xs, paperValue (SmacExperiments.mapOf r.Experiment.Env) (datasetLabel d) v.Label ]
        let avg xs = if List.isEmpty xs then "—" else sprintf "%.3f (%d row%s)" (List.average xs) xs.Length (if xs.Length = 1 then "" else "s")
        [ v.Label; avg (List.map fst rows); avg (List.choose snd rows) ] ]
let text =
    sprintf "Table 4, each method's seed mean averaged over the rows run (profile %s)\n\n%s\n"
        probe.Profile (Tables.markdown [ "method"; "mean win rate, SMAC-lite"; "paper (StarCraft II)" ] summary)
printfn "\n%s" text
System.IO.File.WriteAllText(System.IO.Path.Combine(probe.ReportsRoot, "table4_average.md"), text)
if results |> List.sumBy failures > 0 then exit 1
