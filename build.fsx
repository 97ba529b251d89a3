// InSPO.NET build script: `dotnet fsi build.fsx -t <Target>` (FAKE's libraries, no fake-cli).
//   Build   restore tools and packages, build the solution (Release)
//   Test    Build, then run every Expecto test; prints `tests: N passed, N failed`
//   Quick   Build, then the main job at the quick profile: the exact solutions of XOR and M-NE
//           (experiments/exact_games.fsx), Tables 1–3 and Figures 3 and 5
//   Plotly  install plotly.js (npm package plotly.js-dist-min) into .cache/plotly, inlined into figures
//   Table1, Table2, Table3, Figure3, Figure5   one experiment each (profile: INSPO_PROFILE, default quick)
//   Sweep   Tables 1–3 tuned: every algorithm on its search grid (scripts/InSPO.Scripting/SearchGrids.fs), the
//           best point per dataset (INSPO_SWEEP=1; profile INSPO_PROFILE, default quick); writes *_tuned tables
//   Paper   every table and figure that exists, defaults and tuned, at the paper profile on the best device
//           (INSPO_DEVICE, default auto: CUDA when available); reports under reports/paper
//   Bench   wall time of Tables 1 + 2 (5 seeds, quick profile, fresh run folder) and steps/s per run; one recurrent
//           BC update on SMAC-lite episode batches, engine vs a hand-written loop (experiments/bench_recurrent_update.fsx);
//           per-seed throughput of one seed against a five-seed ensemble, every algorithm (experiments/bench_ensembles.fsx)
//   BenchSim    SMAC-lite agent-steps per second per core, every map, random actions
//   SmacScores  SMAC-lite win rates of the scripted policies (200 episodes per map and policy)
//   SmacBC      recurrent vs memoryless BC on scripted SMAC-lite 5m_vs_6m episodes (experiments/smac_bc.fsx)
//   SmacTiers   the SMAC-lite dataset tiers from the committed QMIX models, with their cards (experiments/smac_tiers.fsx)
//   ArchiveRecords, RestoreRecords   the SMAC-lite run records of the runs folder into experiments/records (committed),
//           and back where a run has none, so that the table targets reuse them (experiments/records.fsx)
// Experiments write run records under runs/ and tables, figures and per-run CSVs under reports/.
// With INSPO_SLURM=1 (and INSPO_SLURM_PARTITION, _GPUS_PER_TASK, _TIME, _MEM, _DRY_RUN) the experiment targets submit
// their cells as Slurm job arrays instead of running them (`inspo reproduce --slurm`); the same target run again after
// the arrays have ended writes the reports.
#r "nuget: Fake.Core.Target, 5.20.3"
#r "nuget: Fake.Core.Process, 5.20.3"

open System
open System.IO
open System.Xml
open System.Xml.Linq
open Fake.Core
open Fake.Core.TargetOperators

fsi.CommandLineArgs
|> Array.skip 1
|> List.ofArray
|> Context.FakeExecutionContext.Create false "build.fsx"
|> Context.RuntimeContext.Fake
|> Context.setExecutionContext

let root = __SOURCE_DIRECTORY__

// Every process this script starts inherits a 256 MB gen-0 budget: TorchSharp 0.107 can free an implicitly converted
// Scalar during a native call when a garbage collection runs then ("Unknown scalar type"); ≈ 50 × fewer collections
// make that rare (.ci/run sets the same).
if isNull (Environment.GetEnvironmentVariable "DOTNET_GCgen0size") then
    Environment.SetEnvironmentVariable("DOTNET_GCgen0size", "0x10000000")
let configuration = Environment.environVarOrDefault "CONFIGURATION" "Release"
let inCi = Environment.environVarOrDefault "CI" "" <> ""

/// Runs a command in the repository root, streaming its output; fails the target on a non-zero exit.
let run (program: string) (args: string list) =
    let result =
        CreateProcess.fromRawCommand program args
        |> CreateProcess.withWorkingDirectory root
        |> Proc.run
    if result.ExitCode <> 0 then
        failwithf "'%s %s' failed with exit code %d" program (String.Join(" ", args)) result.ExitCode

