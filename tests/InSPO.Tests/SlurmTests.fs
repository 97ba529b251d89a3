/// Tables as Slurm job arrays: the sbatch script, squeue's output and which groups a round submits (no Slurm
/// needed), and Table 2 at the smoke profile through a real one-node cluster (.ci/slurm-local.sh).
///
/// The cluster test needs slurm-wlm and munge installed and root (the daemons run as root). Where they are missing
/// it is skipped on a developer's machine and fails in CI (the CI variable set, as CI services and .ci/run's caller
/// do): .ci/run installs both with apt-get, so a skip there would hide a broken installation.
module InSPO.Tests.SlurmTests

open System
open System.Collections.Generic
open System.Diagnostics
open System.IO
open System.Text.RegularExpressions
open Expecto
open InSPO.Training
open InSPO.Scripting.Experiment

let private inCi = not (String.IsNullOrEmpty(Environment.GetEnvironmentVariable "CI"))

/// Runs a program with extra environment variables; (exit code, stdout, stderr).
let private exec (environment: (string * string) list) (program: string) (args: string list) =
    let psi = ProcessStartInfo(program, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestPaths.repoRoot)
    for a in args do psi.ArgumentList.Add a
    for k, v in environment do psi.Environment.[k] <- v
    use p = match Process.Start psi with null -> failwithf "could not start %s" program | p -> p
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEnd()
    p.WaitForExit()
    p.ExitCode, out.Result, err

let private inspoWith environment args =
    if not (File.Exists CliTests.cliDll) then failwithf "CLI not built: %s" CliTests.cliDll
    TestPaths.runDotnetWith environment TestPaths.repoRoot (CliTests.cliDll :: args)

/// Table 2's declaration at the smoke profile into a runs folder (its groups are what the scripts submit).
let private table2Groups runs =
    let e = { experiment "table2_mne" "mne" [ "balanced"; "imbalanced" ] paperAlgorithms with Profile = "smoke"; RunsRoot = Some runs }
    RunGroup.Of(cells e |> List.map (fun c -> c.Spec))

/// A record file where a seed's run would write one: for the selection tests, which look only at whether it exists.
let private markFinished (group: RunGroup) (seed: int) =
    let dir = Runner.RunDirectory(group.Template.WithSeed seed)
    Directory.CreateDirectory dir |> ignore
    File.WriteAllText(Path.Combine(dir, RunRecord.FileName), "{}")

let private options =
    SlurmOptions(Partition = "gpu", GpusPerTask = Nullable 1, Time = "2-00:00:00", Memory = "8G",
                 Dotnet = "/opt/dotnet/dotnet", Inspo = "/repo/core/inspo.dll", WorkingDirectory = "/repo")

let private dryRun = SlurmOptions(DryRun = true, Dotnet = "/opt/dotnet/dotnet", Inspo = "/repo/core/inspo.dll", WorkingDirectory = "/repo")

