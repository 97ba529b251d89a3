// SMAC-lite training cost per algorithm and tier, and what Table 4 at the quick profile costs from it: for every map
// with tier datasets (experiments/smac_tiers.fsx) and every Table 4 algorithm, the wall seconds of a few behaviour
// steps and a few main steps at the quick profile's batch (32 episodes; OMIGA 128 transitions), and of one 32-episode
// greedy evaluation, in this process with one thread. The projection multiplies them by the quick budget
// (SmacRunEnvironment.Budget) and 5 seeds, and divides by INSPO_JOBS (default the core count) — the same work
// Table 4 does, without its process start-ups. Run by `dotnet fsi build.fsx -t Bench` (and BenchSmac).
// INSPO_RUNS: where the tiers are (default runs/); INSPO_SMAC_MAPS / INSPO_SMAC_TIERS as in table4_smac.fsx.
#load "../scripts/InSPO.fsx"
open System.Diagnostics
open System.IO
open TorchSharp
open InSPO.Algorithms
open InSPO.Data
open InSPO.Scripting
open InSPO.Training

let root = Path.GetFullPath(__SOURCE_DIRECTORY__ + "/..")
let smoke = System.Environment.GetEnvironmentVariable "INSPO_PROFILE" = "smoke"
let probe, maps = SmacExperiments.prepare root SmacExperiments.allMaps
let behaviourSample, mainSample = if smoke then 2, 3 else 10, 20
let jobs = match System.Environment.GetEnvironmentVariable "INSPO_JOBS" with | null | "" -> System.Environment.ProcessorCount | j -> int j
let algorithms = [ "bc"; "omar"; "cfcql"; "omiga"; "inspo" ]
torch.set_num_threads 1

/// Seconds per behaviour step, per main step, and of one evaluation, on one dataset at the quick profile's sizes.
let measure (map: string) (folder: string) algo =
    let environment = SmacRunEnvironment(InSPO.Envs.Smac.SmacMaps.Get map)
    let quick = environment.Budget Profiles.Quick
    let data = (DatasetStore.Load folder).Data
    use buffer = new DeviceEpisodeBuffer(data, torch.CPU)
    // a profile with the quick sizes and a behaviour phase of `behaviourSample` steps (learners without one ignore it)
    let profile = Profile("quick", behaviourSample, mainSample, quick.BatchSize, quick.EvalEpisodes, System.Int32.MaxValue, System.Int32.MaxValue, quick.Hidden)
    use init = new torch.Generator(0UL)
    use learner = Learners.Create(algo, data.Spec, null, profile, torch.CPU, init)
    let state = TrainerState(new torch.Generator(1UL))
    let timed steps =
        let clock = Stopwatch.StartNew()
        Trainer.Train(learner, buffer, state, steps) |> ignore
        clock.Elapsed.TotalSeconds
    timed 1L |> ignore   // first step: allocations and lazy initialisation, not counted
    let behaviour = timed (int64 behaviourSample) / float (behaviourSample - 1)
    let main = timed (int64 (behaviourSample + mainSample)) / float mainSample
    let clock = Stopwatch.StartNew()
    environment.Evaluate(learner, quick.EvalEpisodes, 17, torch.CPU) |> ignore
    // BC's and OMAR's and OMIGA's profile steps are all main steps; InSPO and CFCQL spend BehaviourSteps first
    let usesBehaviour = algo = "inspo" || algo = "cfcql"
    let run = (if usesBehaviour then float quick.BehaviourSteps * behaviour + float quick.Steps * main else float quick.TotalSteps * main) + clock.Elapsed.TotalSeconds
    behaviour, main, clock.Elapsed.TotalSeconds, run

let rows =
    [ for map in maps do
        for folder in SmacExperiments.tierFolders probe.RunsRoot.Value map do
            for algo in algorithms ->
                let b, m, e, run = measure map folder algo
                map, Experiment.datasetLabel folder, algo, b, m, e, run ]
printfn "\nSMAC-lite cost at the quick profile (%s budget: %d + %d steps, 32 episodes per batch), one thread\n"
    (if smoke then "smoke-sized sample of the" else "the") (SmacRunEnvironment.QuickBehaviourSteps) (SmacRunEnvironment.QuickSteps)
let table =
    [ for map, tier, algo, b, m, e, run in rows ->
        [ map; tier; algo; sprintf "%.3f" b; sprintf "%.3f" m; sprintf "%.1f" e; sprintf "%.0f" run ] ]
printfn "%s" (Tables.markdown [ "map"; "tier"; "algorithm"; "s / behaviour step"; "s / step"; "evaluation s"; "projected s / run" ] table)
let perAlgorithm =
    [ for algo in algorithms ->
        let total = rows |> List.filter (fun (_, _, a, _, _, _, _) -> a = algo) |> List.sumBy (fun (_, _, _, _, _, _, run) -> 5.0 * run)
        [ algo; sprintf "%.0f" (total / 60.0) ] ]
printfn "\n%s" (Tables.markdown [ "algorithm"; "Table 4 quick, 5 seeds, minutes of one core" ] perAlgorithm)
let total = rows |> List.sumBy (fun (_, _, _, _, _, _, run) -> 5.0 * run)
printfn "\nTable 4 at the quick profile (%d maps, %d cells): %.1f h of one core, %.1f h wall on %d jobs" maps.Length rows.Length (total / 3600.0) (total / 3600.0 / float jobs) jobs
