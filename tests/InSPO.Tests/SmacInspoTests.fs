/// InSPO on episodes with recurrent policies (issue 14): the learner SMAC-lite maps get.
module InSPO.Tests.SmacInspoTests

open System
open Expecto
open TorchSharp
open InSPO.Algorithms
open InSPO.Data
open InSPO.Envs.Smac
open InSPO.Training
open InSPO.Tests.RunFixtures

/// Focus-fire episodes of a map (scripted, greedy): small and quick to collect.
let private scripted map episodes seed =
    SmacRunEnvironment.ScriptedDataset(SmacMaps.Get map, ScriptedPolicies.FocusFire, episodes, seed)

let private values (t: torch.Tensor) = t.to_type(torch.float32).contiguous().data<float32>().ToArray()

/// Random episode grids for Eq. 24's TD(λ) target: B episodes of T slots, episode b filled for its first L_b slots,
/// its last step done or not; π, μ, Q̄ over A actions at every slot; α, β, γ, λ.
type private LambdaCase =
    { Rewards: float32[,]; Done: float32[,]; Filled: float32[,]; LogPi: float32[,,]; LogMu: float32[,,]; Q: float32[,,]
      Lengths: int[]; Alpha: float; Beta: float; Gamma: float; Lambda: float }

let private lambdaCase (seed: int) =
    let rng = Random seed
    let episodes, slots, actions = rng.Next(1, 4), rng.Next(2, 9), rng.Next(1, 5)
    let lengths = Array.init episodes (fun _ -> rng.Next(1, slots))
    let logSoftmax () =
        let x = Array.init actions (fun _ -> rng.NextDouble() * 4.0 - 2.0)
        let z = log (Array.sumBy exp x)
        Array.map (fun v -> float32 (v - z)) x
    let grid () = let g = Array3D.zeroCreate episodes slots actions
                  for b in 0 .. episodes - 1 do for t in 0 .. slots - 1 do Array.iteri (fun a v -> g[b, t, a] <- v) (logSoftmax ())
                  g
    let filled = Array2D.init episodes slots (fun b t -> if t < lengths[b] then 1f else 0f)
    { Rewards = Array2D.init episodes slots (fun b t -> if t < lengths[b] then float32 (rng.NextDouble() * 2.0 - 0.5) else 0f)
      Done = (let lastDone = Array.init episodes (fun _ -> rng.Next 2 = 1)
              Array2D.init episodes slots (fun b t -> if t = lengths[b] - 1 && lastDone[b] then 1f else 0f))
      Filled = filled; LogPi = grid (); LogMu = grid ()
      Q = Array3D.init episodes slots actions (fun _ _ _ -> float32 (rng.NextDouble() * 10.0 - 5.0))
      Lengths = lengths; Alpha = rng.NextDouble() * 2.0; Beta = rng.NextDouble() * 2.0
      Gamma = (if rng.Next 2 = 0 then 0.9 else 0.99); Lambda = rng.NextDouble() }

let private lambdaTargets (c: LambdaCase) lambda =
    let t2 (x: float32[,]) = torch.tensor(x)
    let t3 (x: float32[,,]) = torch.tensor(x)
    InspoObjectives.LambdaCriticTargets(t2 c.Rewards, t2 c.Done, t2 c.Filled, t3 c.LogPi, t3 c.LogMu, t3 c.Q, c.Gamma, lambda, c.Alpha, c.Beta)

