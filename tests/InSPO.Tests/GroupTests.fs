/// Groups (a cell's seeds in one process) and the scheduler that runs them in separate processes.
module InSPO.Tests.GroupTests

open System
open System.IO
open Expecto
open InSPO.Training
open InSPO.Scripting
open InSPO.Scripting.Experiment

let private tiny root =
    { experiment "groups" "xor" [ "b" ] [ algo "bc" []; algo "inspo" [ "alpha", [ 0.1 ] ] ] with
        Seeds = [ 0; 1 ]; Profile = "smoke"; RunsRoot = Some root; ReportsRoot = Path.Combine(root, "reports") }

let private metricOf (c: CellResult) =
    match c.Outcome with
    | Ran r | Reused r -> r.Metrics["return"]
    | Failed m -> failwithf "cell failed: %s" m
    | NotRun -> failwith "cell not run"

[<Tests>]
let tests =
    testList "groups" [
        test "seeds parse as lists and ranges; a bad or repeated seed is refused naming it" {
            Expect.equal (List.ofSeq (RunGroup.ParseSeeds "0-4")) [ 0 .. 4 ] "range"
            Expect.equal (List.ofSeq (RunGroup.ParseSeeds "0,2, 5")) [ 0; 2; 5 ] "list"
            Expect.equal (List.ofSeq (RunGroup.ParseSeeds "0-2,7")) [ 0; 1; 2; 7 ] "mix"
            for bad, named in [ "1,x", "'x'"; "3-1", "'3-1'"; "1,1", "twice"; "", "no seed" ] do
                let message = try RunGroup.ParseSeeds bad |> ignore; "" with :? ArgumentException as e -> e.Message
                Expect.stringContains message named (sprintf "'%s' refused, naming the problem" bad)
        }

        test "a bad INSPO_JOBS ends an experiment script with one line naming it, exit 2" {
            let dir = TestPaths.scratchDir "bad-jobs"
            let environment = [ "INSPO_JOBS", "zero"; "INSPO_PROFILE", "smoke"; "INSPO_RUNS", Path.Combine(dir, "runs"); "INSPO_REPORTS", Path.Combine(dir, "reports") ]
            let code, _, err = TestPaths.runDotnetWith environment dir [ "fsi"; Path.Combine(TestPaths.repoRoot, "experiments", "table2_mne.fsx") ]
            Expect.equal code 2 "exit code"
            Expect.stringContains err "INSPO_JOBS=zero" "the variable and its value named"
            Expect.isFalse (err.Contains "   at ") "no stack trace"
        }

        test "cells that differ only by seed form one group, in the order of their first cell; hyperparameters split groups" {
            let root = TestPaths.scratchDir "groups-of"
            let specs = (cells (tiny root)) |> List.map (fun c -> c.Spec)
            let groups = RunGroup.Of specs
            Expect.equal groups.Count 2 "bc and inspo(alpha=0.1)"
            Expect.equal [ for g in groups -> g.Template.Algorithm ] [ "bc"; "inspo" ] "order"
            Expect.equal [ for g in groups -> List.ofSeq g.Seeds ] [ [ 0; 1 ]; [ 0; 1 ] ] "seeds"
            Expect.equal (Path.GetFileName groups[1].Folder) "inspo-alpha=0.1" "the cell folder"
            Expect.equal (Path.GetFileName groups[1].LogPath) "group-seeds-0-1.log" "the log beside the seeds' folders"
            let args = groups[1].TrainArguments() |> List.ofSeq
            Expect.containsAll args [ "--seeds"; "0,1"; "--set"; "alpha=0.1"; "--profile"; "smoke"; "--resume" ] "the inspo command"
        }

        test "report only: finished cells a run would reuse are shown, the others are not run and nothing is written" {
            let root = TestPaths.scratchDir "report-only"
            let quiet (_: string) = ()
            let seed0 = { tiny root with Seeds = [ 0 ] }
            let trained = execute quiet (InProcess(fun spec -> Runner.Run(spec, true, null))) seed0
            let lines = ResizeArray<string>()
            let report = execute lines.Add FinishedOnly (tiny root)
            let outcome algorithm seed =
                (report.Cells |> List.find (fun c -> c.Cell.Variant.Algorithm.Name = algorithm && c.Cell.Seed = seed)).Outcome
            for algorithm in [ "bc"; "inspo" ] do
                match outcome algorithm 0 with
                | Reused r -> Expect.equal r.Metrics["return"] (trained.Cells |> List.find (fun c -> c.Cell.Variant.Algorithm.Name = algorithm) |> metricOf) "seed 0 as trained"
                | o -> failtestf "%s seed 0: %A" algorithm o
                Expect.equal (outcome algorithm 1) NotRun (sprintf "%s seed 1 has no record" algorithm)
            for c in cells (tiny root) |> List.filter (fun c -> c.Seed = 1) do
                Expect.isFalse (Directory.Exists(Runner.RunDirectory c.Spec)) "no run folder made"
            Expect.stringContains (Seq.last lines) "0 ran, 2 reused, 2 not run, 0 failed" "summary"
            let _, rows = Tables.cellsOf Tables.Markdown report
            Expect.stringContains rows.[0].[2] "(n=1)" "the table marks the seeds it has"
            // a record of another budget is not what a run of this profile would reuse
            let otherBudget = execute quiet FinishedOnly { tiny root with Profile = "quick" }
            Expect.isTrue (otherBudget.Cells |> List.forall (fun c -> c.Outcome = NotRun)) "smoke records are not quick cells"
            // a record whose data cannot be made any more (here: a dataset name XOR does not have) fails its cell, naming why
            let unknown = { seed0 with Datasets = [ "no-such-data" ]; Algorithms = [ algo "bc" [] ] }
            let record = (cells seed0 |> List.find (fun c -> c.Variant.Algorithm.Name = "bc")).Spec |> Runner.RunDirectory
            let copy = Runner.RunDirectory (cells unknown).Head.Spec
            Directory.CreateDirectory copy |> ignore
            File.Copy(Path.Combine(record, RunRecord.FileName), Path.Combine(copy, RunRecord.FileName))
            match (execute quiet FinishedOnly unknown).Cells.Head.Outcome with
            | Failed m -> Expect.stringContains m "no-such-data" "the dataset named"
            | o -> failtestf "expected a failed cell, got %A" o
        }

        test "a sweep group: every value × seed its own cell's record, as the single runs; InSPO's as one ensemble, CFCQL's one after another" {
            let root = TestPaths.scratchDir "sweep"
            let single algo hyper seed = Runner.Run(RunSpec("xor", "b", algo, seed, "smoke", "cpu", readOnlyDict hyper, TestPaths.scratchDir "sweep-single"), RunControl())
            let argmax (p: float[]) = Array.findIndex ((=) (Array.max p)) p
            for algo, name, values, ensemble in [ "inspo", "alpha", [ 0.1; 0.5 ], true; "cfcql", "cql_alpha", [ 0.5; 5.0 ], false ] do
                let group = RunGroup(RunSpec("xor", "b", algo, 0, "smoke", "cpu", readOnlyDict [ "gamma", 0.9 ], root), [ 0; 1 ], RunGroup.SweepOf(name, values))
                Expect.equal (File.Exists group.CheckpointPath) false "nothing yet"
                let members = GroupRunner.Run(group, RunControl()) |> List.ofSeq
                Expect.equal members.Length 4 "2 values × 2 seeds"
                Expect.equal (File.Exists group.CheckpointPath) ensemble (sprintf "%s: %s" algo (if ensemble then "one ensemble" else "one after another"))
                for struct (spec, r, e) in members do
                    Expect.isNull e "no error"
                    let value = (nonNull spec.Hyperparameters).[name]
                    let alone = single algo [ name, value; "gamma", 0.9 ] spec.Seed
                    let r = nonNull r
                    let cell = sprintf "%s %s=%g seed %d" algo name value spec.Seed
                    Expect.equal (Path.GetDirectoryName r.RecordPath) (Runner.RunDirectory spec) (cell + ": its own cell's folder")
                    Expect.stringContains (Runner.RunDirectory spec) (sprintf "%s=%g" name value) (cell + ": named by its value")
                    Expect.floatClose { absolute = 1e-3; relative = 0.0 } r.Metrics["return"] alone.Metrics["return"] (cell + ": return")
                    Expect.equal (Array.map argmax r.FinalPolicy) (Array.map argmax alone.FinalPolicy) (cell + ": the same final joint action")
                    // the record is the cell's: a table script finds it finished with the member's own options
                    Expect.isTrue (Runner.TryReuse spec |> isNull |> not) (cell + ": reused by a run of that cell")
            let args = RunGroup(RunSpec("xor", "b", "inspo", 0, "smoke", "cpu", readOnlyDict [ "alpha", 3.0; "gamma", 0.9 ], root), [ 0; 1 ], RunGroup.SweepOf("alpha", [ 0.1; 0.5 ])).TrainArguments() |> List.ofSeq
            Expect.containsAll args [ "--sweep"; "alpha=0.1,0.5"; "--set"; "gamma=0.9" ] "the inspo command"
            Expect.isFalse (List.contains "alpha=3" args) "the swept option is not also set"
            for bad, named in [ "alpha", "expected name=value"; "alpha=1,x", "'x'"; "alpha=1,1", "twice" ] do
                let message = try RunGroup.SweepOf.Parse bad |> ignore; "" with :? ArgumentException as e -> e.Message
                Expect.stringContains message named (sprintf "'%s' refused, naming the problem" bad)
            // the command: inspo train --sweep (with --seed), and a bad sweep refused with one line, exit 2
            let code, out, err = CliTests.inspo [ "train"; "--env"; "xor"; "--dataset"; "b"; "--algo"; "inspo"; "--sweep"; "alpha=0.1,0.5"; "--set"; "gamma=0.9"
                                                  "--seed"; "1"; "--profile"; "smoke"; "--out"; root ]
            Expect.equal code 0 (sprintf "inspo train --sweep (stderr: %s)" err)
            Expect.stringContains out "alpha=0.5 seed 1: " "a line per member"
            Expect.stringContains out "finished before" "the group's records reused"
            let code, _, err = CliTests.inspo [ "train"; "--env"; "xor"; "--dataset"; "b"; "--sweep"; "alpha=0.1,y"; "--profile"; "smoke"; "--out"; root ]
            Expect.equal code 2 "a bad sweep"
            Expect.stringContains err "'y' is not a number" "named"
        }

        test "a NaN loss in an ensemble stops its group naming the member, the loss and the step; no member writes a record" {
            let root = TestPaths.scratchDir "group-nan"
            let finished = Runner.Run(RunSpec("xor", "a", "bc", 0, "smoke", "cpu", readOnlyDict [], root), RunControl())
            let data = InSPO.Data.MatrixGameDatasets.Record(InSPO.Envs.MatrixGames.Xor, "a", 10, 50, 0)
            Array.fill data.Rewards 0 data.Rewards.Length Single.NaN
            let group = RunGroup(RunSpec("xor", "a", "inspo", 3, "smoke", "cpu", readOnlyDict [], root), [ 3; 4 ])
            let members = GroupRunner.Run(group, RunControl(DatasetOverride = data)) |> List.ofSeq
            Expect.equal members.Length 2 "both members reported"
            for struct (spec, r, e) in members do
                Expect.isNull r (sprintf "seed %d: no result" spec.Seed)
                let e = match e with :? TrainingDivergedException as d -> d | other -> failtestf "seed %d: expected a divergence, got %A" spec.Seed other
                // InSPO's ensemble holds seed 3 first: its critic's TD loss is the first to see the reward
                Expect.stringStarts e.Loss "loss/critic" "the critic's loss"
                Expect.stringEnds e.Loss "of seed 3" "the first member named"
                Expect.equal e.Step (int64 Profiles.Smoke.BehaviourSteps) "the first policy-phase step"
                Expect.isNull (Runner.TryLoadFinished spec) (sprintf "seed %d: no record" spec.Seed)
            Expect.isTrue (File.Exists finished.RecordPath) "another cell's finished record is kept"
        }

        test "separate group processes give the same cells as the runner in this process, reuse them after, and name a failing group's log" {
            let inProcess = TestPaths.scratchDir "groups-inprocess"
            let separate = TestPaths.scratchDir "groups-separate"
            let quiet (_: string) = ()
            let a = execute quiet (InProcess(fun spec -> Runner.Run(spec, true, null))) (tiny inProcess)
            let b = execute quiet (Processes(2, CliTests.cliDll)) (tiny separate)
            // The processes train each cell's seeds as one ensemble (batched matmuls), the runner here seed after seed:
            // the same arithmetic in another order, so equal up to float rounding, whose size depends on the CPU's
            // kernels (bit-equal on one machine, 1e-8 apart on an AMD EPYC).
            for x, y in List.zip (List.map metricOf b.Cells) (List.map metricOf a.Cells) do
                Expect.floatClose { absolute = 1e-6; relative = 0.0 } x y "the same returns, cell by cell"
            Expect.isTrue (b.Cells |> List.forall (fun c -> match c.Outcome with Ran _ -> true | _ -> false)) "trained"
            let again = execute quiet (Processes(2, CliTests.cliDll)) (tiny separate)
            Expect.isTrue (again.Cells |> List.forall (fun c -> match c.Outcome with Reused _ -> true | _ -> false)) "finished cells reused"
            let broken = execute quiet (Processes(2, CliTests.cliDll)) { tiny separate with Datasets = [ "no-such-dataset" ] }
            for c in broken.Cells do
                match c.Outcome with
                | Failed m ->
                    Expect.stringContains m "no-such-dataset" "the reason from the group's log"
                    Expect.stringContains m "group-seeds-0-1.log" "and the log's path"
                | _ -> failtest "a group on a missing dataset must fail"
        }
    
        test "every algorithm's ensemble on games: member k reproduces the single run of seed k, and a killed group resumes bit-identically" {
            let specOf env dataset algo seed root = RunSpec(env, dataset, algo, seed, "smoke", "cpu", null, root)
            for algo in [ "bc"; "cfcql"; "inspo"; "omar"; "omiga"; "alberdice" ] do
                for env, dataset in [ "xor", "b"; "mne", "imbalanced" ] do
                    let group = RunGroup(specOf env dataset algo 0 (TestPaths.scratchDir "ensemble-group"), [ 0; 1; 2 ])
                    let members = GroupRunner.Run(group, RunControl())
                    Expect.isTrue (File.Exists group.CheckpointPath) "trained as one ensemble (its group checkpoint)"
                    for struct (s, r, e) in members do
                        Expect.isNull e "no error"
                        let single = Runner.Run(specOf env dataset algo s.Seed (TestPaths.scratchDir "ensemble-single"), RunControl())
                        let r = nonNull r
                        let cell = sprintf "%s %s/%s seed %d" algo env dataset s.Seed
                        Expect.floatClose { absolute = 1e-3; relative = 0.0 } r.Metrics["return"] single.Metrics["return"] (cell + ": return")
                        let argmax (p: float[]) = Array.findIndex ((=) (Array.max p)) p
                        Expect.equal (Array.map argmax r.FinalPolicy) (Array.map argmax single.FinalPolicy) (cell + ": the same final joint action")
            // with a learning curve (every 10 steps): member k's curve is the single run's, row by row
            for algo in [ "inspo"; "cfcql" ] do
                let control = RunControl(EvaluateEvery = Nullable 10L)
                let members = GroupRunner.Run(RunGroup(specOf "mne" "imbalanced" algo 0 (TestPaths.scratchDir "ensemble-curves"), [ 0; 1 ]), control)
                let curveOf (r: RunResult) = LearningCurve.Read(Path.Combine(nonNull (Path.GetDirectoryName r.RecordPath), LearningCurve.FileName))
                for struct (s, r, e) in members do
                    Expect.isNull e "no error"
                    let single = Runner.Run(specOf "mne" "imbalanced" algo s.Seed (TestPaths.scratchDir "ensemble-curves-single"), control)
                    let inGroup, alone = curveOf (nonNull r), curveOf single
                    let cell = sprintf "%s seed %d" algo s.Seed
                    Expect.equal [ for struct (step, _) in inGroup -> step ] [ for struct (step, _) in alone -> step ] (cell + ": the single run's evaluation steps")
                    Expect.isGreaterThan inGroup.Count 2 (cell + ": mid-run rows as well as the final one")
                    for struct (step, m), struct (_, a) in Seq.zip inGroup alone do
                        Expect.floatClose { absolute = 1e-3; relative = 0.0 } m.["return"] a.["return"] (sprintf "%s: return at step %d" cell step)
            // killed at step 30 (InSPO: in its rounds, semi-greedy order; AlberDICE: its absorbing-state data rebuilt), then resumed: the same records as the uninterrupted group
            for algo, hyper in [ "bc", null; "inspo", withNull (readOnlyDict [ "order", 2.0 ]); "alberdice", null ] do
                let spec seed root = RunSpec("xor", "b", algo, seed, "smoke", "cpu", hyper, root)
                let killed = RunGroup(spec 0 (TestPaths.scratchDir "ensemble-killed"), [ 0; 1; 2 ])
                Expect.throwsT<RunInterruptedException> (fun () -> GroupRunner.Run(killed, RunControl(StopAfter = 30L)) |> ignore) "stopped"
                let resumed = GroupRunner.Run(killed, RunControl(Resume = true))
                let whole = GroupRunner.Run(RunGroup(spec 0 (TestPaths.scratchDir "ensemble-whole"), [ 0; 1; 2 ]), RunControl())
                for (struct (_, a, _)), (struct (_, b, _)) in Seq.zip resumed whole do
                    Expect.equal (nonNull a).FinalPolicy (nonNull b).FinalPolicy (algo + ": bit-identical after resuming")
                    let recordOf (r: RunResult | null) = RunRecord.Read((nonNull r).RecordPath, (nonNull r).Spec)
                    Expect.equal (recordOf a).ResumedAtStep (Nullable 30L) (algo + ": each member's record names the group's resume step")
                    Expect.isTrue (recordOf a).CpuSeconds.HasValue (algo + ": and its processor seconds (the checkpoint's and this process's)")
                    Expect.isFalse (recordOf b).ResumedAtStep.HasValue (algo + ": a group trained in one process has none")
        }
    ]