let private unitTests =
    testList "without a cluster" [
        test "the sbatch script: one task per group, its inspo train command and log, the resources asked for" {
            let runs = TestPaths.scratchDir "slurm-script"
            let groups = table2Groups runs
            let script = SlurmArray.Script("table2_mne", groups, options, Path.Combine(runs, "slurm", "table2_mne-%A_%a.out"))
            let lines = script.Split('\n')
            let has line = Expect.contains lines line (sprintf "the line %s" line)
            has "#!/bin/bash"
            has (sprintf "#SBATCH --array=0-%d" (groups.Count - 1))
            has "#SBATCH --job-name=inspo-table2_mne"
            has "#SBATCH --ntasks=1"
            has "#SBATCH --cpus-per-task=1"
            has "#SBATCH --partition=gpu"
            has "#SBATCH --gpus-per-task=1"
            has "#SBATCH --time=2-00:00:00"
            has "#SBATCH --mem=8G"
            has (sprintf "#SBATCH --output=%s" (Path.Combine(runs, "slurm", "table2_mne-%A_%a.out")))
            has "export DOTNET_GCgen0size=\"${DOTNET_GCgen0size:-0x10000000}\""
            has "cd '/repo' || exit 1"
            has "'/opt/dotnet/dotnet' '/repo/core/inspo.dll' \"${args[@]}\" > \"$log\" 2>&1"
            for i, g in Seq.indexed groups do
                let at = Array.IndexOf(lines, sprintf "%d)  # %s" i g.Label)
                Expect.isGreaterThan at 0 (sprintf "task %d is group %s" i g.Label)
                Expect.equal lines.[at + 1] (sprintf "    log='%s'" g.LogPath) "the group's log beside its run folders"
                let args = g.TrainArguments() |> Seq.map (fun a -> "'" + a + "'") |> String.concat " "
                Expect.equal lines.[at + 2] (sprintf "    args=(%s) ;;" args) "the group's inspo train command"
            Expect.stringContains script "'--seeds' '0,1,2,3,4'" "a task trains a cell's five seeds"
            Expect.stringContains script "'--resume'" "and resumes what a cancelled task left"
            let plain = SlurmArray.Script("t", groups, SlurmOptions(Inspo = "/i.dll", WorkingDirectory = "/w"), "/o-%A_%a.out")
            for option in [ "--partition"; "--gpus-per-task"; "--time"; "--mem" ] do
                Expect.isFalse (plain.Contains option) (sprintf "no %s unless asked" option)
        }

        test "the script runs under bash: task i starts inspo with group i's arguments, quoted, into the group's log" {
            // /bin/echo in place of dotnet shows exactly the words bash hands over; a quote in the runs folder and a
            // hyperparameter test the quoting.
            let runs = Path.Combine(TestPaths.scratchDir "slurm-bash", "it's runs")
            let hs = Dictionary<string, float>(dict [ "alpha", 0.1 ]) :> IReadOnlyDictionary<string, float>
            let groups =
                List.ofSeq (RunGroup.Of [ for s in 0 .. 2 -> RunSpec("xor", "b", "inspo", s, "smoke", "cpu", hs, runs) ])
                @ List.ofSeq (RunGroup.Of [ RunSpec("mne", "balanced", "bc", 4, "smoke", "cpu", null, runs) ])
            let o = SlurmOptions(Dotnet = "/bin/echo", Inspo = "inspo.dll", WorkingDirectory = Path.GetTempPath())
            let script = Path.Combine(TestPaths.scratchDir "slurm-bash-script", "array.sbatch")
            File.WriteAllText(script, SlurmArray.Script("t", groups, o, "/dev/null"))
            for i, g in List.indexed groups do
                Directory.CreateDirectory g.Folder |> ignore
                let code, out, err = exec [ "SLURM_ARRAY_TASK_ID", string i ] "bash" [ script ]
                Expect.equal code 0 (sprintf "task %d: %s %s" i out err)
                Expect.stringContains out "exit code 0" "the task reports its exit code"
                let logged = File.ReadAllText(g.LogPath).Trim()
                Expect.equal logged ("inspo.dll " + String.Join(" ", g.TrainArguments())) (sprintf "task %d's command" i)
            Expect.stringContains (File.ReadAllText groups.[0].LogPath) "--set alpha=0.1" "hyperparameters"
            Expect.stringContains (File.ReadAllText groups.[0].LogPath) "it's runs" "a quote in a path survives"
            let code, _, err = exec [ "SLURM_ARRAY_TASK_ID", "7" ] "bash" [ script ]
            Expect.equal code 2 "a task the array does not have"
            Expect.stringContains err "no task 7" "says so"
        }

        test "bad Slurm options are refused naming the option" {
            let refuse (o: SlurmOptions) fragment =
                let e = TestPaths.catchException<ArgumentException> (fun () -> o.Validate())
                Expect.stringContains e.Message fragment "names the option"
            let ok = SlurmOptions(Inspo = "/i.dll", WorkingDirectory = "/w")
            ok.Validate()
            SlurmOptions(Partition = "gpu,a100", Time = "90", Memory = "500M", GpusPerTask = Nullable 2, Inspo = "/i", WorkingDirectory = "/w").Validate()
            SlurmOptions(Time = "1-12:30", Inspo = "/i", WorkingDirectory = "/w").Validate()
            refuse (SlurmOptions(Partition = "gpu a100", Inspo = "/i", WorkingDirectory = "/w")) "--partition gpu a100"
            refuse (SlurmOptions(GpusPerTask = Nullable 0, Inspo = "/i", WorkingDirectory = "/w")) "--gpus-per-task 0"
            refuse (SlurmOptions(Time = "soon", Inspo = "/i", WorkingDirectory = "/w")) "--time soon"
            refuse (SlurmOptions(Memory = "lots", Inspo = "/i", WorkingDirectory = "/w")) "--mem lots"
        }

        test "squeue's output: a task per line, folded pending ranges unfolded, plain jobs; a malformed line is refused" {
            let q = SlurmQueue.Parse "12_3|RUNNING\n12_[4-6,9%2]|PENDING\n13|COMPLETING\n12_0|CANCELLED\n\n"
            Expect.equal [ for j in q -> j.Id, j.State ]
                [ "12_3", "RUNNING"; "12_4", "PENDING"; "12_5", "PENDING"; "12_6", "PENDING"; "12_9", "PENDING"; "13", "COMPLETING"; "12_0", "CANCELLED" ] "tasks"
            Expect.isTrue q.[0].Running "running"
            Expect.isTrue q.[1].Pending "pending"
            Expect.isTrue q.[5].Running "completing counts as running: it may still write"
            Expect.isTrue q.[6].Ended "cancelled has ended"
            for bad in [ "12_3 RUNNING"; "x_3|RUNNING"; "12_[5-2]|PENDING"; "12_[a]|PENDING"; "|RUNNING" ] do
                let e = TestPaths.catchException<InvalidDataException> (fun () -> SlurmQueue.Parse bad |> ignore)
                Expect.stringContains e.Message "squeue:" (sprintf "'%s' refused" bad)
        }

        test "a round submits only the groups lacking a record: a dry run prints their array, writes nothing" {
            let runs = TestPaths.scratchDir "slurm-missing"
            let groups = table2Groups runs
            for s in groups.[0].Seeds do markFinished groups.[0] s          // a finished group
            markFinished groups.[1] 0                                        // a group with one seed finished
            let lines = List<string>()
            let round = SlurmArray.Run([| struct ("table2_mne", groups) |], dryRun, Action<string> lines.Add)
            Expect.isFalse round.AllFinished "groups are missing"
            Expect.equal round.Submitted (groups.Count - 1) "every group but the finished one"
            let script = nonNull round.Script
            Expect.stringContains script (sprintf "#SBATCH --array=0-%d" (groups.Count - 2)) "the array's range"
            Expect.isFalse (script.Contains groups.[0].LogPath) "the finished group is left out"
            Expect.stringContains script (sprintf "0)  # %s" groups.[1].Label) "the partly finished group is task 0"
            Expect.isFalse (Directory.Exists(SlurmLedger.FolderOf runs)) "a dry run writes no ledger or script"
            for s in [ 1 .. 4 ] do markFinished groups.[1] s
            for g in Seq.skip 2 groups do for s in g.Seeds do markFinished g s
            let all = SlurmArray.Run([| struct ("table2_mne", groups) |], dryRun, ignore)
            Expect.isTrue all.AllFinished "every record there: the caller aggregates"
            Expect.equal all.Submitted 0 "nothing submitted"
        }

        test "a group's state: finished, pending or running from squeue, failed with why and its log, never submitted" {
            let runs = TestPaths.scratchDir "slurm-status"
            let groups = table2Groups runs |> Seq.take 6 |> Array.ofSeq
            let ledgerGroups = groups |> Array.map SlurmLedger.Group.Of
            let task i (g: RunGroup) = SlurmLedger.Task(i, Path.GetFullPath g.Folder, g.Seeds)
            // Groups 0-3 in job 40; group 4 resubmitted in job 41; group 5 never.
            let submissions =
                [| SlurmLedger.Submission("40", DateTime.UtcNow, "/s/a.sbatch", Path.Combine(runs, "t-%A_%a.out"), [| for i in 0 .. 4 -> task i groups.[i] |])
                   SlurmLedger.Submission("41", DateTime.UtcNow, "/s/b.sbatch", Path.Combine(runs, "t-%A_%a.out"), [| task 0 groups.[4] |]) |]
            let ledger = SlurmLedger("table2_mne", "table2", ledgerGroups, submissions)
            for s in groups.[0].Seeds do markFinished groups.[0] s
            markFinished groups.[3] 0
            Directory.CreateDirectory groups.[3].Folder |> ignore
            File.WriteAllText(groups.[3].LogPath, "seed 0: return 3.9\ninspo: seed 1: checkpoint x: cut short\n")
            File.WriteAllText(Path.Combine(runs, "t-40_3.out"), "task 3\nslurmstepd-n1: error: *** JOB 44 ON n1 CANCELLED AT 2026-01-01T00:00:00 ***\n")
            let queue = SlurmQueue.Parse "40_1|RUNNING\n40_2|PENDING\n40_4|RUNNING\n41_0|PENDING\n"
            let states = SlurmStatus.Of(ledger, queue)
            Expect.equal [ for s in states -> s.State ]
                [ GroupState.Finished; GroupState.Running; GroupState.Pending; GroupState.Failed; GroupState.Pending; GroupState.Unsubmitted ]
                "finished, running, pending, failed, pending (its latest task), never submitted"
            Expect.equal states.[4].Task "41_0" "a resubmitted group is judged by its latest task"
            let failed = states.[3]
            Expect.equal (List.ofSeq failed.FinishedSeeds) [ 0 ] "the seed that finished"
            Expect.equal failed.SlurmOutput (Path.Combine(runs, "t-40_3.out")) "Slurm's output of its task"
            Expect.stringContains (nonNull failed.Reason) "slurm: JOB 44 ON n1 CANCELLED" "the cancellation"
            Expect.stringContains (nonNull failed.Reason) "inspo: seed 1: checkpoint x: cut short" "the log's error"
            Expect.equal (failed.Cells |> Seq.filter ((=) GroupState.Failed) |> Seq.length) 4 "four cells failed, one finished"
            Expect.equal [ for s in states -> s.NeedsSubmission ] [ false; false; false; true; false; true ] "what the next round submits"
            let gone = SlurmStatus.Of(ledger, SlurmQueue.Parse "40_1|FAILED\n")
            Expect.equal gone.[1].State GroupState.Failed "ended without its records: failed"
            Expect.stringContains (nonNull gone.[1].Reason) "FAILED" "the state squeue still shows"
        }

        test "the ledger round-trips through its file and names Slurm's output per task" {
            let runs = TestPaths.scratchDir "slurm-ledger"
            let g = (table2Groups runs).[2]
            let sub = SlurmLedger.Submission("7", DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), "/s.sbatch", "/r/100%%/t-%A_%a.out", [| SlurmLedger.Task(3, g.Folder, g.Seeds) |])
            let ledger = SlurmLedger("table2_mne", "table2", [| SlurmLedger.Group.Of g |], [| sub |])
            let path = SlurmLedger.PathOf(runs, "table2_mne")
            ledger.Save path
            let back = nonNull (SlurmLedger.Load path)
            Expect.equal back.Experiment "table2_mne" "name"
            Expect.equal (List.ofSeq back.Groups.[0].Seeds) [ 0 .. 4 ] "seeds"
            Expect.equal back.Submissions.[0].Job "7" "job"
            Expect.equal (back.Submissions.[0].OutputOf back.Submissions.[0].Tasks.[0]) "/r/100%/t-7_3.out" "%A, %a and %% filled in"
            Expect.isTrue (back.Matches "table2" && back.Matches "TABLE2_MNE" && not (back.Matches "table1")) "names"
            File.WriteAllText(path, "{ not json")
            let e = TestPaths.catchException<InvalidDataException> (fun () -> SlurmLedger.Load path |> ignore)
            Expect.stringContains e.Message path "a malformed ledger is named"
        }

        test "reproduce --slurm and status refuse bad input in one line with exit code 2" {
            let expectBad (environment: (string * string) list) args fragment =
                let code, out, err = inspoWith environment args
                Expect.equal code 2 (sprintf "exit code 2: %s %s" out err)
                let lines = err.Trim().Split('\n')
                Expect.equal lines.Length 1 (sprintf "one line on stderr: %s" err)
                Expect.stringContains lines.[0] fragment "names the problem"
            expectBad [] [ "reproduce"; "table2"; "--partition"; "gpu" ] "--partition needs --slurm"
            expectBad [] [ "reproduce"; "table2"; "--slurm"; "--time"; "soon" ] "--time soon"
            expectBad [] [ "reproduce"; "table2"; "--slurm"; "--gpus-per-task"; "0" ] "--gpus-per-task 0"
            expectBad [] [ "reproduce"; "exact"; "--slurm" ] "no runs to submit"
            // No Slurm client on PATH: PATH holds only a link to the dotnet host (its own folder may hold sbatch too).
            let empty = TestPaths.scratchDir "slurm-no-ledger"
            let bin = Directory.CreateDirectory(Path.Combine(empty, "bin")).FullName
            let dotnet = FileInfo(nonNull (SlurmOptions.OnPath "dotnet"))
            let real = match dotnet.ResolveLinkTarget true with null -> dotnet.FullName | target -> target.FullName
            File.CreateSymbolicLink(Path.Combine(bin, "dotnet"), real) |> ignore
            expectBad [ "PATH", bin ] [ "reproduce"; "table2"; "--slurm"; "--runs"; Path.Combine(empty, "runs") ] "sbatch is not on PATH"
            expectBad [] [ "status"; empty; "table2" ] "no Slurm submission of table2"
            expectBad [] [ "status"; Path.Combine(empty, "absent") ] "is not a folder"
        }

        test "reproduce table2 --slurm --dry-run prints the array of every missing group and writes nothing" {
            let dir = TestPaths.scratchDir "slurm-dry"
            let runs = Path.Combine(dir, "runs")
            let code, out, err =
                inspoWith [] [ "reproduce"; "table2"; "--slurm"; "--dry-run"; "--profile"; "smoke"; "--runs"; runs; "--reports"; Path.Combine(dir, "reports")
                               "--partition"; "gpu"; "--gpus-per-task"; "1"; "--device"; "cuda"; "--time"; "4:00:00"; "--mem"; "8G" ]
            Expect.equal code 0 (sprintf "exit code: %s %s" out err)
            let groups = table2Groups runs
            Expect.stringContains out (sprintf "#SBATCH --array=0-%d" (groups.Count - 1)) "every group"
            for line in [ "#SBATCH --partition=gpu"; "#SBATCH --gpus-per-task=1"; "#SBATCH --time=4:00:00"; "#SBATCH --mem=8G"; "'--device' 'cuda'" ] do
                Expect.stringContains out line line
            Expect.isFalse (Directory.Exists runs) "nothing written"
            Expect.isFalse (Directory.Exists(Path.Combine(dir, "reports"))) "no reports"
        }
    ]