let dotnet args = run "dotnet" args

/// Runs an F# script of the project (they reference the Release build of the engine).
let fsiScript (path: string) (args: string list) = dotnet ([ "fsi"; path ] @ args)

/// Runs an experiment script with extra environment variables (INSPO_PROFILE, INSPO_RUNS, INSPO_REPORTS).
let experimentScript (env: (string * string) list) (path: string) =
    let result =
        env
        |> List.fold (fun p (k, v) -> p |> CreateProcess.setEnvironmentVariable k v)
            (CreateProcess.fromRawCommand "dotnet" [ "fsi"; path ])
        |> CreateProcess.withWorkingDirectory root
        |> Proc.run
    if result.ExitCode <> 0 then failwithf "'dotnet fsi %s' failed with exit code %d" path result.ExitCode

/// The profile experiments run at: INSPO_PROFILE, default quick.
let profile = Environment.environVarOrDefault "INSPO_PROFILE" "quick"

/// plotly.js for self-contained figures: the npm package plotly.js-dist-min, pinned to the last 2.x
/// (XPlot.Plotly 4.1 writes string titles, which plotly.js 3 no longer reads), installed into the
/// ignored folder .cache/plotly. Figures look for .cache/plotly/node_modules/plotly.js-dist-min/plotly.min.js.
let plotlyVersion = "2.35.2"
let plotlyJs = Path.Combine(root, ".cache", "plotly", "node_modules", "plotly.js-dist-min", "plotly.min.js")

Target.create "Restore" (fun _ ->
    dotnet [ "tool"; "restore" ]
    dotnet [ "paket"; "restore" ])

Target.create "Build" (fun _ ->
    dotnet [ "build"; "InSPO.sln"; "-c"; configuration; "--nologo"; "-v"; "quiet"; "-clp:NoSummary" ])

/// Expecto's JUnit summary → (passed, failed): a test case with a <failure> or <error> child failed,
/// one with <skipped> was ignored, any other passed. A failure message can carry a terminal's control characters
/// (an ANSI colour escape, 0x1B), which XML 1.0 forbids raw or as a reference: they are dropped before parsing, so a
/// failing run still prints its counts.
let junitCounts (file: string) =
    let text = File.ReadAllText file |> String.filter (fun c -> c >= ' ' || c = '\t' || c = '\n' || c = '\r')
    use reader = XmlReader.Create(new StringReader(text), XmlReaderSettings(CheckCharacters = false))
    let cases = XDocument.Load(reader).Descendants(XName.Get "testcase") |> List.ofSeq
    let has (name: string) (case: XElement) = case.Elements(XName.Get name) |> Seq.isEmpty |> not
    let failed = cases |> List.filter (fun c -> has "failure" c || has "error" c) |> List.length
    let skipped = cases |> List.filter (has "skipped") |> List.length
    cases.Length - failed - skipped, failed

Target.create "Test" (fun _ ->
    let summary = Path.Combine(root, "tests", "InSPO.Tests", "bin", "test-summary.xml")
    File.Delete summary
    // No spinner: its timer thread would allocate while a test is inside libtorch (tests/InSPO.Tests/Sequencing.fs).
    let testArgs = [ "--summary"; "--no-spinner"; "--junit-summary"; summary ] @ (if inCi then [ "--colours"; "0" ] else [])
    let result =
        CreateProcess.fromRawCommand "dotnet"
            ([ "run"; "--project"; "tests/InSPO.Tests"; "-c"; configuration; "--no-build"; "--" ] @ testArgs)
        |> CreateProcess.withWorkingDirectory root
        |> Proc.run
    let passed, failed = if File.Exists summary then junitCounts summary else 0, 0
    // CI reads this line; a run that executed no test shows 0 passed.
    printfn "\ntests: %d passed, %d failed" passed failed
    if result.ExitCode <> 0 || passed = 0 then
        failwithf "tests failed (exit code %d, %d passed, %d failed)" result.ExitCode passed failed)