[<Tests>]
let tests =
    testList "inspo on episodes" [
        testProperty "Eq. 24's TD(λ) target: the λ-weighted n-step soft returns (forward view), Eq. 24's y at λ = 0" <| fun (seed: int) ->
            let c = lambdaCase seed
            // written from the definitions, in doubles: V_s = E_π Q̄(s,·), R_s = −α KL(π‖μ) + β H(π) at slot s,
            // n-step G⁽ⁿ⁾_t = r_t + γ(1 − d_t)(R_{t+1} + G⁽ⁿ⁻¹⁾_{t+1}), G⁽⁰⁾_t = V_t, and with m steps left
            // G^λ_t = (1 − λ) Σ_{n<m} λⁿ⁻¹ G⁽ⁿ⁾_t + λᵐ⁻¹ G⁽ᵐ⁾_t
            let actions = c.Q.GetLength 2
            let pi b s a = exp (float c.LogPi[b, s, a])
            let value b s = Seq.sum [ for a in 0 .. actions - 1 -> pi b s a * float c.Q[b, s, a] ]
            let soft b s = Seq.sum [ for a in 0 .. actions - 1 -> -c.Alpha * pi b s a * float (c.LogPi[b, s, a] - c.LogMu[b, s, a])
                                                                  - c.Beta * pi b s a * float c.LogPi[b, s, a] ]
            let rec nStep b t n =
                if n = 0 then value b t
                else float c.Rewards[b, t] + c.Gamma * (1.0 - float c.Done[b, t]) * (soft b (t + 1) + nStep b (t + 1) (n - 1))
            let forward b t lambda =
                let m = c.Lengths[b] - t
                (1.0 - lambda) * Seq.sum [ for n in 1 .. m - 1 -> lambda ** float (n - 1) * nStep b t n ] + lambda ** float (m - 1) * nStep b t m
            use _ = torch.NewDisposeScope()
            for lambda in [ c.Lambda; 0.0; 1.0 ] do
                let g = lambdaTargets c lambda
                for b in 0 .. c.Lengths.Length - 1 do
                    for t in 0 .. c.Lengths[b] - 1 do
                        Expect.floatClose { absolute = 1e-3; relative = 1e-4 } (g[b, t].item<float32>() |> float) (forward b t lambda)
                            (sprintf "G_%d of episode %d, λ = %g" t b lambda)
            // λ = 0 is Eq. 24's one-step y at every step, from the next slot's π, μ, Q̄
            let g0 = lambdaTargets c 0.0
            for b in 0 .. c.Lengths.Length - 1 do
                for t in 0 .. c.Lengths[b] - 1 do
                    let at (x: float32[,,]) = torch.tensor(Array.init actions (fun a -> x[b, t + 1, a])).unsqueeze(0L)
                    let y = InspoObjectives.CriticTarget(torch.tensor [| c.Rewards[b, t] |], torch.tensor [| c.Done[b, t] |], c.Gamma,
                                                         at c.LogPi, at c.LogMu, at c.Q, c.Alpha, c.Beta)
                    Expect.floatClose { absolute = 1e-4; relative = 1e-5 } (float (g0[b, t].item<float32>())) (float (y[0].item<float32>()))
                        (sprintf "λ = 0: y_%d of episode %d" t b)

        test "the filled steps of a batch holding every episode in order are the dataset's transitions" {
            let data = scripted "2s3z" 5 1
            use buffer = new DeviceEpisodeBuffer(data, torch.CPU)
            let steps = EpisodeSteps.Of(buffer.GatherEpisodes(torch.arange(int64 data.Episodes, dtype = torch.int64)))
            let all = buffer.All()
            Expect.equal steps.Count all.Count "one row per filled step"
            for name, ours, theirs in [ "states", steps.Rows.States, all.States; "next states", steps.Rows.NextStates, all.NextStates
                                        "rewards", steps.Rows.Rewards, all.Rewards; "done", steps.Rows.Done, all.Done
                                        "terminated", steps.Rows.Terminated, all.Terminated; "actions", steps.Rows.Actions, all.Actions
                                        "next available", steps.Rows.NextAvailable, all.NextAvailable ] do
                Expect.equal (values ours) (values theirs) name
        }

        test "SMAC-lite maps get the recurrent learner, games the feed-forward one" {
            let smac = (scripted "5m_vs_6m" 2 0).Spec
            use init = new torch.Generator(0UL)
            use a = Learners.Create("inspo", smac, null, tiny, torch.CPU, init)
            Expect.isTrue (a :? InspoEpisodes) "5m_vs_6m: InspoEpisodes"
            let options = (a :?> InspoEpisodes).Options
            Expect.isTrue options.AlphaAuto "SMAC default: α auto-tuned (Eq. 25)"
            Expect.equal options.GradClip 10.0 "SMAC default: gradient clip 10"
            use b = Learners.Create("inspo", InSPO.Envs.EnvSpec("xor", 2, 2, 1, 1, 1), null, tiny, torch.CPU, init)
            Expect.isTrue (b :? Inspo) "XOR: Inspo"
            // TD(λ) needs whole episodes, and a λ in [0, 1]
            let refused env (hyper: (string * float) list) named =
                let h = Collections.Generic.Dictionary<string, float>(dict hyper) :> Collections.Generic.IReadOnlyDictionary<string, float>
                let e = TestPaths.catchException<ArgumentException> (fun () -> InspoOptions.For(env, h, tiny) |> ignore)
                Expect.stringContains e.Message named (sprintf "%s %A refused" env hyper)
            refused "xor" [ "td_lambda", 0.5 ] "needs whole episodes"
            refused "5m_vs_6m" [ "td_lambda", 1.5 ] "must be in [0, 1]"
            Expect.equal (InspoOptions.For("5m_vs_6m", null, tiny)).TdLambda 0.0 "SPEC 3's one-step target by default"
        }

        test "the policy training unrolls is the policy the evaluator steps through Act, at every filled step" {
            let data = scripted "2s3z" 6 2
            use init = new torch.Generator(3UL)
            use learner = Learners.Create("inspo", data.Spec, null, tiny, torch.CPU, init) :?> InspoEpisodes
            use buffer = new DeviceEpisodeBuffer(data, torch.CPU)
            // train a little so the policies are not their near-uniform start
            Trainer.Train(learner, buffer, TrainerState(new torch.Generator(4UL)), 30L) |> ignore
            use _ = torch.NewDisposeScope()
            let b = buffer.GatherEpisodes(torch.tensor [| 0L; 3L; 5L |])
            let unrolled = learner.PolicyLogProbs(b).exp()                      // B × T × N × A
            let mutable hidden = learner.InitialState(b.Count)
            let last = b.LastActions
            for t in 0 .. int b.Slots - 2 do
                let struct (probs, next) = learner.Act(b.Observations.select(1, t), b.Available.select(1, t), last.select(1, t), hidden)
                hidden <- next
                let filled = values (b.Filled.select(1, t))
                for k in 0 .. int b.Count - 1 do
                    if filled[k] > 0f then
                        let stepped, trained = values probs[k], values (unrolled.select(1, t)[k])
                        Array.iter2 (fun (x: float32) (y: float32) -> Expect.isLessThan (abs (x - y)) 1e-5f (sprintf "episode %d step %d" k t)) stepped trained
        }

        test "a SMAC-lite run is finite and deterministic, and one stopped at step 25 and resumed ends bit-identical (also feed-forward, TD(λ))" {
            let data = scripted "5m_vs_6m" 12 5
            for hyper in [ []; [ "order", 2.0; "sequential", 0.0 ]; [ "feedforward", 1.0 ]; [ "td_lambda", 0.6 ] ] do
                let control () = RunControl(ProfileOverride = tiny, DatasetOverride = data)
                let whole = Runner.Run(spec "smac:5m_vs_6m" "focus-fire" "inspo" 1 (TestPaths.scratchDir "inspo-ep-whole") hyper, control ())
                let again = Runner.Run(spec "smac:5m_vs_6m" "focus-fire" "inspo" 1 (TestPaths.scratchDir "inspo-ep-again") hyper, control ())
                samePolicy whole again
                for KeyValue(k, v) in whole.Metrics do Expect.isFalse (Double.IsNaN v) k
                Expect.isTrue (whole.Metrics.ContainsKey "win_rate") "SMAC evaluation reports the win rate"
                // the ablation's option is in its records only: records made before it existed keep matching their cells
                let options = (nonNull (nonNull (System.Text.Json.Nodes.JsonNode.Parse(IO.File.ReadAllText whole.RecordPath))).["options"]).AsObject()
                Expect.equal (options.ContainsKey "FeedForward") (List.contains ("feedforward", 1.0) hyper) "FeedForward recorded only when on"
                Expect.equal (options.ContainsKey "TdLambda") (List.contains ("td_lambda", 0.6) hyper) "TdLambda recorded only when not 0"
                let s = spec "smac:5m_vs_6m" "focus-fire" "inspo" 1 (TestPaths.scratchDir "inspo-ep-resumed") hyper
                let e = TestPaths.catchException<RunInterruptedException> (fun () ->
                    Runner.Run(s, RunControl(ProfileOverride = tiny, DatasetOverride = data, StopAfter = Nullable 25L)) |> ignore)
                Expect.equal e.Step 25L "stopped where asked"
                let resumed = Runner.Run(s, RunControl(ProfileOverride = tiny, DatasetOverride = data, Resume = true))
                samePolicy whole resumed
        }
    ]
