/// The episode engine: vector environments, the rollout loop and its actors, the collector, episode batches and
/// recurrent agents (issue "Engine for episodes").
module InSPO.Tests.EpisodeEngineTests

open System
open System.Collections.Generic
open System.IO
open Expecto
open TorchSharp
open InSPO.Actors
open InSPO.Algorithms
open InSPO.Data
open InSPO.Envs
open InSPO.Training

/// A cue seen only at the first step. Each of the two agents sees its own cue (one-hot of two) at t = 0 and only
/// the time afterwards; at the last of four steps each earns 1/2 for answering its own cue, nothing otherwise.
/// A memoryless policy sees the same observation at the last step whatever the cue: chance, a return of 0.5.
type CueEnv() =
    let agents, steps = 2, 4
    let cues = Array.zeroCreate<int> agents
    let info = Dictionary<string, float>()
    let mutable t = 0
    member _.Cues = cues
    interface IMultiAgentEnv with
        member _.Spec = EnvSpec("cue", agents, 2, 4, agents + 1, steps)
        member _.Reset seed =
            let r = Random seed
            for i in 0 .. agents - 1 do cues[i] <- r.Next 2
            t <- 0
        member _.Step joint =
            let mutable right = 0
            for i in 0 .. agents - 1 do
                if joint[i] = cues[i] then right <- right + 1
            let reward = if t = steps - 1 then float32 right / float32 agents else 0f
            t <- t + 1
            StepOutcome(reward, (t = steps), false)
        member _.WriteObservations o =
            for i in 0 .. agents - 1 do
                o[4 * i] <- (if t = 0 && cues[i] = 0 then 1f else 0f)
                o[4 * i + 1] <- (if t = 0 && cues[i] = 1 then 1f else 0f)
                o[4 * i + 2] <- float32 t / 3f
                o[4 * i + 3] <- (if t = steps - 1 then 1f else 0f)
        member _.WriteState s =
            for i in 0 .. agents - 1 do s[i] <- float32 cues[i]
            s[agents] <- float32 t
        member _.WriteAvailableActions a = a.Fill true
        member _.Info = info

/// The behaviour: random at the first three steps, each agent's own cue (read from the state) at the last.
let cueBehaviour (ctx: EpisodeStepContext) =
    if ctx.Step = 3 then [| int ctx.State[0]; int ctx.State[1] |]
    else [| ctx.Random.Next 2; ctx.Random.Next 2 |]

let private cueData episodes seed = EpisodeRecorder.Record(CueEnv(), Func<_, _> cueBehaviour, episodes, seed)

/// BC on the cue data: 400 updates of 32 episodes (recurrent) or 64 transitions (MLP).
let private trainBc (recurrent: bool) =
    let data = cueData 400 3
    let profile = Profile("memory", 0, 400, 64, 200, 1_000_000, 1000, 32)
    let hyper = Dictionary<string, float>(dict [ "recurrent", (if recurrent then 1.0 else 0.0); "episode_batch", 32.0 ]) :> IReadOnlyDictionary<_, _>
    let init = new torch.Generator(0UL)
    let learner = Learners.Create("bc", data.Spec, hyper, profile, torch.CPU, init)
    use buffer = new DeviceEpisodeBuffer(data, torch.CPU)
    Trainer.Train(learner, buffer, TrainerState(new torch.Generator(1UL)), profile.TotalSteps) |> ignore
    learner

