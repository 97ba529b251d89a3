/// OMAR and OMIGA on SMAC-lite with the settings of their public SMAC code (issue 14, Table 4): OMAR's episode learner
/// (masking, actor objective, critic targets), OMIGA's shared network, and both through the runner.
module InSPO.Tests.SmacOmarOmigaTests

open System
open System.Collections.Generic
open System.IO
open Expecto
open TorchSharp
open InSPO.Algorithms
open InSPO.Data
open InSPO.Envs.Smac
open InSPO.Nets
open InSPO.Training

let private smacSpec = SmacRunEnvironment(SmacMaps.Get "5m_vs_6m").Spec

/// A two-agent, two-action game's sizes (not a SMAC-lite map).
let private gameSpec = InSPO.Envs.EnvSpec("xor", 2, 2, 1, 1, 50)

let private hyper (pairs: (string * float) list) =
    Dictionary<string, float>(dict pairs) :> IReadOnlyDictionary<string, float>

let private omarOn (pairs: (string * float) list) =
    use init = new torch.Generator(3UL)
    match Learners.Create("omar", smacSpec, hyper pairs, Profiles.Smoke, torch.CPU, init) with
    | :? OmarEpisodes as l -> l
    | other -> failtestf "omar on a SMAC-lite map built %s" (other.GetType().Name)

let private value (t: torch.Tensor) = float (t.item<float32>())

/// Random-policy episodes on 5m_vs_6m: their lengths differ, so a batch of them holds padding slots.
let private randomEpisodes = lazy (SmacRunEnvironment.ScriptedDataset(SmacMaps.Get "5m_vs_6m", ScriptedPolicies.Random, 12, 5))

/// Every parameter and buffer of a learner, in module order, as host arrays.
let private weights (learner: IOfflineLearner) =
    [ for struct (name, m) in learner.Modules do
        for p in m.parameters() -> name, p.detach().cpu().data<float32>().ToArray() ]

let private runSpec algo seed root = RunSpec("smac:5m_vs_6m", "focus-fire", algo, seed, "smoke", "cpu", null, root)

/// 100 focus-fire episodes, collected once for every run here (the named dataset collects 1000 per run).
let private focusFire = lazy (SmacRunEnvironment.ScriptedDataset(SmacMaps.Get "5m_vs_6m", ScriptedPolicies.FocusFire, 100, 2))

/// Two runs of one seed agree; a run killed at step 30 and resumed ends with the uninterrupted run's weights and
/// evaluation, bit for bit.
let private deterministicAndResumable algo =
    let data = focusFire.Force()
    let whole = Runner.Run(runSpec algo 1 (TestPaths.scratchDir (algo + "-smac-a")), RunControl(DatasetOverride = data))
    let again = Runner.Run(runSpec algo 1 (TestPaths.scratchDir (algo + "-smac-b")), RunControl(DatasetOverride = data))
    let killedRoot = TestPaths.scratchDir (algo + "-smac-killed")
    Expect.throwsT<RunInterruptedException> (fun () -> Runner.Run(runSpec algo 1 killedRoot, RunControl(DatasetOverride = data, StopAfter = 30L)) |> ignore) "stopped at 30"
    let resumed = Runner.Run(runSpec algo 1 killedRoot, RunControl(DatasetOverride = data, Resume = true))
    for r in [ whole; again; resumed ] do
        Expect.equal r.Steps Profiles.Smoke.TotalSteps "the whole smoke budget"
        for KeyValue(k, v) in r.Metrics do Expect.isTrue (Double.IsFinite v) (sprintf "%s finite" k)
        Expect.isTrue (r.Metrics.ContainsKey "win_rate") "SMAC-lite evaluation"
    let metrics (r: RunResult) = r.Metrics |> Seq.map (fun kv -> kv.Key, kv.Value) |> Seq.sort |> Seq.toList
    Expect.equal (metrics again) (metrics whole) "the same seed twice: the same evaluation"
    Expect.equal (metrics resumed) (metrics whole) "resumed: the same evaluation"
    // the final checkpoints' weights, loaded into fresh learners
    let load (r: RunResult) =
        use init = new torch.Generator(0UL)
        let learner = Learners.Create(algo, smacSpec, null, Profiles.Smoke, torch.CPU, init)
        Checkpoint.Load(Path.Combine(Runner.RunDirectory r.Spec, "checkpoint.bin"), learner, TrainerState(new torch.Generator(0UL)))
        let w = weights learner
        learner.Dispose()
        w
    let reference = load whole
    Expect.isTrue (reference.Length > 0) "weights to compare"
    Expect.isTrue (load again = reference) "the same seed twice: bit-identical weights"
    Expect.isTrue (load resumed = reference) "killed and resumed: bit-identical weights"
    whole

