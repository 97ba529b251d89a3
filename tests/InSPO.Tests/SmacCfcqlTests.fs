/// CFCQL on SMAC-lite as its code runs it (CfcqlEpisodes): recurrent agents on episode batches, the counterfactual
/// values and λ on real batches, padding, and runs through the runner (determinism, resuming).
module InSPO.Tests.SmacCfcqlTests

open System.Collections.Generic
open System.IO
open System.Text.Json
open Expecto
open TorchSharp
open InSPO.Algorithms
open InSPO.Data
open InSPO.Envs.Smac
open InSPO.Training
open InSPO.Tests.RunFixtures

let private map = SmacMaps.Get "5m_vs_6m"

/// Episodes of two lengths' worth of variety: focus fire (long, often won) and random (short, lost).
let private data =
    lazy (EpisodeDataset.Concatenate(SmacRunEnvironment.ScriptedDataset(map, ScriptedPolicies.FocusFire, 12, 1),
                                     SmacRunEnvironment.ScriptedDataset(map, ScriptedPolicies.Random, 12, 2)))

let private hyperOf (hyper: (string * float) list) = Dictionary<string, float>(dict hyper) :> IReadOnlyDictionary<string, float>

/// The "cfcql" learner of the map, built as the runner builds it (smoke profile: 8 episodes per batch).
let private learner (hyper: (string * float) list) =
    use init = new torch.Generator(0UL)
    Learners.Create("cfcql", data.Value.Spec, hyperOf hyper, Profiles.Smoke, torch.CPU, init) :?> CfcqlEpisodes

/// Every episode of the data in one batch: episodes of different lengths, so the batch has padding.
let private wholeBatch (buffer: DeviceEpisodeBuffer) = buffer.GatherEpisodes(torch.arange(int64 buffer.Episodes))

/// A few steps of each phase, so the values are not those of the initial weights.
let private train (l: CfcqlEpisodes) (buffer: DeviceEpisodeBuffer) steps =
    let g = new torch.Generator(7UL)
    for k in 0L .. steps - 1L do
        use _ = torch.NewDisposeScope()
        l.Step(k, steps, buffer, g) |> ignore

/// The budget of the runs below: 10 behaviour steps, 30 Q steps (targets copied at 25), 8 evaluation episodes.
let private budget = Profile("cfcql-smac", 10, 30, 32, 8, 20, 5, 32)
let private runHyper = [ "episode_batch", 8.0 ]

/// A run of "cfcql" on 5m_vs_6m focus fire (the small dataset above in place of the scripted 1000 episodes).
let private runOn root resume (stopAfter: int64 option) =
    Runner.Run(spec "smac:5m_vs_6m" "focus-fire" "cfcql" 0 root runHyper,
               RunControl(Resume = resume, StopAfter = Option.toNullable stopAfter, ProfileOverride = budget,
                          DatasetOverride = data.Value, TensorBoard = false))

/// The README's settings of one cell as F# pairs.
let private settings map tier = CfcqlOptions.SmacSettings(map, tier) |> Seq.map (fun struct (name, value) -> name, value) |> List.ofSeq

let private metrics (r: RunResult) = r.Metrics |> Seq.map (fun kv -> kv.Key, kv.Value) |> Seq.sort |> List.ofSeq

/// Every parameter and buffer of a run's final checkpoint, by module and key.
let private checkpointValues (run: RunResult) =
    use init = new torch.Generator(0UL)
    use l = Learners.Create("cfcql", data.Value.Spec, hyperOf runHyper, budget, torch.CPU, init)
    Checkpoint.Load(Path.Combine(nonNull (Path.GetDirectoryName run.RecordPath), "checkpoint.bin"), l, TrainerState(new torch.Generator(0UL)))
    [ for struct (name, m) in l.Modules do
        for KeyValue (key, t) in m.state_dict() -> name + "." + key, t.to_type(torch.ScalarType.Float32).data<float32>().ToArray() ]