Target.create "Plotly" (fun _ ->
    let installed = Path.Combine(root, ".cache", "plotly", "node_modules", "plotly.js-dist-min", "package.json")
    if File.Exists plotlyJs && File.Exists installed && File.ReadAllText(installed).Contains(sprintf "\"version\": \"%s\"" plotlyVersion) then
        printfn "plotly.js %s already in %s" plotlyVersion plotlyJs
    else
        run "npm" [ "install"; "--prefix"; Path.Combine(root, ".cache", "plotly"); "--no-save"; "--no-audit"; "--no-fund"
                    sprintf "plotly.js-dist-min@%s" plotlyVersion ]
        if not (File.Exists plotlyJs) then failwithf "npm finished but %s is missing" plotlyJs)

Target.create "Table1" (fun _ -> experimentScript [ ("INSPO_PROFILE", profile) ] "experiments/table1_xor.fsx")
Target.create "Table2" (fun _ -> experimentScript [ ("INSPO_PROFILE", profile) ] "experiments/table2_mne.fsx")
Target.create "Table3" (fun _ -> experimentScript [ ("INSPO_PROFILE", profile) ] "experiments/table3_bridge.fsx")
Target.create "Figure3" (fun _ -> experimentScript [ ("INSPO_PROFILE", profile) ] "experiments/fig3_xor_policies.fsx")
Target.create "Figure5" (fun _ -> experimentScript [ ("INSPO_PROFILE", profile) ] "experiments/fig5_ablations.fsx")
// SMAC-lite (each collects the tier datasets it lacks through experiments/smac_tiers.fsx first)
Target.create "Table4" (fun _ -> experimentScript [ ("INSPO_PROFILE", profile) ] "experiments/table4_smac.fsx")
Target.create "Table5" (fun _ -> experimentScript [ ("INSPO_PROFILE", profile) ] "experiments/table5_alpha.fsx")
Target.create "Table6" (fun _ -> experimentScript [ ("INSPO_PROFILE", profile) ] "experiments/table6_order.fsx")
Target.create "Table7" (fun _ -> experimentScript [ ("INSPO_PROFILE", profile) ] "experiments/table7_time.fsx")

/// The scripts of the paper's tables and figures that exist, in the paper's order.
let tableScripts = [ "table1_xor"; "table2_mne"; "table3_bridge" ]
let smacTableScripts = [ "table4_smac"; "table5_alpha"; "table6_order"; "table7_time" ]
let figureScripts = [ "fig3_xor_policies"; "fig5_ablations" ]

Target.create "Quick" (fun _ ->
    fsiScript "experiments/exact_games.fsx" []
    for script in tableScripts @ figureScripts do
        experimentScript [ ("INSPO_PROFILE", "quick") ] (sprintf "experiments/%s.fsx" script))

Target.create "Sweep" (fun _ ->
    for script in tableScripts do
        experimentScript [ "INSPO_PROFILE", profile; "INSPO_SWEEP", "1" ] (sprintf "experiments/%s.fsx" script))

Target.create "Paper" (fun _ ->
    // Runs are shared with other targets under runs/ (a finished cell is reused, so an interrupted Paper resumes);
    // the report folder is its own.
    let device = Environment.environVarOrDefault "INSPO_DEVICE" "auto"
    let env = [ "INSPO_PROFILE", "paper"; "INSPO_DEVICE", device; "INSPO_REPORTS", Path.Combine(root, "reports", "paper") ]
    fsiScript "experiments/exact_games.fsx" []
    for script in tableScripts @ figureScripts @ smacTableScripts do
        experimentScript env (sprintf "experiments/%s.fsx" script)
    for script in tableScripts do
        experimentScript (("INSPO_SWEEP", "1") :: env) (sprintf "experiments/%s.fsx" script)
    if Environment.environVarOrDefault "INSPO_SLURM" "" = "1" then
        printfn "Paper (Slurm): each script above either submitted what lacked a record (inspo status runs) or wrote its reports into %s; run Paper again once the arrays have ended" (Path.Combine(root, "reports", "paper"))
    else printfn "Paper: tables and figures in %s" (Path.Combine(root, "reports", "paper")))