[<Tests>]
let tests =
    testList "smac omar omiga" [
        test "omar on a SMAC-lite map is the episode learner with the CFCQL code's settings; on games the transition learner" {
            use l = omarOn []
            let o = l.Options
            Expect.equal (o.OmarCoe, o.CqlWeight, o.Gamma, o.Lambda, o.LearningRate, o.GradClip) (0.5, 5.0, 0.99, 0.6, 1e-3, 10.0) "the code's numbers"
            Expect.equal o.Actor (AgentNetworkOptions.SharedRecurrent 64) "shared GRU actor with id and last action"
            Expect.equal o.CriticHidden 256 "critic 256 units"
            Expect.equal o.EpisodeBatch (AgentNetworks.EpisodeBatch Profiles.Smoke) "episodes per batch from the one rule"
            Expect.equal o.TargetInterval 25 "hard copy every 25 updates (200 'episodes' at 8 per update)"
            use init = new torch.Generator(0UL)
            use game = Learners.Create("omar", gameSpec, null, Profiles.Smoke, torch.CPU, init)
            Expect.isTrue (game :? Omar) "games keep the transition learner"
            use inits = new torch.Generator(0UL)
            use omarEnsemble = nonNull (Ensembles.TryCreate("omar", smacSpec, null, Profiles.Smoke, torch.CPU, [| inits |]))
            Expect.isTrue (omarEnsemble :? OmarEpisodesEnsemble) "omar on SMAC-lite: the recurrent episode ensemble"
            use omigaInits = new torch.Generator(0UL)
            use omiga = nonNull (Ensembles.TryCreate("omiga", smacSpec, null, Profiles.Smoke, torch.CPU, [| omigaInits |]))
            Expect.isTrue (omiga :? OmigaEnsemble) "omiga: its ensemble takes the shared SMAC-lite MLP (SmacEnsembleTests)"
        }

        test "omar's masked losses ignore padding slots (and not the filled ones)" {
            use l = omarOn []
            use buffer = new DeviceEpisodeBuffer(randomEpisodes.Force(), torch.CPU)
            let b = buffer.GatherEpisodes(torch.arange(12L, dtype = torch.int64))
            let lengths = b.Filled.sum(1L).to_type(torch.int64)
            Expect.isTrue ((lengths.min().item<int64>()) + 1L < b.Slots) "the batch has padding after some episode's final slot"
            let g = new torch.Generator(7UL)
            let slot = torch.arange(b.Slots, dtype = torch.int64).unsqueeze(0L)
            let after = slot.gt(lengths.unsqueeze(1L))          // beyond the final observation: pure padding
            let fromFinal = slot.ge(lengths.unsqueeze(1L))      // the final slot's action and reward are never learnt from
            let noise (t: torch.Tensor) = torch.randn(t.shape, generator = g) * 10.0
            let garbled =
                EpisodeBatch(
                    torch.where(after.unsqueeze(-1L).unsqueeze(-1L), noise b.Observations, b.Observations),
                    torch.where(after.unsqueeze(-1L), noise b.States, b.States),
                    torch.where(fromFinal.unsqueeze(-1L), torch.randint(0L, 12L, b.Actions.shape, generator = g, dtype = torch.int64), b.Actions),
                    torch.where(after.unsqueeze(-1L).unsqueeze(-1L), torch.rand(b.Available.shape, generator = g).gt(torch.tensor 0.5), b.Available),
                    torch.where(fromFinal, noise b.Rewards, b.Rewards),
                    torch.where(after, torch.rand(b.Terminated.shape, generator = g).gt(torch.tensor 0.5).to_type(torch.float32), b.Terminated),
                    b.Truncated, b.Filled)
            let struct (critic, actor, pg, rect) = l.Losses b
            let struct (critic', actor', pg', rect') = l.Losses garbled
            for name, x, y in [ "critic", critic, critic'; "actor", actor, actor'; "policy gradient", pg, pg'; "rectification", rect, rect' ] do
                Expect.isTrue (Double.IsFinite(value x)) (name + " finite")
                Expect.floatClose Accuracy.veryHigh (value y) (value x) (name + ": padding changes nothing")
            // the same garbling on a filled slot does change the critic's loss
            let filledReward = b.Rewards.clone()
            filledReward[0L, 0L] <- torch.tensor 50.0f
            let struct (critic'', _, _, _) = l.Losses(EpisodeBatch(b.Observations, b.States, b.Actions, b.Available, filledReward, b.Terminated, b.Truncated, b.Filled))
            Expect.isGreaterThan (abs (value critic'' - value critic)) 1e-3 "a filled slot's reward counts"
        }

        test "omar's actor loss at omar_coe = 1 is exactly the masked MSE between π and the one-hot of the greedy available action" {
            let g = new torch.Generator(11UL)
            let rows, actions = 40L, 6L
            let available = torch.rand([| rows; actions |], generator = g).gt(torch.tensor 0.4)
            available[torch.TensorIndex.Colon, torch.TensorIndex.Single 0L] <- torch.tensor true   // no-op always available
            let logPi = MaskedCategorical.LogProbs(torch.randn([| rows; actions |], generator = g), available)
            let q = torch.randn([| rows; actions |], generator = g) * 3.0
            let taken = torch.randint(0L, actions, [| rows |], generator = g, dtype = torch.int64)
            let mask = torch.rand([| rows |], generator = g).gt(torch.tensor 0.3).to_type(torch.float32)
            let struct (loss, pg, rect) = OmarEpisodes.ActorLoss(logPi, q, taken, available, mask, 1.0)
            // by hand: per masked row, (1/|A|) Σ_a (π(a) − 1[a = argmax over available of Q])²
            let p = logPi.exp().data<float32>().ToArray()
            let qs = q.data<float32>().ToArray()
            let av = available.data<bool>().ToArray()
            let m = mask.data<float32>().ToArray()
            let mutable total, count = 0.0, 0.0
            for r in 0 .. int rows - 1 do
                if m[r] > 0.0f then
                    let best = [ 0 .. int actions - 1 ] |> List.filter (fun a -> av[r * int actions + a]) |> List.maxBy (fun a -> qs[r * int actions + a])
                    let mse = [ 0 .. int actions - 1 ] |> List.averageBy (fun a -> (float p[r * int actions + a] - (if a = best then 1.0 else 0.0)) ** 2.0)
                    total <- total + mse
                    count <- count + 1.0
            Expect.floatClose Accuracy.high (value loss) (total / count) "loss = masked MSE to the greedy one-hot"
            Expect.equal (value loss) (value rect) "and nothing of the policy gradient"
            Expect.isGreaterThan (abs (value pg)) 1e-4 "while the policy-gradient term is not zero"
            let struct (half, pgHalf, rectHalf) = OmarEpisodes.ActorLoss(logPi, q, taken, available, mask, 0.5)
            Expect.floatClose Accuracy.high (value half) (0.5 * value pgHalf + 0.5 * value rectHalf) "omar_coe 0.5 mixes the two"
            // through the learner: its actor loss at omar_coe = 1 is its rectification term
            use l = omarOn [ "omar_coe", 1.0 ]
            use buffer = new DeviceEpisodeBuffer(randomEpisodes.Force(), torch.CPU)
            let struct (_, actor, _, rectification) = l.Losses(buffer.GatherEpisodes(torch.arange(6L, dtype = torch.int64)))
            Expect.equal (value actor) (value rectification) "the learner's actor loss at omar_coe = 1"
        }

        test "omar's critic target is the minimum of the two heads' TD(λ) returns" {
            // one episode of two real steps (terminated at the second), two agents, three slots; γ 0.99, λ 0.6
            let rewards = torch.tensor([| 1.0f; 2.0f; 0.0f |]).view(1L, 3L)
            let isDone = torch.tensor([| 0.0f; 1.0f; 0.0f |]).view(1L, 3L)
            let filled = torch.tensor([| 1.0f; 1.0f; 0.0f |]).view(1L, 3L)
            // slot-major values [slot][agent]: head 1 is larger for agent 0, head 2 for agent 1
            let head1 = torch.tensor([| 0.0f; 0.0f; 10.0f; -2.0f; 7.0f; 7.0f |]).view(1L, 3L, 2L)
            let head2 = torch.tensor([| 0.0f; 0.0f; 3.0f; 4.0f; -5.0f; -5.0f |]).view(1L, 3L, 2L)
            let y = OmarEpisodes.CriticTargets(rewards, isDone, filled, head1, head2, 0.99, 0.6).data<float32>().ToArray()
            // G₀ = 1 + 0.99 (0.4 Q̄(s₁) + 0.6 G₁), G₁ = 2 (terminated): agent 0 min(6.148, 3.376), agent 1 min(1.396, 3.772)
            let expected = [| 3.376; 1.396; 2.0; 2.0 |]
            Expect.equal y.Length 4 "B × (T − 1) × N"
            for k in 0 .. 3 do Expect.floatClose Accuracy.medium (float y[k]) expected[k] (sprintf "target %d" k)
            let swapped = OmarEpisodes.CriticTargets(rewards, isDone, filled, head2, head1, 0.99, 0.6).data<float32>().ToArray()
            Expect.equal swapped y "symmetric in the heads"
        }

        test "omiga on a SMAC-lite map: one MLP shared across agents with the agent id, the SMAC branch's settings" {
            use init = new torch.Generator(0UL)
            use l = Learners.Create("omiga", smacSpec, null, Profiles.Quick, torch.CPU, init)
            let o = (l :?> IHasOptions).Options :?> OmigaOptions
            Expect.equal o.Network (AgentNetworkOptions(AgentNetworkKind.Mlp, true, true, false, 256)) "shared MLP with id, 256 units"
            Expect.equal (o.Alpha, o.LearningRate, o.GradClip, o.Tau, o.Gamma, o.BatchSize, o.MixerHidden) (10.0, 5e-4, 1.0, 0.005, 0.99, 128, 64) "α, lr, clip, τ, γ, batch, mixer"
            Expect.equal [ for struct (n, _) in l.Modules -> n ] [ "pi"; "q"; "q_target"; "v"; "v_target"; "mixer"; "mixer_target" ] "one network per role"
            use initGame = new torch.Generator(0UL)
            use game = Learners.Create("omiga", gameSpec, null, Profiles.Quick, torch.CPU, initGame)
            Expect.isNull ((game :?> IHasOptions).Options :?> OmigaOptions).Network "games: per-agent networks, as before"
        }

        test "omar on SMAC-lite through the runner: finite, deterministic, resumes bit-identically" {
            let r = deterministicAndResumable "omar"
            printfn "omar smoke on 5m_vs_6m focus-fire: %A" (r.Metrics |> Seq.map (fun kv -> kv.Key, kv.Value) |> Seq.toList)
        }

        test "omiga on SMAC-lite through the runner: finite, deterministic, resumes bit-identically" {
            let r = deterministicAndResumable "omiga"
            printfn "omiga smoke on 5m_vs_6m focus-fire: %A" (r.Metrics |> Seq.map (fun kv -> kv.Key, kv.Value) |> Seq.toList)
        }
    ]
