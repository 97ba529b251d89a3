// Seed ensembles: per-seed training throughput of one seed alone (S = 1, the ordinary run) against a group of five
// trained as one ensemble (S = 5), for every algorithm that has an ensemble, on Bridge "mixed" at the quick
// profile's batch (256) for a fixed number of steps, one process, one thread. Run by `dotnet fsi build.fsx -t Bench`.
// Algorithms without an ensemble yet are listed as such (their groups train seed after seed).
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
let throughput algo seeds =
    let root = Path.Combine(scratch, sprintf "%s-%d" algo (List.length seeds))
    let group = RunGroup(RunSpec("bridge", "mixed", algo, List.head seeds, "quick", "cpu", null, root), seeds)
    let clock = Stopwatch.StartNew()
    let results = GroupRunner.Run(group, control)
    for struct (spec, _, error) in results do
        match error with
        | null -> ()
        | e -> failwithf "%s seed %d: %s" algo spec.Seed e.Message
    float (budget.TotalSteps * int64 seeds.Length) / clock.Elapsed.TotalSeconds, File.Exists group.CheckpointPath

printfn "\nSeed ensembles, Bridge mixed, batch %d, %d steps, CPU, 1 thread (per-seed steps/s, dataset generation and evaluation included)\n" budget.BatchSize budget.TotalSteps
printfn "| algorithm | S = 1 | S = 5 | S = 5 / S = 1 |"
printfn "| --- | ---: | ---: | ---: |"
for algo in InSPO.Algorithms.Learners.Known do
    let one, _ = throughput algo [ 0 ]
    let five, ensemble = throughput algo [ 0 .. 4 ]
    printfn "| %s%s | %.0f | %.0f | %.2f |" algo (if ensemble then "" else " (no ensemble yet: seed after seed)") one five (five / one)
Directory.Delete(scratch, true)
