/// Bridge (SPEC 5.2): rules by hand, exact values, the PyMARL importer, and the reference data of
/// ../shared/data/bridge (AlberDICE's buffers) replayed step by step in our environment.
module InSPO.Tests.BridgeTests

open System
open System.IO
open Expecto
open InSPO.Data
open InSPO.Envs

let referenceFolder name = Path.Combine(TestPaths.sharedData, "bridge", name)

/// Runs a test only where the reference data is present, else skips saying why.
let withReference name (body: string -> unit) =
    let folder = referenceFolder name
    if Directory.Exists folder then body folder
    else skiptestf "reference data %s is absent (../shared/data/bridge comes with the project's shared folder)" folder

/// One step from a given joint state; returns both positions, the reward and done.
let stepFrom p0 p1 (a0: int) (a1: int) =
    let env = BridgeEnv(50)
    env.SetState(p0, p1, false, false, 0)
    let o = env.Step(ReadOnlySpan [| a0; a1 |])
    env.Position 0, env.Position 1, o

let stay, up, down, right, left = 0, 1, 2, 3, 4

[<Tests>]
let tests =
    testList "bridge" [
        testList "rules" [
            test "the start: side by side on the bridge; a swap blocks both" {
                let p0, p1, o = stepFrom (1, 2) (1, 3) right left
                Expect.equal (p0, p1) ((1, 2), (1, 3)) "swap: nobody moves"
                // reward = mean of −0.1·|(1,2)−(2,5)| = −0.1·√10 and −0.1·|(1,3)−(0,0)| = −0.1·√10
                Expect.floatClose Accuracy.high (float o.Reward) (-0.1 * sqrt 10.0) "reward"
            }
            test "a swap with an agent stepping onto its goal lets both move" {
                // mix episode 28, step 36: agent 0 (2,4) → its goal (2,5) while agent 1 (2,5) → (2,4)
                let p0, p1, _ = stepFrom (2, 4) (2, 5) right left
                Expect.equal (p0, p1) ((2, 5), (2, 4)) "both move"
            }
            test "a swap with agent 1 stepping onto its goal blocks both (agent 0 is resolved first)" {
                // mix episode 457, step 27: agent 0 (0,0) → (0,1) while agent 1 (0,1) → its goal (0,0)
                let p0, p1, _ = stepFrom (0, 0) (0, 1) right left
                Expect.equal (p0, p1) ((0, 0), (0, 1)) "nobody moves"
            }
            test "moving into a cell the other is leaving succeeds" {
                let p0, p1, _ = stepFrom (1, 2) (1, 3) right right
                Expect.equal (p0, p1) ((1, 3), (1, 4)) "both advance"
            }
            test "moving into a cell the other keeps fails" {
                let p0, p1, _ = stepFrom (1, 2) (1, 3) right stay
                Expect.equal (p0, p1) ((1, 2), (1, 3)) "blocked"
            }
            test "two agents targeting the same empty cell: agent 0 moves, agent 1 stays" {
                let p0, p1, _ = stepFrom (1, 0) (1, 2) right left
                Expect.equal (p0, p1) ((1, 1), (1, 2)) "agent 0 wins (1,1)"
                // even when the cell is agent 1's goal (mix episode 23, step 23 of the reference data)
                let q0, q1, _ = stepFrom (0, 1) (1, 0) left up
                Expect.equal (q0, q1) ((0, 0), (1, 0)) "agent 0 takes (0,0)"
            }
            test "walls and the grid edge stop a move" {
                let p0, p1, _ = stepFrom (1, 2) (0, 0) up up
                Expect.equal (p0, p1) ((1, 2), (0, 0)) "(0,2) is a wall; row −1 is off the grid"
            }
            test "a move onto the own goal always succeeds and finishes the agent, who leaves the board" {
                let env = BridgeEnv(50)
                env.SetState((2, 4), (1, 5), false, false, 0)
                let o = env.Step(ReadOnlySpan [| right; down |])
                // agent 1 targets (2,5) too, but agent 0's goal move is immune; agent 1 loses the tie.
                Expect.equal (env.Position 0) (2, 5) "agent 0 at its goal"
                Expect.isTrue (env.IsDone 0) "agent 0 done"
                Expect.equal (env.Position 1) (1, 5) "agent 1 stays"
                // reward = mean(0, −0.1·|(1,5)−(0,0)|) = −0.05·√26
                Expect.floatClose Accuracy.high (float o.Reward) (-0.05 * sqrt 26.0) "finished agent counts 0"
                let o2 = env.Step(ReadOnlySpan [| left; down |])
                Expect.equal (env.Position 0) (2, 5) "a finished agent no longer moves"
                Expect.equal (env.Position 1) (2, 5) "and is no obstacle"
                Expect.isFalse o2.Done "agent 1 is not at its goal"
            }
            test "the step on which everyone is done pays nothing; the limit ends the episode" {
                let env = BridgeEnv(50)
                env.SetState((2, 5), (0, 1), true, false, 3)
                let o = env.Step(ReadOnlySpan [| stay; left |])
                Expect.isTrue o.Done "both done"
                Expect.equal o.Reward 0.0f "zeroed"
                Expect.isFalse o.TimeLimit "reached the goals"
                let short = BridgeEnv(2)
                short.Step(ReadOnlySpan [| stay; stay |]) |> ignore
                let last = short.Step(ReadOnlySpan [| stay; stay |])
                Expect.isTrue (last.Done && last.TimeLimit) "cut at the limit"
                Expect.equal last.Reward 0.0f "the limit step pays nothing either"
            }
        ]

        testList "values" [
            test "the exact optimum from the start is −1.2355 (20 and 50 steps)" {
                // the best return in AlberDICE's optimal buffer; float32 rewards summed
                Expect.floatClose { absolute = 1e-4; relative = 0.0 } (BridgeValues.Optimal 20) -1.2355 "20"
                Expect.floatClose Accuracy.high (BridgeValues.Optimal 50) (BridgeValues.Optimal 20) "no gain from more time"
            }
            test "the README states the uniform-random value the code computes, to 4 decimals" {
                let readme = File.ReadAllText(Path.Combine(TestPaths.repoRoot, "README.md"))
                let stated = sprintf "exact uniform-random value (−%.4f on the 20-step evaluation horizon)" (-(BridgeValues.UniformRandom 20))
                Expect.stringContains readme stated "README"
            }
            test "the exact uniform-random value agrees with 10 000 rollouts" {
                let exact = BridgeValues.UniformRandom 20
                Expect.isTrue (abs (exact - -7.1) < 0.05) (sprintf "≈ −7.1 on 20 steps (SPEC), got %.4f" exact)
                let env = BridgeEnv 20
                let rng = Random 5
                let returns =
                    [| for e in 0 .. 9999 ->
                        env.Reset e
                        let mutable total, finished = 0.0, false
                        while not finished do
                            let o = env.Step(ReadOnlySpan [| rng.Next 5; rng.Next 5 |])
                            total <- total + float o.Reward
                            finished <- o.Done
                        total |]
                let mean = Array.average returns
                let se = sqrt (Array.averageBy (fun r -> (r - mean) ** 2.0) returns / 10000.0)
                Expect.isLessThan (abs (mean - exact)) (4.0 * se) (sprintf "rollouts %.4f ± %.4f vs exact %.4f" mean se exact)
            }
            test "normalised score is 0 for random and 1 for optimal" {
                Expect.floatClose Accuracy.high (BridgeValues.Normalised(BridgeValues.Optimal 20)) 1.0 "optimal"
                Expect.floatClose Accuracy.high (BridgeValues.Normalised(BridgeValues.UniformRandom 20)) 0.0 "random"
            }
        ]

        testList "reference data" [
            for name, episodes in [ "optimal", 500; "mix", 1000 ] do
                test (sprintf "every %s episode replays in our environment to the same rewards and terminations" name) {
                    withReference name (fun folder ->
                        let data = PymarlImporter.Import(folder, "bridge")
                        Expect.equal data.Episodes episodes "episodes"
                        let env = BridgeEnv(BridgeEnv.DatasetEpisodeLimit)
                        let state = Array.zeroCreate<float32> 8
                        for e in 0 .. data.Episodes - 1 do
                            env.Reset e
                            let length = data.EpisodeLength e
                            for t in 0 .. length - 1 do
                                env.WriteState(Span state)
                                Expect.sequenceEqual state (data.State(e, t).ToArray()) (sprintf "episode %d step %d: state" e t)
                                let a = data.ActionIndex(e, t, 0)
                                let o = env.Step(ReadOnlySpan [| data.Actions.[a]; data.Actions.[a + 1] |])
                                let slot = data.SlotIndex(e, t)
                                if abs (o.Reward - data.Rewards.[slot]) > 1e-6f then
                                    failtestf "episode %d step %d: reward %g, reference %g" e t o.Reward data.Rewards.[slot]
                                Expect.equal o.Done data.Terminated.[slot] (sprintf "episode %d step %d: terminated" e t)
                            env.WriteState(Span state)
                            Expect.sequenceEqual state (data.State(e, length).ToArray()) (sprintf "episode %d: final state" e))
                }

            test "our generated optimal dataset matches the reference statistics" {
                withReference "optimal" (fun folder ->
                    let reference = PymarlImporter.Import(folder, "bridge")
                    let ours = BridgeDatasets.Optimal(500, 0)
                    let stats (d: EpisodeDataset) =
                        [ for e in 0 .. d.Episodes - 1 -> d.EpisodeReturn e ] |> List.average,
                        [ for e in 0 .. d.Episodes - 1 -> float (d.EpisodeLength e) ] |> List.average
                    let refReturn, refLength = stats reference
                    let ourReturn, ourLength = stats ours
                    Expect.floatClose { absolute = 0.001; relative = 0.0 } refReturn -1.262 "reference mean return"
                    Expect.isLessThan (abs (ourReturn - refReturn)) 0.01 (sprintf "mean return %.4f vs %.4f" ourReturn refReturn)
                    Expect.equal (ourLength, refLength) (8.0, 8.0) "8 steps each (9 filled slots in PyMARL's count)"
                    let distinct (d: EpisodeDataset) = set [ for e in 0 .. d.Episodes - 1 -> Math.Round(d.EpisodeReturn e, 4) ]
                    Expect.equal (distinct ours) (distinct reference) "the same three returns")
            }

            test "the random half of our mixed dataset matches the reference within sampling error" {
                withReference "mix" (fun folder ->
                    let reference = PymarlImporter.Import(folder, "bridge")
                    let ours = BridgeDatasets.Mixed(500, 0)
                    let half (d: EpisodeDataset) = [| for e in 0 .. 499 -> d.EpisodeReturn e |]
                    let mean (xs: float[]) = Array.average xs
                    let var (xs: float[]) = let m = mean xs in Array.sumBy (fun x -> (x - m) ** 2.0) xs / float (xs.Length - 1)
                    let a, b = half reference, half ours
                    let se = sqrt (var a / 500.0 + var b / 500.0)
                    Expect.isLessThan (abs (mean a - mean b)) (3.0 * se) (sprintf "random returns %.3f vs %.3f (se %.3f)" (mean a) (mean b) se)
                    let optimalPart = [ for e in 500 .. 999 -> ours.EpisodeReturn e ]
                    Expect.isTrue (optimalPart |> List.forall (fun r -> r > -1.3)) "second half is the optimal set")
            }
        ]

        testList "importer errors" [
            /// A writable copy of the reference optimal buffer, for breaking.
            let brokenCopy () =
                let src = referenceFolder "optimal"
                let dst = TestPaths.scratchDir "pymarl"
                for f in Directory.GetFiles src do File.Copy(f, Path.Combine(dst, Path.GetFileName(f: string) |> string))
                dst
            let refused (folder: string) =
                let e = TestPaths.catchException<DatasetFormatException> (fun () -> PymarlImporter.Import(folder, "bridge") |> ignore)
                Expect.isFalse (e.Message.Contains "\n") "one line"
                e.Message
            test "a missing field file is named" {
                withReference "optimal" (fun _ ->
                    let d = brokenCopy ()
                    File.Delete(Path.Combine(d, "reward.npy"))
                    Expect.stringContains (refused d) "missing reward.npy" "message")
            }
            test "an episode count that disagrees is named with the file" {
                withReference "optimal" (fun _ ->
                    let d = brokenCopy ()
                    let r = Npy.Read(Path.Combine(d, "reward.npy"))
                    Npy.Write(Path.Combine(d, "reward.npy"), NpyArray((r.ToFloatArray()).[.. 499 * 51 - 1], 499L, 51L, 1L))
                    Expect.stringContains (refused d) "reward.npy: 499 episodes, but obs.npy has 500" "message")
            }
            test "a time length that disagrees is named with the file" {
                withReference "optimal" (fun _ ->
                    let d = brokenCopy ()
                    Npy.Write(Path.Combine(d, "terminated.npy"), NpyArray(Array.zeroCreate<byte> (500 * 50), 500L, 50L, 1L))
                    Expect.stringContains (refused d) "terminated.npy: 50 time steps, but obs.npy has 51" "message")
            }
            test "Fortran order, unknown dtypes and truncated files are refused naming the file" {
                withReference "optimal" (fun _ ->
                    let d = brokenCopy ()
                    let path = Path.Combine(d, "state.npy")
                    let bytes = File.ReadAllBytes path
                    let header = Text.Encoding.Latin1.GetString(bytes, 0, 128)
                    File.WriteAllBytes(path, Text.Encoding.Latin1.GetBytes(header.Replace("'fortran_order': False", "'fortran_order': True ")) |> Array.append <| bytes.[128 ..])
                    Expect.stringContains (refused d) "state.npy" "fortran: names the file"
                    Expect.stringContains (refused d) "ortran" "fortran: names the problem"
                    File.WriteAllBytes(path, Text.Encoding.Latin1.GetBytes(header.Replace("'<f4'", "'<c8'")) |> Array.append <| bytes.[128 ..])
                    Expect.stringContains (refused d) "<c8" "unknown dtype"
                    File.WriteAllBytes(path, bytes.[.. bytes.Length - 100])
                    Expect.stringContains (refused d) "truncated" "truncated")
            }
            test "a folder that does not exist is refused" {
                Expect.stringContains (refused "/nonexistent/buffer") "/nonexistent/buffer: folder does not exist" "message"
            }
        ]
    ]