[<Tests>]
let tests =
    testList "episode engine" [
        test "memory: recurrent BC answers a cue seen only at the first step; MLP BC cannot (chance)" {
            use recurrent = trainBc true
            use mlp = trainBc false
            let score (l: IOfflineLearner) = (Evaluator.Evaluate(l, (fun () -> CueEnv()), 200, 11, torch.CPU)).Metrics["return"]
            let r, m = score recurrent, score mlp
            printfn "memory task, 200 episodes: recurrent BC %.3f, MLP BC %.3f" r m
            Expect.isGreaterThanOrEqual r 0.95 (sprintf "recurrent BC success %.3f" r)
            Expect.isTrue (m > 0.35 && m < 0.65) (sprintf "MLP BC at chance: %.3f" m)
        }

        test "the actor resets a slot's hidden state at every episode start (auto-reset, fewer slots than episodes)" {
            use learner = trainBc true
            let env = VectorEnv([| for _ in 1 .. 2 -> CueEnv() :> IMultiAgentEnv |], 1)
            use actor = new PolicyActor(learner, env.Spec, env.Count, torch.CPU)
            let firsts = List<float32[] * bool[] * float32[]>()
            let observer =
                { new IRolloutObserver with
                    member _.Acting(input, probabilities, _) =
                        for e in 0 .. 1 do
                            if env.IsActive e && env.StepOf e = 0 then
                                firsts.Add(input.Observations[e * 8 .. e * 8 + 7], input.Available[e * 4 .. e * 4 + 3], probabilities.Slice(e * 4, 4).ToArray())
                    member _.Stepped(_, _, _) = () }
            let summaries = Rollout.Run(env, actor, RolloutOptions(Episodes = 12, Seed = 5), observer)
            Expect.equal summaries.Count 12 "every episode ran"
            Expect.equal firsts.Count 12 "every episode's first step seen"
            for (obs, avail, probs) in firsts do
                // the same observation from the initial state, alone
                let o = (torch.tensor obs).view(1L, 2L, 4L)
                let a = (torch.tensor avail).view(1L, 2L, 2L)
                let last = torch.zeros([| 1L; 2L |], dtype = torch.int64) - 1L
                let struct (p, _) = learner.Act(o, a, last, learner.InitialState 1L)
                let fresh = p.data<float32>().ToArray()
                for k in 0 .. 3 do Expect.floatClose Accuracy.medium (float probs[k]) (float fresh[k]) "first-step distribution from the initial state"
        }

        test "the collector writes the same episodes whatever the number of environment slots" {
            let collect slots =
                let env = VectorEnv([| for _ in 1 .. slots -> CueEnv() :> IMultiAgentEnv |], 1)
                Collector.Collect(env, JointPolicyActor(Func<_, _> cueBehaviour, 9, slots), RolloutOptions(Episodes = 25, Seed = 9, Choice = ActionChoice.Greedy))
            let one, three = collect 1, collect 3
            Expect.equal three.Observations one.Observations "observations"
            Expect.equal three.Actions one.Actions "actions"
            Expect.equal three.Rewards one.Rewards "rewards"
            Expect.equal three.Terminated one.Terminated "terminated"
            Expect.equal (one.FindValueProblem()) null "a valid dataset"
            let recorded = cueData 25 9
            Expect.equal recorded.Actions one.Actions "EpisodeRecorder is the collector on one slot"
        }

        test "an episode batch is cut to its longest episode, with the filled mask and the last actions" {
            // SMAC-lite episodes differ in length: focus fire on 2s3z, 6 episodes
            let data = SmacRunEnvironment.ScriptedDataset(InSPO.Envs.Smac.SmacMaps.Get "2s3z", InSPO.Envs.Smac.ScriptedPolicies.FocusFire, 6, 4)
            use buffer = new DeviceEpisodeBuffer(data, torch.CPU)
            let pick = [| 3L; 0L; 3L |]
            let b = buffer.GatherEpisodes(torch.tensor pick)
            let lengths = pick |> Array.map (fun e -> data.EpisodeLength(int e))
            Expect.equal b.Slots (int64 (Array.max lengths + 1)) "T = longest length + 1"
            Expect.equal b.Observations.shape [| 3L; b.Slots; 5L; 80L |] "B × T × N × O"
            for k in 0 .. 2 do
                let e = int pick[k]
                let filled = b.Filled[k].data<float32>().ToArray()
                Expect.equal (filled |> Array.sumBy int) lengths[k] "filled steps = the episode's length"
                let last = b.LastActions[k].data<int64>().ToArray()
                Expect.equal last[0 .. 4] (Array.create 5 -1L) "no last action at t = 0"
                for t in 1 .. lengths[k] - 1 do
                    for i in 0 .. 4 do
                        Expect.equal last[t * 5 + i] (int64 data.Actions[data.ActionIndex(e, t - 1, i)]) "last action = the previous step's"
            Expect.isNotNull data.BattleWon "the collector records battle_won where the environment reports it"
        }

        test "inspo dataset generate --env smac:MAP --policy P writes a dataset whose info shows its statistics" {
            let dir = Path.Combine(TestPaths.scratchDir "smac-generate", "ff")
            let code, _, err = CliTests.inspo [ "dataset"; "generate"; "--env"; "smac:5m_vs_6m"; "--policy"; "focus-fire"; "--episodes"; "20"; "--out"; dir ]
            Expect.equal code 0 (sprintf "generate (stderr: %s)" err)
            let code, out, err = CliTests.inspo [ "dataset"; "info"; dir ]
            Expect.equal code 0 (sprintf "info (stderr: %s)" err)
            for word in [ "episodes 20"; "transitions"; "return"; "±"; "win rate"; "mean length" ] do
                Expect.stringContains out word (sprintf "info shows %s" word)
            let code, _, err = CliTests.inspo [ "dataset"; "generate"; "--env"; "smac:5m_vs_6m"; "--episodes"; "2"; "--out"; dir ]
            Expect.equal code 2 "a SMAC dataset needs --policy"
            Expect.stringContains err "--policy" "the line names the option"
        }
    ]