/// The local cluster's configuration, and whether this test started it (then it stops it); skipped (a developer's
/// machine) or failed (CI) where Slurm is not installed or the test is not root.
let private startCluster () =
    let installed = [ "slurmctld"; "slurmd"; "munged"; "sbatch" ] |> List.forall (fun p -> SlurmOptions.OnPath p <> null || File.Exists("/usr/sbin/" + p))
    let why =
        if not installed then Some "Slurm is not installed (apt-get install slurm-wlm munge; .ci/run does)"
        elif Environment.UserName <> "root" then Some "the local Slurm cluster's daemons need root"
        else None
    match why with
    | Some reason when inCi -> failtestf "CI: %s" reason
    | Some reason -> skiptestf "%s; CI runs this test" reason
    | None -> ()
    let helper = Path.Combine(TestPaths.repoRoot, ".ci", "slurm-local.sh")
    let code, out, err = exec [] "bash" [ helper; "start" ]
    if code <> 0 then failtestf "%s start failed (%d): %s %s" helper code out err
    let line = out.Trim().Split('\n') |> Array.last
    match line.Split(' ', 2) with
    | [| "started"; conf |] -> conf, true
    | [| "running"; conf |] -> conf, false
    | _ -> failtestf "%s start said: %s" helper out

let private stopCluster () =
    exec [] "bash" [ Path.Combine(TestPaths.repoRoot, ".ci", "slurm-local.sh"); "stop" ] |> ignore

