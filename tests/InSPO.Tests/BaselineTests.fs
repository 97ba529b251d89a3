/// The OMAR and AlberDICE baselines (SPEC 8): their defining pieces as properties, and a tiny end-to-end run of each
/// through the Runner. Budgets are tiny so the list stays within seconds.
module InSPO.Tests.BaselineTests

open System
open System.IO
open System.Collections.Generic
open Expecto
open TorchSharp
open InSPO.Algorithms
open InSPO.Data
open InSPO.Training
open InSPO.Tests.RunFixtures

[<Tests>]
let tests =
    testList "baselines" [
        test "AlberDICE's data loading: window slice, terminal → learned absorbing state, flag feature (tiny hand episode)" {
            // 2 agents, 2 actions, O = 1, S = 1, limit 5 (6 slots); episode 0 ends at t = 1, episode 1 runs to the limit.
            let spec = InSPO.Envs.EnvSpec("hand", 2, 2, 1, 1, 5)
            let d = EpisodeDataset.Empty(spec, 2)
            for e in 0 .. 1 do
                for t in 0 .. 5 do
                    let slot = d.SlotIndex(e, t)
                    d.States[slot] <- float32 (10 * e + t + 1)
                    for i in 0 .. 1 do
                        d.Observations[d.ObservationIndex(e, t, i)] <- float32 (100 * (e + 1) + 10 * i + t)
                        d.Actions[d.ActionIndex(e, t, i)] <- (t + i) % 2
                        d.AvailableActions[d.AvailableActionsIndex(e, t, i)] <- true
                        d.AvailableActions[d.AvailableActionsIndex(e, t, i) + 1] <- true
            for t in 0 .. 1 do
                d.Filled[d.SlotIndex(0, t)] <- true
                d.Rewards[d.SlotIndex(0, t)] <- -1.0f
            d.Terminated[d.SlotIndex(0, 1)] <- true
            for t in 0 .. 4 do
                d.Filled[d.SlotIndex(1, t)] <- true
                d.Rewards[d.SlotIndex(1, t)] <- -2.0f
            d.Terminated[d.SlotIndex(1, 4)] <- true
            let r = AbsorbingStates.Apply(d, 5, 0)   // keep 5 slots: 4 transitions per episode
            Expect.equal (r.Spec.ObservationSize, r.Spec.StateSize, r.Steps) (2, 2, 5) "one flag feature; window of 5 slots"
            Expect.isFalse (Array.exists id r.Terminated) "no terminal flag remains"
            // episode 0: t = 0, 1 real (1 terminal); t = 2 the real final observation; t = 3, 4 absorbing
            Expect.equal [ for t in 0 .. 4 -> r.Filled[r.SlotIndex(0, t)] ] [ true; true; true; true; false ] "every slot but the last is a transition"
            Expect.equal [ for t in 0 .. 3 -> r.Rewards[r.SlotIndex(0, t)] ] [ -1.0f; -1.0f; 0.0f; 0.0f ] "reward 0 after the terminal"
            Expect.equal [ for t in 0 .. 4 -> r.State(0, t).ToArray() ] [ [| 1f; 0f |]; [| 2f; 0f |]; [| 3f; 0f |]; [| 0f; 1f |]; [| 0f; 1f |] ] "state: real (flag 0) up to the final observation, then zero with flag 1"
            Expect.equal (r.Observation(0, 2, 1).ToArray()) [| 112f; 0f |] "the final observation is kept"
            Expect.equal (r.Observation(0, 3, 0).ToArray()) [| 0f; 1f |] "absorbing observation"
            for t in 2 .. 4 do
                let joint = [| r.Actions[r.ActionIndex(0, t, 0)]; r.Actions[r.ActionIndex(0, t, 1)] |]
                Expect.contains [ [| 0; 1 |]; [| 1; 0 |] ] joint (sprintf "t = %d: actions copied from a slot ≤ the terminal one" t)
            // episode 1 runs past the window: cut, no terminal, no absorbing slot
            Expect.equal [ for t in 0 .. 4 -> r.Filled[r.SlotIndex(1, t)] ] [ true; true; true; true; false ] "cut episode: 4 transitions"
            Expect.equal [ for t in 0 .. 3 -> r.Rewards[r.SlotIndex(1, t)] ] [ -2.0f; -2.0f; -2.0f; -2.0f ] "cut episode: rewards kept"
            Expect.equal [ for t in 0 .. 4 -> r.State(1, t).ToArray() ] [ for t in 0 .. 4 -> [| float32 (11 + t); 0f |] ] "cut episode: real states"
            let all = AbsorbingStates.Apply(d, 0, 0)
            Expect.equal all.Steps 6 "window 0 keeps every slot"
            Expect.equal [ for t in 0 .. 5 -> all.Filled[all.SlotIndex(1, t)] ] [ true; true; true; true; true; false ] "an episode ending at the limit: its last slot is the final observation, nothing to pad"
            Expect.equal (all.Rewards[all.SlotIndex(1, 4)]) -2.0f "its last transition bootstraps (no terminal)"
        }

        test "OMAR's regression target is the one-hot argmax of Q over the available actions only" {
            let rng = Random 11
            for case in 1 .. 200 do
                let k, a = 1 + rng.Next 6, 2 + rng.Next 5
                let q = Array.init (k * a) (fun _ -> float32 (rng.NextDouble() * 10.0 - 5.0))
                let avail = Array.init (k * a) (fun _ -> rng.NextDouble() < 0.5)
                for row in 0 .. k - 1 do avail[row * a + rng.Next a] <- true   // at least one available per row
                use qt = torch.tensor(q).reshape(int64 k, int64 a)
                use at = torch.tensor(avail).reshape(int64 k, int64 a)
                let target = Omar.BestActionTarget(qt, at).data<float32>().ToArray()
                for row in 0 .. k - 1 do
                    let t = target[row * a .. row * a + a - 1]
                    Expect.equal (Array.sum t) 1.0f (sprintf "case %d row %d: one-hot" case row)
                    let chosen = Array.findIndex (fun x -> x = 1.0f) t
                    Expect.isTrue avail[row * a + chosen] (sprintf "case %d row %d: the chosen action is available" case row)
                    let bestAvailable = [ for j in 0 .. a - 1 do if avail[row * a + j] then q[row * a + j] ] |> List.max
                    Expect.equal q[row * a + chosen] bestAvailable (sprintf "case %d row %d: the best available Q" case row)
        }

        test "AlberDICE's teammate ratio ρ = π^{-i}/μ^{-i} is clamped at its maximum and rows are redrawn ∝ ρ" {
            let logPi = torch.tensor [| log 0.5f; log 0.2f; log 0.9f; log 0.3f |]
            let logMu = torch.tensor [| log 1.0f; log 0.1f; log 0.001f; log 0.3f |]
            let rho = AlberDice.Ratio(logPi, logMu, 100.0).data<float32>().ToArray()
            let expected = [| 0.5; 2.0; 100.0; 1.0 |]   // 0.9 / 0.001 = 900 → clamped at 100
            for k in 0 .. 3 do Expect.floatClose Accuracy.medium (float rho[k]) expected[k] (sprintf "ρ[%d]" k)
            let huge = AlberDice.Ratio(torch.tensor [| 1e4f |], torch.tensor [| -1e4f |], 100.0).item<float32>()
            Expect.equal huge 100.0f "no overflow: an enormous ratio gives exactly the clamp"
            let g = new torch.Generator(3UL)
            let n = 200_000L
            let idx = DeviceEpisodeBuffer.ResampleIndices(AlberDice.Ratio(logPi, logMu, 100.0), n, g)
            let counts = torch.bincount(idx, minlength = 4L).data<int64>().ToArray()
            let total = Array.sum expected
            for k in 0 .. 3 do
                Expect.isLessThan (abs (float counts[k] / float n - expected[k] / total)) 0.005 (sprintf "row %d drawn ∝ ρ" k)
        }

        test "AlberDICE's ν dual equals its closed form α·log(ρ̄·mean exp(ê/α)) + (1−γ)·mean ν on a hand case" {
            let e = [| 0.2; -0.1; 0.5; 1.5 |]
            let nuStates = [| 1.0; 2.0; -0.5 |]
            let rhoBar, alpha, gamma = 1.3, 0.5, 0.9
            let got =
                AlberDice.NuDual(torch.tensor(Array.map float32 e), rhoBar, torch.tensor(Array.map float32 nuStates), alpha, gamma).item<float32>()
            let expected = alpha * log (rhoBar * (e |> Array.averageBy (fun x -> exp (x / alpha)))) + (1.0 - gamma) * Array.average nuStates
            Expect.floatClose Accuracy.medium (float got) expected "closed form"
            // a small α: the logsumexp form stays finite where the naive exp(ê/α) overflows float32
            let sharp = AlberDice.NuDual(torch.tensor [| 100.0f; 0.0f |], 1.0, torch.tensor [| 0.0f |], 0.001, 0.99).item<float32>()
            Expect.floatClose Accuracy.medium (float sharp) (100.0 + 0.001 * log 0.5) "α·log mean exp(ê/α) → max ê as α → 0"
        }

        test "AlberDICE's α anneals geometrically from 5 to 0.001; learning rates are the code's 1e-4 at the paper profile" {
            let o = AlberDiceOptions.For("xor", null, tiny)
            Expect.equal (o.AlphaAt(0L, 101L)) 5.0 "α_start"
            Expect.floatClose Accuracy.high (o.AlphaAt(100L, 101L)) 0.001 "α_end"
            Expect.floatClose Accuracy.high (o.AlphaAt(50L, 101L)) (sqrt (5.0 * 0.001)) "geometric mean halfway"
            let paper = AlberDiceOptions.For("xor", null, Profiles.Paper)
            Expect.equal (paper.LearningRate, paper.NuLearningRate) (1e-4, 1e-4) "paper profile"
            Expect.equal (o.LearningRate, o.NuLearningRate) (1e-3, 1e-3) "CPU profiles"
        }

        test "AlberDICE loads data as the code: absorbing states everywhere, Bridge sliced to 21 slots, behaviour models fitted throughout" {
            let xor = AlberDiceOptions.For("xor", null, tiny)
            let bridge = AlberDiceOptions.For("bridge", null, tiny)
            Expect.equal (xor.Absorbing, xor.Window, xor.BehaviourThroughout) (true, 0, true) "matrix games: every slot kept"
            Expect.equal (bridge.Absorbing, bridge.Window) (true, InSPO.Envs.BridgeEnv.EvaluationEpisodeLimit + 1) "Bridge: episode_limit + 1 slots"
            let h = Dictionary<string, float>(dict [ "absorbing", 0.0; "window", 5.0; "behaviour_throughout", 0.0 ])
            let off = AlberDiceOptions.For("bridge", h, tiny)
            Expect.equal (off.Absorbing, off.Window, off.BehaviourThroughout) (false, 5, false) "overrides"
            // a tiny Bridge run: the learner trains on 9-feature absorbing data and acts on the env's 8 features
            let root = TestPaths.scratchDir "baseline-alberdice-bridge"
            let r = Runner.Run(spec "bridge" "optimal" "alberdice" 0 root [], RunControl(ProfileOverride = tiny, TensorBoard = false))
            Expect.equal r.Steps tiny.TotalSteps "every step"
            Expect.isTrue (Double.IsFinite r.Metrics["return_normalised"]) "evaluated"
        }

        test "unknown hyperparameters of OMAR and AlberDICE are refused by name" {
            let root = TestPaths.scratchDir "baseline-bad"
            for algo, typo in [ "omar", "omar_ceo"; "alberdice", "alpha_strat" ] do
                let e = TestPaths.catchException<ArgumentException> (fun () -> Runner.Run(spec "xor" "a" algo 0 root [ typo, 1.0 ], RunControl(ProfileOverride = tiny)) |> ignore)
                Expect.stringContains e.Message typo (sprintf "%s names the typo" algo)
        }

        test "OMAR and AlberDICE run end to end through the Runner and record their resolved options" {
            for algo, key in [ "omar", "OmarCoe"; "alberdice", "AlphaStart" ] do
                let root = TestPaths.scratchDir ("baseline-" + algo)
                let r = Runner.Run(spec "xor" "b" algo 0 root [], RunControl(ProfileOverride = tiny, TensorBoard = false))
                Expect.equal r.Steps tiny.TotalSteps (sprintf "%s: every step" algo)
                Expect.isTrue (r.Metrics["return"] >= -2.0 && r.Metrics["return"] <= 1.0) (sprintf "%s: exact return within XOR's range" algo)
                for p in r.FinalPolicy do Expect.floatClose Accuracy.high (Array.sum p) 1.0 (sprintf "%s: a distribution per agent" algo)
                let json = File.ReadAllText r.RecordPath
                Expect.stringContains json key (sprintf "%s: options in the record" algo)
        }
    ]