[<Tests>]
let tests =
    testList "smac cfcql" [
        test "cfcql on a SMAC-lite map is the recurrent episode learner (its groups seed after seed on a CPU); elsewhere the feed-forward one" {
            use l = learner []
            Expect.equal l.Options.EpisodeBatch (System.Nullable 8) "smoke: 8 episodes per batch (AgentNetworks.EpisodeBatch)"
            Expect.equal (l.Options.Hidden, l.Options.TargetUpdate, l.Options.TdLambda) (64, 25, System.Nullable 0.6) "the code's agent, target interval, λ"
            use init = new torch.Generator(0UL)
            use xor = Learners.Create("cfcql", RunEnvironments.Resolve("xor").Spec, null, Profiles.Smoke, torch.CPU, init)
            Expect.isTrue (xor :? Cfcql) "a matrix game keeps the feed-forward learner"
            let inits = [| new torch.Generator(0UL); new torch.Generator(1UL) |]
            use recurrent = nonNull (Ensembles.TryCreate("cfcql", data.Value.Spec, null, Profiles.Smoke, torch.CPU, inits))
            Expect.isTrue (recurrent :? CfcqlEpisodesEnsemble) "SMAC-lite: the recurrent ensemble"
            Expect.isFalse (Ensembles.PaysOff("cfcql", data.Value.Spec, torch.CPU)) "which on a CPU is slower than seed after seed (bench_ensembles)"
            Expect.isFalse (Ensembles.PaysOff("omar", data.Value.Spec, torch.CPU)) "nor is OMAR's (bench_ensembles: 0.98 ×)"
            Expect.isTrue (Ensembles.PaysOff("inspo", data.Value.Spec, torch.CPU)) "InSPO's is not"
            let ensemble = Ensembles.TryCreate("cfcql", RunEnvironments.Resolve("xor").Spec, null, Profiles.Smoke, torch.CPU, inits)
            Expect.isNotNull ensemble "the games keep their ensemble"
            (nonNull ensemble).Dispose()
            // the feed-forward options' record has no episode fields, so finished game and Bridge cells stay reusable
            let json = JsonSerializer.Serialize(CfcqlOptions.For("xor", null, Profiles.Smoke))
            Expect.isFalse (json.Contains "EpisodeBatch" || json.Contains "TdLambda") json
            let e = TestPaths.catchException<System.ArgumentException> (fun () -> CfcqlOptions.For("xor", hyperOf [ "td_lambda", 0.5 ], Profiles.Smoke) |> ignore)
            Expect.stringContains e.Message "td_lambda" "an episode option is unknown off SMAC"
            // greedy execution: a one-hot on an available action, hidden state threaded
            use buffer = new DeviceEpisodeBuffer(data.Value, torch.CPU)
            let b = wholeBatch buffer
            let struct (p, h) = l.Act(b.Observations.select(1L, 0L), b.Available.select(1L, 0L), b.LastActions.select(1L, 0L), l.InitialState b.Count)
            Expect.isNotNull h "a hidden state"
            Expect.isTrue (p.sum(-1L).eq(torch.tensor 1.0f).all().item<bool>()) "one-hot rows"
            Expect.isTrue ((p * b.Available.select(1L, 0L).logical_not().to_type(torch.ScalarType.Float32)).sum().item<float32>() = 0.0f) "on available actions"
        }

        test "the README's table: per (map, dataset) cql_alpha and softmax_temp, as overrides by the option names" {
            Expect.equal (settings "2s3z" "medium") [ "cql_alpha", 0.1; "softmax_temp", 0.5 ] "2s3z medium"
            Expect.equal (settings "2s3z" "medium-replay") [ "cql_alpha", 5.0; "softmax_temp", 0.1 ] "the folders' spelling"
            Expect.equal (settings "5m_vs_6m" "expert") [ "cql_alpha", 50.0; "softmax_temp", 100.0 ] "argmax"
            Expect.equal (settings "6h_vs_8z" "mixed") [ "cql_alpha", 50.0; "softmax_temp", 1.0 ] "6h_vs_8z mixed"
            for m in SmacMaps.Names do
                for tier in [ "medium"; "medium_replay"; "expert"; "mixed" ] do
                    let o = CfcqlOptions.ForEpisodes(hyperOf (settings m tier), Profiles.Quick)
                    Expect.isGreaterThan o.CqlAlpha 0.0 (sprintf "%s %s accepted" m tier)
            Expect.throwsT<System.ArgumentException> (fun () -> CfcqlOptions.SmacSettings("2s3z", "poor") |> ignore) "unknown dataset"
        }

        test "counterfactual Q_tot at agent i's data action is the joint value Q_tot(s, a_D), every agent, every filled step" {
            use l = learner []
            use buffer = new DeviceEpisodeBuffer(data.Value, torch.CPU)
            train l buffer 30L
            use _ = torch.NewDisposeScope()
            let t = l.Terms(wholeBatch buffer)
            let atData = t.Counterfactual.gather(-1L, t.Actions.unsqueeze(-1L)).squeeze(-1L)        // K × N
            let scale = 1.0f + t.Total.abs().max().item<float32>()
            let gap = (atData - t.Total.unsqueeze(1L)).abs().max().item<float32>()
            Expect.isLessThan (gap / scale) 1e-5f (sprintf "|Q_tot(s, (a_D^i, a_D^-i)) − Q_tot(s, a_D)| = %g" gap)
            // and another action of agent i does change the joint value (the test is not vacuous)
            let available = t.Counterfactual.gt(torch.tensor -1e9f)
            let moved = torch.where(available, (t.Counterfactual - t.Total.view(-1L, 1L, 1L)).abs(), torch.zeros_like(t.Counterfactual))
            Expect.isGreaterThan (moved.max().item<float32>()) 1e-3f "other actions move Q_tot"
        }

        test "λ: temperature 0 gives exactly 1/N; the code's 100 gives one-hot rows; 5 gives neither" {
            use buffer = new DeviceEpisodeBuffer(data.Value, torch.CPU)
            let lambdaAt temperature =
                use l = learner [ "softmax_temp", temperature ]
                train l buffer 15L
                (l.Terms(wholeBatch buffer)).Lambda.detach()
            let n = float32 map.AgentCount
            Expect.equal ((lambdaAt 0.0 - 1.0f / n).abs().max().item<float32>()) 0.0f "τ = 0: λᵢ = 1/N"
            let argmax = lambdaAt 100.0
            Expect.isTrue (argmax.eq(torch.tensor 1.0f).sum(-1L).eq(torch.tensor 1L).all().item<bool>() && argmax.sum(-1L).eq(torch.tensor 1.0f).all().item<bool>()) "τ = 100: one-hot"
            let soft = lambdaAt 5.0
            Expect.isLessThan ((soft.sum(-1L) - 1.0f).abs().max().item<float32>()) 1e-5f "τ = 5: rows sum to 1"
            Expect.isGreaterThan ((soft - 1.0f / n).abs().max().item<float32>()) 1e-4f "τ = 5: not uniform"
            Expect.isLessThan (soft.max().item<float32>()) 1.0f "τ = 5: not one-hot"
        }

        test "the losses ignore padding: other values in every unfilled slot leave TD, CQL and the loss unchanged" {
            use l = learner []
            use buffer = new DeviceEpisodeBuffer(data.Value, torch.CPU)
            train l buffer 30L
            use _ = torch.NewDisposeScope()
            let b = wholeBatch buffer
            let filledSteps = b.Filled.sum().item<float32>()
            Expect.isLessThan filledSteps (float32 (b.Count * (b.Slots - 1L))) "the batch has padding"
            let g = new torch.Generator(11UL)
            let filled = b.Filled.gt(torch.tensor 0.0f)
            let keep (x: torch.Tensor) (noise: torch.Tensor) =
                let mutable mask = filled
                while mask.dim() < x.dim() do mask <- mask.unsqueeze(-1L)
                torch.where(mask.expand_as(x), x, noise.to_type(x.dtype))
            let noisy (x: torch.Tensor) scale = keep x (torch.randn(x.shape, generator = g) * scale)
            let coins (x: torch.Tensor) = keep x (torch.randint(2L, x.shape, generator = g))
            let a = int64 map.ActionCount
            let padded =
                EpisodeBatch(noisy b.Observations 5.0, noisy b.States 5.0, keep b.Actions (torch.randint(a, b.Actions.shape, generator = g)),
                             keep b.Available (torch.rand(b.Available.shape, generator = g).lt(torch.tensor 0.5f)),
                             noisy b.Rewards 10.0, coins b.Terminated, coins b.Truncated, b.Filled)
            Expect.isTrue (padded.Observations.ne(b.Observations).any().item<bool>()) "the padding did change"
            let x, y = l.Terms b, l.Terms padded
            for name, f in [ "loss", (fun (t: CfcqlEpisodeTerms) -> t.Loss); "td", (fun t -> t.Td); "cql", (fun t -> t.Cql) ] do
                Expect.equal ((f y).item<float32>()) ((f x).item<float32>()) name
        }

        test "a run through the runner on SMAC-lite finishes with a record and is deterministic: the same seed twice, the same result" {
            let first = runOn (TestPaths.scratchDir "cfcql-smac-a") false None
            let second = runOn (TestPaths.scratchDir "cfcql-smac-b") false None
            Expect.equal first.Steps budget.TotalSteps "every step (the trainer stops on a non-finite loss)"
            Expect.isTrue (File.Exists first.RecordPath) "a record"
            let record = File.ReadAllText first.RecordPath
            Expect.stringContains record "\"EpisodeBatch\": 8" "the episode options in the record"
            Expect.isTrue (first.Metrics.ContainsKey "win_rate") "SMAC metrics"
            Expect.equal (metrics second) (metrics first) "the same metrics"
            Expect.equal (checkpointValues second) (checkpointValues first) "the same final parameters"
        }

        test "a run killed in the Q phase resumes from its checkpoint to the same final parameters as an uninterrupted one" {
            let whole = runOn (TestPaths.scratchDir "cfcql-smac-whole") false None
            let root = TestPaths.scratchDir "cfcql-smac-killed"
            Expect.throwsT<RunInterruptedException> (fun () -> runOn root false (Some 17L) |> ignore) "stopped at step 17"
            let resumed = runOn root true None
            Expect.equal resumed.Steps whole.Steps "to the end"
            Expect.equal (checkpointValues resumed) (checkpointValues whole) "the same final parameters (networks, targets, β)"
            Expect.equal (metrics resumed) (metrics whole) "the same evaluation"
        }
    ]