/// squeue's view of these jobs (through the test cluster's configuration).
let private queueOf conf (jobs: string seq) =
    let ids = String.Join(",", jobs)
    let code, out, err = exec [ "SLURM_CONF", conf ] "squeue" [ "--noheader"; "--array"; "--states=all"; "--format=" + SlurmQueue.Format; "--jobs=" + ids ]
    if code = 0 then SlurmQueue.Parse out
    elif err.Contains "Invalid job id" then Array.empty :> _
    else failtestf "squeue: %s" err

let private waitFor (what: string) (timeout: TimeSpan) (condition: unit -> bool) =
    let clock = Stopwatch.StartNew()
    while not (condition ()) do
        if clock.Elapsed > timeout then failtestf "timed out after %.0f s waiting for %s" timeout.TotalSeconds what
        Threading.Thread.Sleep 50

/// The checkpoints a rerun of the group would resume from (they exist only mid-run, or after a kill): its seeds'
/// own, for the seeds lacking a record, and the group checkpoint of those seeds when they train as one ensemble.
let private resumable (g: RunGroup) =
    let pending = g.Seeds |> Seq.filter (fun s -> not (File.Exists(Path.Combine(Runner.RunDirectory(g.Template.WithSeed s), RunRecord.FileName)))) |> List.ofSeq
    [ if pending.Length >= 2 then yield RunGroup(g.Template.WithSeed pending.Head, pending).CheckpointPath
      for s in pending do yield Path.Combine(Runner.RunDirectory(g.Template.WithSeed s), "checkpoint.bin") ]
    |> List.filter File.Exists

