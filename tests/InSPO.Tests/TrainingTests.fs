/// The neural engine (issue 3): runs, determinism, resume, NaN guard, importance resampling, Eq. 20 clipping,
/// run records. Budgets are tiny custom profiles so the list stays well under a minute on 2 cores.
module InSPO.Tests.TrainingTests

open System
open System.IO
open System.Collections.Generic
open Expecto
open TorchSharp
open InSPO.Algorithms
open InSPO.Data
open InSPO.Envs
open InSPO.Training
open InSPO.Tests.RunFixtures

/// Managed allocation the concurrent-runs test may make without a garbage collection (it asserts that it stayed within).
let private noCollectionBudget = 240L * 1024L * 1024L

/// A version 3 checkpoint's header fields (magic, algorithm, step, training and processor seconds, machine) and the
/// bytes after them, and a checkpoint written back from such parts: the tests rewrite headers as other builds and
/// machines would have written them.
type private CheckpointHeader = { Magic: string; Algorithm: string; Step: int64; Seconds: float; Processor: float option; Machine: string option; Rest: byte[] }

let private readHeader (bytes: byte[]) =
    use input = new BinaryReader(new MemoryStream(bytes))
    let magic, algorithm, step, seconds = input.ReadString(), input.ReadString(), input.ReadInt64(), input.ReadDouble()
    Expect.equal magic "INSPO-CHECKPOINT-3" "a version 3 checkpoint was written"
    let processor = input.ReadDouble()
    let machine = if input.ReadBoolean() then Some(input.ReadString()) else None
    { Magic = magic; Algorithm = algorithm; Step = step; Seconds = seconds; Processor = Some processor; Machine = machine
      Rest = bytes[int input.BaseStream.Position ..] }

/// The bytes of a checkpoint with this header: a field that is None is left out (the older layouts).
let private writeHeader (h: CheckpointHeader) =
    use output = new MemoryStream()
    use w = new BinaryWriter(output)
    w.Write h.Magic; w.Write h.Algorithm; w.Write h.Step; w.Write h.Seconds
    h.Processor |> Option.iter (fun (p: float) -> w.Write p)
    h.Machine |> Option.iter (fun (m: string) -> w.Write true; w.Write m)
    w.Write h.Rest; w.Flush()
    output.ToArray()

