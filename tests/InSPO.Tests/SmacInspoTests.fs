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

[<Tests>]
let tests =
    testList "inspo on episodes" [
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

        test "a SMAC-lite run is finite and deterministic, and one stopped at step 25 and resumed ends bit-identical (also feed-forward)" {
            let data = scripted "5m_vs_6m" 12 5
            for hyper in [ []; [ "order", 2.0; "sequential", 0.0 ]; [ "feedforward", 1.0 ] ] do
                let control () = RunControl(ProfileOverride = tiny, DatasetOverride = data)
                let whole = Runner.Run(spec "smac:5m_vs_6m" "focus-fire" "inspo" 1 (TestPaths.scratchDir "inspo-ep-whole") hyper, control ())
                let again = Runner.Run(spec "smac:5m_vs_6m" "focus-fire" "inspo" 1 (TestPaths.scratchDir "inspo-ep-again") hyper, control ())
                samePolicy whole again
                for KeyValue(k, v) in whole.Metrics do Expect.isFalse (Double.IsNaN v) k
                Expect.isTrue (whole.Metrics.ContainsKey "win_rate") "SMAC evaluation reports the win rate"
                // the ablation's option is in its records only: records made before it existed keep matching their cells
                let options = (System.Text.Json.Nodes.JsonNode.Parse(IO.File.ReadAllText whole.RecordPath)).["options"].AsObject()
                Expect.equal (options.ContainsKey "FeedForward") (List.contains ("feedforward", 1.0) hyper) "FeedForward recorded only when on"
                let s = spec "smac:5m_vs_6m" "focus-fire" "inspo" 1 (TestPaths.scratchDir "inspo-ep-resumed") hyper
                let e = TestPaths.catchException<RunInterruptedException> (fun () ->
                    Runner.Run(s, RunControl(ProfileOverride = tiny, DatasetOverride = data, StopAfter = Nullable 25L)) |> ignore)
                Expect.equal e.Step 25L "stopped where asked"
                let resumed = Runner.Run(s, RunControl(ProfileOverride = tiny, DatasetOverride = data, Resume = true))
                samePolicy whole resumed
        }
    ]