Target.create "Bench" (fun _ ->
    // A fresh run folder, so every cell trains (nothing is reused) at the quick profile, 5 seeds.
    let scratch = Path.Combine(Path.GetTempPath(), sprintf "inspo-bench-%s" (DateTime.UtcNow.ToString "yyyyMMdd-HHmmss"))
    let env = [ "INSPO_PROFILE", "quick"; "INSPO_RUNS", Path.Combine(scratch, "runs"); "INSPO_REPORTS", Path.Combine(scratch, "reports") ]
    // the issue's figure is Tables 1–3 (Table 3 alone ≈ 95 min here); INSPO_BENCH_TABLES=table1_xor,table2_mne times fewer
    let tables = Environment.environVarOrDefault "INSPO_BENCH_TABLES" "table1_xor,table2_mne,table3_bridge"
    let timed =
        [ for name in tables.Split(',', StringSplitOptions.RemoveEmptyEntries) |> List.ofArray ->
            let clock = Diagnostics.Stopwatch.StartNew()
            experimentScript env (sprintf "experiments/%s.fsx" name)
            name, clock.Elapsed.TotalSeconds ]
    printfn "\nBench (profile quick, 5 seeds, runs in %s)\n" scratch
    fsiScript "experiments/bench_runs.fsx" (Path.Combine(scratch, "reports") :: List.map fst timed)
    printfn ""
    for name, seconds in timed do
        printfn "%s: %.1f s wall (dotnet fsi start included)" name seconds
    printfn "%s: %.1f s wall in all" (timed |> List.map fst |> String.concat " + ") (timed |> List.sumBy snd)
    fsiScript "experiments/bench_recurrent_update.fsx" []
    fsiScript "experiments/bench_ensembles.fsx" []
    fsiScript "experiments/bench_smac.fsx" [])

Target.create "BenchSmac" (fun _ -> fsiScript "experiments/bench_smac.fsx" [])

/// Runs the built `inspo` command.
let inspo args = dotnet ([ sprintf "core/InSPO.Cli/bin/%s/net10.0/inspo.dll" configuration ] @ args)

Target.create "BenchSim" (fun _ -> inspo [ "smac"; "bench"; "--seconds"; "3"; "--threads"; "1" ])

Target.create "SmacScores" (fun _ -> inspo [ "smac"; "scores"; "--episodes"; "200" ])

Target.create "SmacBC" (fun _ -> fsiScript "experiments/smac_bc.fsx" [])

Target.create "SmacTiers" (fun _ -> experimentScript [ "INSPO_PROFILE", profile ] "experiments/smac_tiers.fsx")

// The committed SMAC-lite run records (experiments/records) out of and into the runs folder (INSPO_RUNS, else runs/)
Target.create "ArchiveRecords" (fun _ -> fsiScript "experiments/records.fsx" [ "archive" ])
Target.create "RestoreRecords" (fun _ -> fsiScript "experiments/records.fsx" [ "restore" ])

"Restore" ==> "Build" ==> "Test" |> ignore
"Build" ==> "Quick" |> ignore
"Build" ==> "BenchSim" |> ignore
"Build" ==> "SmacScores" |> ignore
"Build" ==> "SmacBC" |> ignore
"Build" ==> "SmacTiers" |> ignore
"Build" ==> "ArchiveRecords" |> ignore
"Build" ==> "RestoreRecords" |> ignore
"Plotly" ==> "Quick" |> ignore
"Build" ==> "Table1" |> ignore
"Build" ==> "Table2" |> ignore
"Build" ==> "Table3" |> ignore
"Build" ==> "Table4" |> ignore
"Build" ==> "Table5" |> ignore
"Build" ==> "Table6" |> ignore
"Build" ==> "Table7" |> ignore
"Build" ==> "Figure3" |> ignore
"Plotly" ==> "Figure3" |> ignore
"Build" ==> "Figure5" |> ignore
"Plotly" ==> "Figure5" |> ignore
"Build" ==> "Bench" |> ignore
"Build" ==> "BenchSmac" |> ignore
"Build" ==> "Sweep" |> ignore
"Build" ==> "Paper" |> ignore
"Plotly" ==> "Paper" |> ignore

Target.runOrDefaultWithArguments "Build"