[<Tests>]
let tests =
    testList "training" [
        test "smoke profile: InSPO on XOR (a) runs end to end and writes record, checkpoint and TensorBoard events" {
            let root = TestPaths.scratchDir "train-smoke"
            let r = Runner.Run(spec "xor" "a" "inspo" 0 root [])
            Expect.equal r.Steps Profiles.Smoke.TotalSteps "every step of the smoke budget"
            Expect.isTrue (r.Metrics["return"] >= -2.0 && r.Metrics["return"] <= 1.0) "exact return within XOR's range"
            Expect.isTrue (r.Metrics.ContainsKey "return_sampled") "sampled return recorded beside the exact one"
            for p in r.FinalPolicy do Expect.floatClose Accuracy.high (Array.sum p) 1.0 "a distribution per agent"
            let dir = Runner.RunDirectory r.Spec
            Expect.equal (Path.GetFullPath r.RecordPath) (Path.GetFullPath(Path.Combine(dir, "record.json"))) "record in the run folder"
            Expect.stringContains dir (Path.Combine("xor", "a", "inspo", "seed0")) "folder {env}/{dataset}/{algorithm}/seed{seed}"
            Expect.isTrue (File.Exists(Path.Combine(dir, "checkpoint.bin"))) "checkpoint kept"
            Expect.isNonEmpty (Directory.GetFiles(Path.Combine(dir, "tb"), "events.out.tfevents*")) "TensorBoard event file"
        }

        test "BC on XOR (b) reaches the product of the data marginals: 2/9 ≈ 0.222" {
            let root = TestPaths.scratchDir "train-bc"
            let r = run (spec "xor" "b" "bc" 0 root []) (Profile("bc", 0, 300, 64, 32, 1000, 50, 32))
            Expect.isLessThan (abs (r.Metrics["return"] - 2.0 / 9.0)) 0.03 (sprintf "BC return %.4f" r.Metrics["return"])
            Expect.isLessThan (abs (r.FinalPolicy[0][0] - 2.0 / 3.0)) 0.05 "μ⁰(A) ≈ 2/3"
        }

        test "the same seed gives the same metrics and policy; another seed differs" {
            let a = run (spec "xor" "c" "inspo" 3 (TestPaths.scratchDir "det-a") []) tiny
            let b = run (spec "xor" "c" "inspo" 3 (TestPaths.scratchDir "det-b") []) tiny
            samePolicy a b
            let c = run (spec "xor" "c" "inspo" 4 (TestPaths.scratchDir "det-c") []) tiny
            let pc, pa = c.FinalPolicy[0][0], a.FinalPolicy[0][0]
            Expect.notEqual pc pa "seed 4 differs from seed 3"
        }

        test "runs of one seed trained at the same time in one process agree (no shared random state)" {
            // Both runs build their networks and draw batches concurrently while a third thread draws from
            // libtorch's global generator: any use of global random state would make them differ.
            // Three threads in libtorch break the rule of Sequencing.fs on purpose, so the test runs in a
            // no-collection region, large enough for its allocations: with no collection there is nothing to race on.
            let allocatedBefore = System.GC.GetTotalAllocatedBytes false
            Expect.isTrue (System.GC.TryStartNoGCRegion noCollectionBudget) "no-collection region started"
            use stop = new System.Threading.CancellationTokenSource()
            let noise = System.Threading.Tasks.Task.Run(fun () ->
                while not stop.IsCancellationRequested do
                    use _ = torch.rand([| 64L |])
                    ())
            let results =
                [| for name in [ "par-a"; "par-b" ] ->
                       System.Threading.Tasks.Task.Run(fun () -> run (spec "xor" "c" "inspo" 5 (TestPaths.scratchDir name) []) tiny) |]
                |> Array.map (fun t -> t.Result)
            stop.Cancel()
            noise.Wait()
            let stillInRegion = System.Runtime.GCSettings.LatencyMode = System.Runtime.GCLatencyMode.NoGCRegion
            if stillInRegion then System.GC.EndNoGCRegion()
            let allocated = System.GC.GetTotalAllocatedBytes false - allocatedBefore
            Expect.isTrue stillInRegion (sprintf "no collection ran during the concurrent runs (%d MB allocated; budget %d MB)" (allocated / 1048576L) (noCollectionBudget / 1048576L))
            samePolicy results[0] results[1]
        }

        test "a run stopped at step 25 and resumed ends bit-identical to an uninterrupted one (every learner)" {
            // Every registered algorithm, so a new learner that forgets a module, an optimiser or a random
            // draw outside the trainer's generator fails here. InSPO with the semi-greedy order (its most stateful).
            for algo in Learners.Known do
                let hyper = if algo = "inspo" then [ "order", 2.0 ] else []
                let whole = run (spec "mne" "imbalanced" algo 1 (TestPaths.scratchDir "whole") hyper) tiny
                let s = spec "mne" "imbalanced" algo 1 (TestPaths.scratchDir "resumed") hyper
                let e = TestPaths.catchException<RunInterruptedException> (fun () ->
                    Runner.Run(s, RunControl(ProfileOverride = tiny, StopAfter = Nullable 25L)) |> ignore)
                Expect.equal e.Step 25L "stopped where asked"
                Expect.isNull (Runner.TryLoadFinished s) "no record for an unfinished run"
                let struct (_, trainedBefore, processorBefore) = Checkpoint.ReadProgress(Path.Combine(Runner.RunDirectory s, "checkpoint.bin"))
                Expect.isTrue (processorBefore.HasValue && processorBefore.Value > 0.0) "the checkpoint holds the processor seconds spent"
                let clock = Diagnostics.Stopwatch.StartNew()
                let cpuAtCall = Diagnostics.Process.GetCurrentProcess().TotalProcessorTime
                let resumed = Runner.Run(s, RunControl(ProfileOverride = tiny, Resume = true))
                let callSeconds = clock.Elapsed.TotalSeconds
                let callCpu = (Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuAtCall).TotalSeconds
                Expect.equal resumed.Steps whole.Steps "same number of steps"
                samePolicy whole resumed
                // wall and processor time count the killed process's training too, not only the resuming call's
                Expect.isGreaterThan resumed.WallSeconds (callSeconds + trainedBefore / 2.0)
                    (sprintf "%s: wall %.3f s; the resuming call took %.3f s, the checkpoint held %.3f s" algo resumed.WallSeconds callSeconds trainedBefore)
                Expect.isGreaterThan resumed.CpuSeconds.Value (callCpu + processorBefore.Value / 2.0)
                    (sprintf "%s: processor %.3f s; the resuming call took %.3f s, the checkpoint held %.3f s" algo resumed.CpuSeconds.Value callCpu processorBefore.Value)
                let record = RunRecord.Read(resumed.RecordPath, s)
                Expect.equal record.ResumedAtStep (Nullable 25L) "the record names the step its last process resumed at"
                Expect.isTrue record.TimesCoverEveryProcess "and says its times cover every process"
                Expect.isFalse (RunRecord.Read(whole.RecordPath, whole.Spec).ResumedAtStep.HasValue) "a run trained in one process has no resume step"
        }

        test "a run resumed from a version 1 checkpoint (no processor seconds) ends the same, its processor seconds unknown" {
            // Checkpoints of builds before 2026-12-02 (and the committed QMIX models) hold no processor time: rewrite a
            // version 3 checkpoint in that layout (old magic, the processor and machine fields cut out) and resume from it.
            let whole = run (spec "mne" "imbalanced" "cfcql" 3 (TestPaths.scratchDir "v1-whole") []) tiny
            let s = spec "mne" "imbalanced" "cfcql" 3 (TestPaths.scratchDir "v1-resumed") []
            TestPaths.catchException<RunInterruptedException> (fun () ->
                Runner.Run(s, RunControl(ProfileOverride = tiny, StopAfter = Nullable 25L)) |> ignore) |> ignore
            let path = Path.Combine(Runner.RunDirectory s, "checkpoint.bin")
            let bytes = File.ReadAllBytes path
            let v1 = writeHeader { readHeader bytes with Magic = "INSPO-CHECKPOINT-1"; Processor = None; Machine = None }
            File.WriteAllBytes(path, v1)
            let struct (step, _, processor) = Checkpoint.ReadProgress path
            Expect.equal step 25L "a version 1 file's step reads"
            Expect.isFalse processor.HasValue "and its processor seconds are unknown"
            let resumed = Runner.Run(s, RunControl(ProfileOverride = tiny, Resume = true))
            samePolicy whole resumed
            let record = RunRecord.Read(resumed.RecordPath, s)
            Expect.isFalse record.CpuSeconds.HasValue "unknown processor seconds are not passed off as the last process's"
            Expect.isNull record.Machine "nor is an unknown machine passed off as this one"
            Expect.equal record.ResumedAtStep (Nullable 25L) "the resume step is recorded"
        }

        test "a record names the machine its times were taken on, and both machines when it was resumed on another" {
            let here = InSPO.Runtime.MachineIdentity.Current
            let whole = run (spec "mne" "imbalanced" "bc" 5 (TestPaths.scratchDir "machine-whole") []) tiny
            Expect.equal (RunRecord.Read(whole.RecordPath, whole.Spec)).Machine here "a run trained here names this machine"
            Expect.stringContains here "logical processors" "which says how many processors it had"
            // A checkpoint whose processes ran elsewhere: rewrite its machine field, resume here.
            let s = spec "mne" "imbalanced" "bc" 5 (TestPaths.scratchDir "machine-resumed") []
            TestPaths.catchException<RunInterruptedException> (fun () ->
                Runner.Run(s, RunControl(ProfileOverride = tiny, StopAfter = Nullable 25L)) |> ignore) |> ignore
            let path = Path.Combine(Runner.RunDirectory s, "checkpoint.bin")
            let bytes = File.ReadAllBytes path
            let header = readHeader bytes
            Expect.equal header.Machine (Some here) "the checkpoint holds this machine"
            let elsewhere = writeHeader { header with Machine = Some "another machine, 64 logical processors" }
            File.WriteAllBytes(path, elsewhere)
            let resumed = Runner.Run(s, RunControl(ProfileOverride = tiny, Resume = true))
            Expect.equal (RunRecord.Read(resumed.RecordPath, s)).Machine ("another machine, 64 logical processors + " + here)
                "a run resumed here from another machine's checkpoint names both, in order"
            Expect.equal (InSPO.Runtime.MachineIdentity.Then("a + b", "b")) "a + b" "a run ending where it last ran adds nothing"
            Expect.equal (InSPO.Runtime.MachineIdentity.Then("", "b")) "b" "a fresh run is this machine's"
            Expect.isNull (InSPO.Runtime.MachineIdentity.Then(null, "b")) "an unknown machine stays unknown"
        }

        test "a checkpoint of another algorithm, a group's, a foreign or a cut-short file is refused, naming the file and the fault" {
            let s = spec "mne" "imbalanced" "cfcql" 4 (TestPaths.scratchDir "bad-checkpoint") []
            TestPaths.catchException<RunInterruptedException> (fun () ->
                Runner.Run(s, RunControl(ProfileOverride = tiny, StopAfter = Nullable 25L)) |> ignore) |> ignore
            let good = File.ReadAllBytes(Path.Combine(Runner.RunDirectory s, "checkpoint.bin"))
            let refusal (algo: string) (bytes: byte[]) =
                let t = spec "mne" "imbalanced" algo 4 (TestPaths.scratchDir "bad-checkpoint-resume") []
                let path = Path.Combine(Runner.RunDirectory t, "checkpoint.bin")
                Directory.CreateDirectory(nonNull (Path.GetDirectoryName path)) |> ignore
                File.WriteAllBytes(path, bytes)
                let e = TestPaths.catchException<InvalidDataException> (fun () -> Runner.Run(t, RunControl(ProfileOverride = tiny, Resume = true)) |> ignore)
                Expect.stringContains e.Message path "the message names the file"
                e.Message
            Expect.stringContains (refusal "bc" good) "written by 'cfcql', cannot resume 'bc'" "another algorithm's"
            // The same bytes under a group's magic: the header says so before anything else is read.
            let asGroup =
                use input = new BinaryReader(new MemoryStream(good))
                input.ReadString() |> ignore
                use output = new MemoryStream()
                use w = new BinaryWriter(output)
                w.Write "INSPO-GROUP-CHECKPOINT-3"; w.Write(good[int input.BaseStream.Position ..]); w.Flush()
                output.ToArray()
            Expect.stringContains (refusal "cfcql" asGroup) "a group's checkpoint, not a single run's" "a group's"
            Expect.stringContains (refusal "cfcql" "not a checkpoint at all"B) "not an InSPO checkpoint" "a foreign file"
            Expect.stringContains (refusal "cfcql" good[.. good.Length / 2]) "cut short" "a truncated file"
            let foreign = Path.Combine(TestPaths.scratchDir "bad-checkpoint-progress", "checkpoint.bin")
            File.WriteAllBytes(foreign, "not a checkpoint at all"B)
            let e = TestPaths.catchException<InvalidDataException> (fun () -> Checkpoint.ReadProgress foreign |> ignore)
            Expect.stringContains e.Message "not an InSPO checkpoint" "reading the progress alone refuses it too"
        }

        test "a learning curve leaves the run unchanged, and a resumed run rebuilds the same curve" {
            let every = Nullable 10L
            let steps (c: IReadOnlyList<struct (int64 * IReadOnlyDictionary<string, float>)>) = [ for struct (s, _) in c -> s ]
            let whole = run (spec "mne" "imbalanced" "inspo" 2 (TestPaths.scratchDir "plain") []) tiny
            let curvePath s = Path.Combine(Runner.RunDirectory s, LearningCurve.FileName)
            let c = spec "mne" "imbalanced" "inspo" 2 (TestPaths.scratchDir "curve") []
            let curved = Runner.Run(c, RunControl(ProfileOverride = tiny, EvaluateEvery = every))
            samePolicy whole curved
            Expect.equal curved.Metrics.["return"] whole.Metrics.["return"] "evaluating mid-run does not change the final policy's value"
            let full = LearningCurve.Read(curvePath c)
            Expect.equal (steps full) [ 10L; 20L; 30L; 40L; 50L ] "a row every 10 steps, and the final policy's"
            let struct (_, last) = full[full.Count - 1]
            for kv in curved.Metrics do Expect.equal last.[kv.Key] kv.Value $"the last row is the record's {kv.Key}"

            // Killed at step 25 (checkpoint there); a stray row of step 30 stands for an evaluation done after it.
            let s = spec "mne" "imbalanced" "inspo" 2 (TestPaths.scratchDir "curve-resumed") []
            TestPaths.catchException<RunInterruptedException> (fun () ->
                Runner.Run(s, RunControl(ProfileOverride = tiny, EvaluateEvery = every, StopAfter = Nullable 25L)) |> ignore) |> ignore
            let path = curvePath s
            Expect.equal (steps (LearningCurve.Read path)) [ 10L; 20L ] "the killed run kept its points"
            File.AppendAllText(path, "30,1,1\n")
            Runner.Run(s, RunControl(ProfileOverride = tiny, EvaluateEvery = every, Resume = true)) |> ignore
            let resumed = LearningCurve.Read path
            Expect.equal (steps resumed) (steps full) "the rows after the checkpoint were dropped and evaluated again"
            for (struct (_, a), struct (_, b)) in Seq.zip full resumed do
                Expect.sequenceEqual (Seq.sortBy id a.Keys) (Seq.sortBy id b.Keys) "same metrics"
                for k in a.Keys do Expect.equal b.[k] a.[k] $"same {k} as the uninterrupted curve"
        }

        test "a NaN loss stops the run naming the loss and the step; finished records survive" {
            let root = TestPaths.scratchDir "nan"
            let finished = run (spec "xor" "a" "bc" 0 root []) tiny
            let data = MatrixGameDatasets.Record(MatrixGames.Xor, "a", 10, 50, 0)
            Array.fill data.Rewards 0 data.Rewards.Length Single.NaN
            let s = spec "xor" "a" "inspo" 0 root []
            let e = TestPaths.catchException<TrainingDivergedException> (fun () ->
                Runner.Run(s, RunControl(ProfileOverride = tiny, DatasetOverride = data)) |> ignore)
            Expect.stringStarts e.Loss "loss/critic" "the critic's TD loss is the first to see the reward"
            Expect.equal e.Step (int64 tiny.BehaviourSteps) "the first policy-phase step"
            Expect.stringContains e.Message (sprintf "step %d" tiny.BehaviourSteps) "message names the step"
            Expect.stringContains e.Message "loss/critic" "message names the loss"
            Expect.isNull (Runner.TryLoadFinished s) "no record for the diverged run"
            Expect.isTrue (File.Exists finished.RecordPath) "the finished run's record is kept"
        }

        test "importance resampling draws rows in proportion to their weights" {
            let g = new torch.Generator(7UL)
            let w = torch.tensor [| 1.0f; 2.0f; 3.0f; 4.0f; 0.0f |]
            let n = 200_000L
            let idx = DeviceEpisodeBuffer.ResampleIndices(w, n, g)
            let counts = torch.bincount(idx, minlength = 5L).data<int64>().ToArray()
            for k in 0 .. 4 do
                let expected = [| 0.1; 0.2; 0.3; 0.4; 0.0 |][k]
                Expect.isLessThan (abs (float counts[k] / float n - expected)) 0.005 (sprintf "row %d: %d draws" k counts[k])
            // over the whole dataset: only weighted transitions are drawn
            let data = MatrixGameDatasets.Record(MatrixGames.Xor, "c", 4, 5, 0)
            use buffer = new DeviceEpisodeBuffer(data, torch.CPU)
            let weights = torch.zeros(buffer.Transitions)
            weights[3L] <- torch.tensor 1.0f
            let batch = buffer.SampleWeighted(weights, 50L, g)
            let a3 = buffer.All().Actions[3L]
            Expect.equal ((batch.Actions - a3.unsqueeze(0L)).abs().sum().item<int64>()) 0L "every draw is transition 3"
            Expect.equal batch.Count 50L "as many draws as asked"
        }

        test "Eq. 20 weight exp((A − β log μ)/(α+β)) is clipped at its maximum" {
            let adv = torch.tensor [| 0.0f; 0.1f; 1.0f; 100.0f; 1e6f |]
            let logMu = torch.tensor [| log 0.5f; log 0.5f; log 0.5f; log 0.5f; log 0.5f |]
            let w = InspoObjectives.ClippedWeight(adv, logMu, 0.1, 0.2, 100.0).data<float32>().ToArray()
            let expected x = min (exp ((x - 0.2 * log 0.5) / 0.3)) 100.0
            for k, x in Seq.indexed [ 0.0; 0.1; 1.0; 100.0; 1e6 ] do
                Expect.floatClose Accuracy.medium (float w[k]) (expected x) (sprintf "weight %d" k)
            Expect.equal (float w[4]) 100.0 "no overflow: a huge advantage gives exactly the clip"
            Expect.isTrue (w |> Array.forall Single.IsFinite) "finite"
        }

        test "semi-greedy order alternates the best remaining agent with a random one" {
            let g = new torch.Generator(1UL)
            for _ in 1 .. 20 do
                let order = SequentialUpdateOrder.SemiGreedy([| 0.1; 0.9; 0.5; 0.3; 0.7 |], g)
                Expect.equal (Array.sort order) [| 0 .. 4 |] "a permutation"
                Expect.equal order[0] 1 "best first"
                let rest = [ 0 .. 4 ] |> List.filter (fun i -> i <> order[0] && i <> order[1])
                let best = rest |> List.maxBy (fun i -> [| 0.1; 0.9; 0.5; 0.3; 0.7 |][i])
                Expect.equal order[2] best "third = best of the remaining"
        }

        test "a record is written atomically and a finished cell is skipped on rerun" {
            let root = TestPaths.scratchDir "record"
            let s = spec "mne" "balanced" "bc" 2 root [ "lr", 0.003 ]
            let first = run s tiny
            let dir = Runner.RunDirectory s
            Expect.stringContains dir "bc-lr=0.003" "hyperparameters name the folder"
            Expect.isEmpty (Directory.GetFiles(dir, "*.tmp")) "no temporary file left"
            let json = match Text.Json.Nodes.JsonNode.Parse(File.ReadAllText first.RecordPath) with null -> failwith "empty record" | j -> j
            for key in [ "env"; "dataset"; "algorithm"; "seed"; "profile"; "device"; "metrics"; "wall_seconds"; "cpu_seconds"; "machine"; "commit"; "hyperparameters"; "budget" ] do
                Expect.isTrue (json.AsObject().ContainsKey key) (sprintf "record has %s" key)
            let stamp = File.GetLastWriteTimeUtc first.RecordPath
            let again = run s tiny
            Expect.equal again.WallSeconds first.WallSeconds "the stored result, not a new run"
            Expect.isTrue (first.CpuSeconds.HasValue && first.CpuSeconds.Value > 0.0) "processor seconds recorded"
            Expect.equal again.CpuSeconds first.CpuSeconds "and read back"
            Expect.equal (File.GetLastWriteTimeUtc first.RecordPath) stamp "record untouched"
            Expect.isSome (Option.ofObj (Runner.TryLoadFinished s)) "TryLoadFinished finds it"
        }

        test "inner_steps = K takes K critic and policy steps per agent per round; K < 1 is refused" {
            let one = run (spec "xor" "b" "inspo" 2 (TestPaths.scratchDir "inner1") []) tiny
            let three = run (spec "xor" "b" "inspo" 2 (TestPaths.scratchDir "inner3") [ "inner_steps", 3.0 ]) tiny
            Expect.equal three.Steps one.Steps "a round is still one trainer step"
            Expect.notEqual (three.FinalPolicy[0][0]) (one.FinalPolicy[0][0]) "more steps per round move the policy differently"
            let e = TestPaths.catchException<ArgumentException> (fun () ->
                run (spec "xor" "b" "inspo" 2 (TestPaths.scratchDir "inner0") [ "inner_steps", 0.0 ]) tiny |> ignore)
            Expect.stringContains e.Message "inner_steps" "names the option"
        }

        test "a finished cell is reused only under the same options and budget; otherwise set aside and trained again" {
            let root = TestPaths.scratchDir "reuse"
            let s = spec "xor" "a" "bc" 0 root []
            let first = run s tiny
            Expect.isFalse first.Reused "trained"
            Expect.isTrue (run s tiny).Reused "same budget: reused"
            let longer = Profile("tiny", 10, 41, 32, 32, 20, 5, 32)
            let again = run s longer
            Expect.isFalse again.Reused "another budget: trained again"
            Expect.equal again.Steps 51L "with the new budget"
            let dir = Runner.RunDirectory s
            let aside = Directory.GetFiles(dir, "record.superseded-*.json")
            Expect.equal aside.Length 1 "the old record is kept beside"
            Expect.stringContains (File.ReadAllText aside[0]) "\"steps\": 50" "the old record, unchanged"
            Expect.isTrue (run s longer).Reused "and the new record is reused under its own budget"
        }

        test "run folders name a game file by its name and a SMAC-lite map without the colon, under the output root" {
            let dir (env: string) = Runner.RunDirectory(RunSpec(env, "uniform", "bc", 0, "smoke", "cpu", null, "/out"))
            Expect.equal (dir "/home/me/games/Climb.json") (Path.Combine("/out", "climb", "uniform", "bc", "seed0")) "absolute game file"
            Expect.equal (dir "games/climb.json") (Path.Combine("/out", "climb", "uniform", "bc", "seed0")) "relative game file"
            Expect.equal (dir "smac:5m_vs_6m") (Path.Combine("/out", "smac-5m_vs_6m", "uniform", "bc", "seed0")) "SMAC-lite map"
            Expect.equal (dir "XOR") (Path.Combine("/out", "xor", "uniform", "bc", "seed0")) "built-in game"
        }
        test "a finished cell is reused only for the same data: a folder of the same last name with other data trains again" {
            let root = TestPaths.scratchDir "reuse-data"
            let sets = TestPaths.scratchDir "reuse-data-sets"
            let folder parent dataset =
                let f = Path.Combine(sets, parent, "buffer_02_20")
                MatrixGameDatasets.Generate(MatrixGames.Xor, dataset, 20, 50, 0, f) |> ignore
                f
            let a, b = folder "A" "a", folder "B" "c"
            let first = run (spec "xor" a "bc" 0 root []) tiny
            Expect.isFalse first.Reused "trained"
            let dir = Runner.RunDirectory first.Spec
            Expect.equal (Runner.RunDirectory(spec "xor" b "bc" 0 root [])) dir "both folders name the same run folder"
            let second = run (spec "xor" b "bc" 0 root []) tiny
            Expect.isFalse second.Reused "other data: trained again"
            Expect.notEqual second.Metrics["return"] first.Metrics["return"] "on the other data"
            Expect.equal (Directory.GetFiles(dir, "record.superseded-*.json").Length) 1 "the first record is set aside"
            Expect.isTrue (run (spec "xor" b "bc" 0 root []) tiny).Reused "the same data again: reused"
            let copy = Path.Combine(sets, "C", "buffer_02_20")
            Directory.CreateDirectory copy |> ignore
            for f in Directory.GetFiles b do File.Copy(f, Path.Combine(copy, Path.GetFileName(f: string) |> string))
            Expect.isTrue (run (spec "xor" copy "bc" 0 root []) tiny).Reused "the same data in another folder: reused"
        }

        test "a record without dataset_identity (older builds) is reused for a named dataset, not for a folder" {
            let forget (r: RunResult) =
                let json = match Text.Json.Nodes.JsonNode.Parse(File.ReadAllText r.RecordPath) with null -> failwith "empty record" | j -> j.AsObject()
                Expect.isTrue (json.Remove "dataset_identity") "the record holds dataset_identity"
                File.WriteAllText(r.RecordPath, json.ToJsonString())
            let named = spec "xor" "a" "bc" 0 (TestPaths.scratchDir "legacy-named") []
            forget (run named tiny)
            Expect.isTrue (run named tiny).Reused "a named dataset: its name and seed determine the data, as before"
            let folder = Path.Combine(TestPaths.scratchDir "legacy-data", "xor-a")
            MatrixGameDatasets.Generate(MatrixGames.Xor, "a", 20, 50, 0, folder) |> ignore
            let s = spec "xor" folder "bc" 0 (TestPaths.scratchDir "legacy-folder") []
            forget (run s tiny)
            Expect.isFalse (run s tiny).Reused "a folder: which data made the record is unknown, so trained again"
        }

        test "the datasets of Tables 1-3 and the reference imports are accepted by their environments" {
            for env, names in [ "xor", [ "a"; "b"; "c" ]; "mne", [ "balanced"; "imbalanced" ]; "bridge", [ "optimal"; "mixed" ] ] do
                let e = RunEnvironments.Resolve env
                for name in names do e.CheckDataset(e.Dataset(name, Runner.DatasetSeed 0).Spec, name)
            // generated data carry their game's name: XOR's data do not pass for another 2 × 2 game
            let coordination =
                MatrixGameRunEnvironment(MatrixGame("coordination", [| "x"; "y" |], [| [| "a"; "b" |]; [| "a"; "b" |] |], [| 1.0; 0.0; 0.0; 1.0 |]))
            let e = TestPaths.catchException<ArgumentException> (fun () ->
                coordination.CheckDataset(MatrixGameDatasets.Record(MatrixGames.Xor, "a", 1, 50, 0).Spec, "a"))
            Expect.stringContains e.Message "environment 'xor' (2 agents, 2 actions, observation 4, state 4), not the run's environment 'coordination'" "by name"
            let reference = TestPaths.sharedData
            if Directory.Exists reference then
                let bridge = RunEnvironments.Resolve "bridge"
                for name in [ "optimal-reference"; "mixed-reference" ] do bridge.CheckDataset(bridge.Dataset(name, 0).Spec, name)
                // `inspo import pymarl` names an import by its buffer's parent folder: "xor_alberdice" is not "xor"
                let xor = RunEnvironments.Resolve "xor"
                let imports = TestPaths.scratchDir "imports"
                for buffer in Directory.GetDirectories(Path.Combine(reference, "xor_alberdice")) do
                    let folder = Path.Combine(imports, Path.GetFileName(buffer: string) |> string)
                    xor.CheckDataset((PymarlImporter.ImportTo(buffer, "xor_alberdice", folder)).Spec, folder)
                // an import is still refused by another environment's sizes
                let imported = Path.Combine(imports, "buffer_02_20")
                let bridgeRefusal = TestPaths.catchException<ArgumentException> (fun () ->
                    bridge.CheckDataset((DatasetStore.Load imported).Data.Spec, imported))
                Expect.stringContains bridgeRefusal.Message "'xor_alberdice' (2 agents, 2 actions" "names the import's environment"
        }

        test "inspo train (CLI) retrains a finished cell whose record was made with other options" {
            let root = TestPaths.scratchDir "cli-retrain"
            let args = [ "train"; "--env"; "xor"; "--dataset"; "b"; "--algo"; "bc"; "--profile"; "smoke"; "--out"; root ]
            let code, _, err = CliTests.inspo args
            Expect.equal code 0 (sprintf "exit code (stderr: %s)" err)
            let cell = Path.Combine(root, "xor", "b", "bc", "seed0")
            let record = Path.Combine(cell, "record.json")
            let json = match Text.Json.Nodes.JsonNode.Parse(File.ReadAllText record) with null -> failwith "empty record" | j -> j.AsObject()
            json["options"] <- Text.Json.Nodes.JsonNode.Parse """{ "lr": 0.5 }"""
            File.WriteAllText(record, json.ToJsonString())
            let code, out, err = CliTests.inspo args
            Expect.equal code 0 (sprintf "exit code (stderr: %s)" err)
            Expect.isFalse (out.Contains "finished before") "a record of other options is not reused"
            Expect.equal (Directory.GetFiles(cell, "record.superseded-*.json").Length) 1 "it is set aside"
            let _, out, _ = CliTests.inspo args
            Expect.stringContains out "finished before" "the new record is reused"
        }

        test "unknown hyperparameters and algorithms are refused by name" {
            let root = TestPaths.scratchDir "bad"
            let e = TestPaths.catchException<ArgumentException> (fun () -> run (spec "xor" "a" "inspo" 0 root [ "alpah", 1.0 ]) tiny |> ignore)
            Expect.stringContains e.Message "alpah" "names the typo"
            let e = TestPaths.catchException<ArgumentException> (fun () -> run (spec "xor" "a" "qmix" 0 root []) tiny |> ignore)
            Expect.stringContains e.Message "qmix" "names the algorithm"
        }
    
        test "every option runs: auto-tuned α moves, dataset-level resampling, fixed order, no entropy, simultaneous" {
            let data = MatrixGameDatasets.Record(MatrixGames.Mne, "imbalanced", 10, 50, 0)
            use buffer = new DeviceEpisodeBuffer(data, torch.CPU)
            let hyper = Dictionary<string, float>(dict [ "alpha_auto", 1.0; "resample", 1.0; "order", 1.0; "entropy", 0.0; "sequential", 0.0; "alpha_lr", 0.05 ])
            use init = new torch.Generator(0UL)
            use learner = Learners.Create("inspo", data.Spec, hyper, tiny, torch.CPU, init)
            let inspo = learner :?> Inspo
            Expect.equal inspo.Options.Order AgentOrder.Fixed "order 1 = fixed"
            Expect.equal inspo.Options.Resample ResampleScope.Dataset "resample 1 = dataset"
            Expect.equal (inspo.Options.BetaAt(0L, 10L)) 0.0 "entropy off: β ≡ 0"
            let state = TrainerState(new torch.Generator(0UL))
            let finished = Trainer.Train(learner, buffer, state, tiny.TotalSteps)
            Expect.isTrue finished "ran to the end"
            Expect.equal state.Step tiny.TotalSteps "step counter"
            Expect.notEqual (Math.Round(inspo.Alpha, 6)) 1.0 "Eq. 25 moved α away from its start"
            let obs = buffer.Observations.select(1L, 0L)
            let struct (p, _) = learner.Act(obs, buffer.Available.select(1L, 0L), torch.zeros([| obs.shape[0]; obs.shape[1] |], dtype = torch.int64) - 1L, null)
            Expect.isTrue (p.isfinite().all().item<bool>()) "finite policy"
        }

        test "β decays exponentially from β₀ to β₀ · ratio over the policy phase" {
            let o = InspoOptions.For("mne", null, tiny)
            Expect.equal (o.BetaAt(0L, 101L)) 5.0 "β₀ = 5 on M-NE"
            Expect.floatClose Accuracy.high (o.BetaAt(100L, 101L)) (5.0 * 1e-4) "β₀ · ratio at the end"
            Expect.floatClose Accuracy.high (o.BetaAt(50L, 101L)) (5.0 * 1e-2) "geometric in between"
            let x = InspoOptions.For("xor", null, tiny)
            Expect.equal (x.Alpha, x.Beta0) (0.1, 1.0) "XOR defaults α = 0.1, β₀ = 1"
        }

        test "Bridge's InSPO defaults discount (a navigation task) and take two steps per agent per round; overrides win" {
            let b = InspoOptions.For("bridge", null, tiny)
            Expect.equal (b.Gamma, b.Tau, b.Alpha, b.Beta0, b.InnerSteps) (0.9, 0.05, 0.1, 1.0, 2) "bridge defaults"
            let m = InspoOptions.For("mne", null, tiny)
            Expect.equal (m.Gamma, m.InnerSteps) (0.0, 1) "M-NE keeps γ = 0 and one step"
            let o = InspoOptions.For("bridge", readOnlyDict [ "inner_steps", 1.0; "gamma", 0.0 ], tiny)
            Expect.equal (o.InnerSteps, o.Gamma) (1, 0.0) "overrides replace the environment's defaults"
        }

        test "inspo train (CLI): smoke run prints the metrics and writes the record; a rerun keeps it; bad --set exits 2" {
            let root = TestPaths.scratchDir "cli-train"
            let args = [ "train"; "--env"; "xor"; "--dataset"; "b"; "--algo"; "bc"; "--seed"; "1"; "--profile"; "smoke"; "--out"; root ]
            let code, out, err = CliTests.inspo args
            Expect.equal code 0 (sprintf "exit code (stderr: %s)" err)
            Expect.stringContains out "return_sampled" "metrics table"
            Expect.isTrue (File.Exists(Path.Combine(root, "xor", "b", "bc", "seed1", "record.json"))) "record written"
            let code, out, _ = CliTests.inspo args
            Expect.equal code 0 "rerun"
            Expect.stringContains out "finished before" "the finished cell is skipped"
            let code, _, err = CliTests.inspo (args @ [ "--set"; "lr" ])
            Expect.equal code 2 "bad --set"
            Expect.stringContains err "name=value" "names the expected form"
        }
    ]
