// Seed ensembles: per-seed training throughput of one seed alone (S = 1, the ordinary run) against a group of five
// trained as one ensemble (S = 5), for every algorithm that has an ensemble, on Bridge "mixed" at the quick
// profile's batch (256) for a fixed number of steps, and on SMAC-lite 5m_vs_6m (recurrent agents, batches of the
// quick profile's 32 episodes, the scripted focus-fire data so that no tier has to exist) for the algorithms of
// Table 4; one process, one thread. Run by `dotnet fsi build.fsx -t Bench`. Algorithms without an ensemble are
// listed as such (their groups train seed after seed).
#load "../scripts/InSPO.fsx"
open System.Diagnostics
open System.IO
open InSPO.Training

let smoke = System.Environment.GetEnvironmentVariable "INSPO_PROFILE" = "smoke"
let steps = if smoke then 30 else 1500
let scratch = Path.Combine(Path.GetTempPath(), sprintf "inspo-bench-ensembles-%d" (System.Diagnostics.Process.GetCurrentProcess().Id))
let quick = BridgeRunEnvironment().Budget Profiles.Quick
let budget = Profile("quick", steps / 10, steps, quick.BatchSize, quick.EvalEpisodes, System.Int32.MaxValue / 2, quick.LogEvery, quick.Hidden)
let control = RunControl(ProfileOverride = budget, TensorBoard = false)

/// Steps per second per seed: the group's steps × members over its wall time (training and evaluation).
let throughputOn env dataset (budget: Profile) (control: RunControl) algo seeds =
    let root = Path.Combine(scratch, sprintf "%s-%s-%d" (env: string).[0..4] algo (List.length seeds))
    let group = RunGroup(RunSpec(env, dataset, algo, List.head seeds, "quick", "cpu", null, root), seeds)
    let clock = Stopwatch.StartNew()
    let results = GroupRunner.Run(group, control)
    for struct (spec, _, error) in results do
        match error with
        | null -> ()
        | e -> failwithf "%s seed %d: %s" algo spec.Seed e.Message
    float (budget.TotalSteps * int64 seeds.Length) / clock.Elapsed.TotalSeconds, File.Exists group.CheckpointPath

let throughput = throughputOn "bridge" "mixed" budget control
// INSPO_BENCH_PARTS=smac: the SMAC-lite table only
let parts = match System.Environment.GetEnvironmentVariable "INSPO_BENCH_PARTS" with | null | "" -> [ "bridge"; "smac" ] | p -> List.ofArray (p.Split ',')
let bridgeTable () =
    printfn "\nSeed ensembles, Bridge mixed, batch %d, %d steps, CPU, 1 thread (per-seed steps/s, dataset generation and evaluation included)\n" budget.BatchSize budget.TotalSteps
    printfn "| algorithm | S = 1 | S = 5 | S = 5 / S = 1 |"
    printfn "| --- | ---: | ---: | ---: |"
    for algo in InSPO.Algorithms.Learners.Known do
        let one, _ = throughput algo [ 0 ]
        let five, ensemble = throughput algo [ 0 .. 4 ]
        printfn "| %s%s | %.0f | %.0f | %.2f |" algo (if ensemble then "" else " (no ensemble yet: seed after seed)") one five (five / one)

let smacTable () =
    // SMAC-lite 5m_vs_6m: a fixed number of steps (a tenth of them the behaviour phase of InSPO and CFCQL), 32 evaluation
    // episodes per seed; the scripted data once per process (every member reads the same 1000 episodes).
    let smacSteps = if smoke then 6 else 100
    let smacQuick = SmacRunEnvironment(InSPO.Envs.Smac.SmacMaps.Get "5m_vs_6m").Budget Profiles.Quick
    let smacBudget = Profile("quick", smacSteps / 10, smacSteps, smacQuick.BatchSize, (if smoke then 2 else smacQuick.EvalEpisodes), System.Int32.MaxValue / 2, smacQuick.LogEvery, smacQuick.Hidden)
    let smacData = SmacRunEnvironment.ScriptedDataset(InSPO.Envs.Smac.SmacMaps.Get "5m_vs_6m", InSPO.Envs.Smac.ScriptedPolicies.FocusFire, (if smoke then 40 else 1000), 1)
    let smacControl = RunControl(ProfileOverride = smacBudget, DatasetOverride = smacData, TensorBoard = false)
    printfn "\nSeed ensembles, SMAC-lite 5m_vs_6m focus fire, %d episodes per batch, %d steps, CPU, 1 thread (per-seed steps/s, evaluation included)\n" (InSPO.Nets.AgentNetworks.EpisodeBatch Profiles.Quick) smacBudget.TotalSteps
    printfn "| algorithm | S = 1 | S = 5 | S = 5 / S = 1 |"
    printfn "| --- | ---: | ---: | ---: |"
    for algo in [ "bc"; "omar"; "cfcql"; "inspo" ] do   // the recurrent ensembles (OMIGA's SMAC-lite network is an MLP)
        let one, _ = throughputOn "smac:5m_vs_6m" "focus-fire" smacBudget smacControl algo [ 0 ]
        let five, ensemble = throughputOn "smac:5m_vs_6m" "focus-fire" smacBudget smacControl algo [ 0 .. 4 ]
        printfn "| %s%s | %.2f | %.2f | %.2f |" algo (if ensemble then "" else " (no ensemble: seed after seed)") one five (five / one)

if List.contains "bridge" parts then bridgeTable ()
if List.contains "smac" parts then smacTable ()
Directory.Delete(scratch, true)