let private clusterTest =
    test "Table 2 (smoke) through a real one-node Slurm cluster: the same table as a local run; a cancelled task resumes from its checkpoint; a failing one shows in status with its log" {
        let conf, started = startCluster ()
        try
            let dir = TestPaths.scratchDir "slurm-table2"
            let runs, reports = Path.Combine(dir, "runs"), Path.Combine(dir, "reports")
            let env = [ "SLURM_CONF", conf ]
            let reproduce extra = inspoWith env ([ "reproduce"; "table2"; "--profile"; "smoke"; "--runs"; runs; "--reports"; reports ] @ extra)
            let status () = inspoWith env [ "status"; runs; "table2" ]
            // The local run to compare with, meanwhile (two processes, as a developer's machine runs it).
            let localDir = TestPaths.scratchDir "slurm-table2-local"
            let local =
                Async.StartAsTask(async {
                    return inspoWith [ "INSPO_JOBS", "2" ] [ "reproduce"; "table2"; "--profile"; "smoke"; "--runs"; Path.Combine(localDir, "runs"); "--reports"; Path.Combine(localDir, "reports") ] })
            // A cell made to fail: a file where its run folder goes (a group trained seed by seed or as one ensemble
            // fails there alike).
            let broken = Runner.RunDirectory(RunSpec("mne", "imbalanced", "omiga", 3, "smoke", "cpu", null, runs))
            Directory.CreateDirectory(Path.GetDirectoryName broken |> nonNull) |> ignore
            File.WriteAllText(broken, "not a run folder")
            let groups = table2Groups runs
            let ledgerPath = SlurmLedger.PathOf(runs, "table2_mne")
            let ledger () = nonNull (SlurmLedger.Load ledgerPath)
            let submittedJob (out: string) =
                let m = Regex.Match(out, @"submitted Slurm job (\d+): (\d+) array tasks?,")
                if not m.Success then failtestf "no submission in: %s" out
                m.Groups.[1].Value, int m.Groups.[2].Value
            let active () = queueOf conf (SlurmStatus.JobIds(ledger ())) |> Seq.exists (fun j -> j.Pending || j.Running)

            // Round 1: every group submitted.
            let code, out, err = reproduce [ "--slurm" ]
            Expect.equal code 0 (sprintf "submission: %s %s" out err)
            let _, tasks = submittedJob out
            Expect.equal tasks 12 "Table 2: 2 datasets × 6 algorithms, a group of 5 seeds each"
            Expect.isFalse (File.Exists(Path.Combine(reports, "table2_mne.md"))) "no table while the array runs"

            // Cancel a task mid-run: a group with a checkpoint that a rerun would resume from. A seed can finish
            // between the look and scancel; then the group is resubmitted by the same command and another is tried.
            let brokenGroup = Path.GetDirectoryName broken |> nonNull
            let tried = HashSet<string>([ brokenGroup ])
            let midRun () = groups |> Seq.filter (fun g -> not (tried.Contains g.Folder)) |> Seq.tryFind (fun g -> not (resumable g).IsEmpty)
            let mutable cancelled = None
            let mutable attempt = 0
            while cancelled.IsNone do
                attempt <- attempt + 1
                if attempt > 6 then failtest "no task could be cancelled mid-run in 6 attempts"
                let mutable found = None
                let mutable looks = 0
                waitFor "a seed mid-run" (TimeSpan.FromMinutes 10.0) (fun () ->
                    found <- midRun ()
                    looks <- looks + 1
                    // Now and then: has the array ended with nothing left to catch?
                    if found.IsNone && looks % 40 = 0 && not (active ()) then failtest "the array ended before a seed could be cancelled mid-run"
                    found.IsSome)
                let group = found.Value
                let l = ledger ()
                let last = l.LastTaskOf(SlurmLedger.Group.Of group)
                if not last.HasValue then failtest "the group has no task"
                let struct (submission, t) = last.Value
                let task = sprintf "%s_%d" submission.Job t.Index
                tried.Add group.Folder |> ignore
                let c, o, e = exec env "scancel" [ task ]
                Expect.equal c 0 (sprintf "scancel %s: %s %s" task o e)
                waitFor (task + " to end") (TimeSpan.FromMinutes 2.0) (fun () ->
                    queueOf conf [ task.Split('_').[0] ] |> Seq.forall (fun j -> j.Id <> task || j.Ended))
                // What the cancel left (the task has ended: nothing changes it now).
                match resumable group with
                | [] ->
                    let c2, o2, e2 = reproduce [ "--slurm" ]
                    Expect.equal c2 0 (sprintf "resubmission: %s %s" o2 e2)
                | checkpoints ->
                    let finished = group.Seeds |> Seq.filter (fun s -> File.Exists(Path.Combine(Runner.RunDirectory(group.Template.WithSeed s), RunRecord.FileName))) |> List.ofSeq
                    cancelled <- Some(SlurmLedger.Group.Of group, [ for c in checkpoints -> c, Checkpoint.ReadStep c ], finished)
            let cancelledGroup, checkpoints, finishedBefore = cancelled.Value
            waitFor "the array to end" (TimeSpan.FromMinutes 15.0) (fun () -> not (active ()))

            // Status: the cancelled and the failing group failed, each with its log.
            let code, out, err = status ()
            Expect.equal code 0 (sprintf "status: %s %s" out err)
            let omiga = (ledger ()).Groups |> Seq.find (fun g -> g.Folder = brokenGroup)
            // A group's line and the indented lines under it (log, slurm, why).
            let block (g: SlurmLedger.Group) =
                let lines = out.Split('\n')
                let at = lines |> Array.tryFindIndex (fun l -> l.StartsWith(sprintf "  %-13s %s" "failed" g.Label))
                match at with
                | None -> failtestf "%s not shown as failed: %s" g.Label out
                | Some i -> lines |> Array.skip i |> Array.takeWhile (fun l -> l = lines.[i] || l.StartsWith "                ") |> String.concat "\n"
            Expect.stringContains (block omiga) (sprintf "log: %s" omiga.Log) "the failing group's log"
            Expect.stringContains (block omiga) "seed3" "and why: the file in place of seed 3's folder"
            Expect.stringContains (File.ReadAllText omiga.Log) "inspo: seed " "the log holds the error"
            Expect.stringContains (block cancelledGroup) (sprintf "log: %s" cancelledGroup.Log) "the cancelled group's log"
            Expect.stringContains (block cancelledGroup) "CANCELLED" "and that it was cancelled"
            Expect.stringContains out "0 running, 0 pending" "nothing left in the queue"

            // Round 2: the broken cell repaired; the same command resubmits exactly the two unfinished groups.
            File.Delete broken
            let submissions = (ledger ()).Submissions.Count
            let code, out, err = reproduce [ "--slurm"; "--dry-run" ]
            Expect.equal code 0 (sprintf "dry run: %s %s" out err)
            Expect.stringContains out "#SBATCH --array=0-1" "a dry run prints the two groups' array"
            Expect.equal (ledger ()).Submissions.Count submissions "and submits nothing"
            let code, out, err = reproduce [ "--slurm"; "--partition"; "debug"; "--time"; "30"; "--mem"; "1G" ]
            Expect.equal code 0 (sprintf "resubmission: %s %s" out err)
            let _, tasks = submittedJob out
            Expect.equal tasks 2 "only the cancelled and the failed group"
            waitFor "the second array to end" (TimeSpan.FromMinutes 10.0) (fun () -> not (active ()))
            let resumedLog = File.ReadAllText cancelledGroup.Log
            for checkpoint, step in checkpoints do
                Expect.stringContains resumedLog (sprintf "resumed from %s at step %d" checkpoint step) "the cancelled task's rerun resumed from its checkpoint"
            for s in finishedBefore do
                Expect.stringContains resumedLog (sprintf "seed %d: " s) "a seed finished before the cancel"
                Expect.stringContains resumedLog "finished before" "is reused, not trained again"

            // Round 3: every record there; the same command aggregates.
            let code, out, err = reproduce [ "--slurm" ]
            Expect.equal code 0 (sprintf "aggregation: %s %s" out err)
            Expect.stringContains out "table2_mne: 0 ran, 60 reused, 0 failed" "the table from the array's records"
            let code, out, _ = status ()
            Expect.equal code 0 "status"
            Expect.stringContains out "table2_mne: 60 cells: 60 finished, 0 running, 0 pending, 0 failed" "every cell finished"
            let localCode, localOut, localErr = local.Result
            Expect.equal localCode 0 (sprintf "the local run: %s %s" localOut localErr)
            Expect.equal (File.ReadAllText(Path.Combine(reports, "table2_mne.md"))) (File.ReadAllText(Path.Combine(localDir, "reports", "table2_mne.md")))
                "the Slurm table is the local run's"
        finally
            if started then stopCluster ()
    }

[<Tests>]
let tests = Sequencing.childProcessesOnly <| testList "slurm" [ unitTests; testList "one-node cluster" [ clusterTest ] ]
