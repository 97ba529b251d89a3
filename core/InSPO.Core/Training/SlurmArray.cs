using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace InSPO.Training;

/// <summary>What one call of <see cref="SlurmArray.Run"/> did: the job it submitted (null: none), how many groups
/// it submitted, how many were already in the queue, and whether every group had finished (then the caller
/// aggregates). With a dry run, <see cref="Script"/> is the script that would have been submitted.</summary>
public sealed record SlurmRound(string? Job, int Submitted, int Queued, bool AllFinished, string? Script);

/// <summary>
/// The groups of one or more experiments as one Slurm job array: task i trains group i with
/// <c>inspo train --seeds … --resume</c>, writing the members' run folders and records exactly as a local run, its
/// output in the group's log beside them. Only groups with a seed lacking its record and not already pending or
/// running are submitted, so running the same command again resubmits what failed or was cancelled (each seed
/// resumes from its checkpoint) and, once every record exists, the caller aggregates as it would locally.
/// </summary>
public static class SlurmArray
{
    /// <summary>A word for the shell, single-quoted.</summary>
    public static string Quote(string word) => "'" + word.Replace("'", @"'\''") + "'";

    /// <summary>A value on an #SBATCH line: as it is, or double-quoted when it holds white space.</summary>
    static string SbatchValue(string value) =>
        value.Any(char.IsWhiteSpace) ? "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"" : value;

    /// <summary>A job name Slurm and file names take (letters, digits, _ . + -).</summary>
    public static string JobName(string name) => "inspo-" + Regex.Replace(name, @"[^A-Za-z0-9_.+\-]", "_");

    /// <summary>The sbatch script of a job array whose task i trains <paramref name="groups"/>[i]; Slurm's own output
    /// of each task goes to <paramref name="output"/> (a pattern with %A and %a).</summary>
    public static string Script(string name, IReadOnlyList<RunGroup> groups, SlurmOptions options, string output)
    {
        if (groups.Count == 0) throw new ArgumentException("a Slurm array needs at least one group");
        options.Validate();
        var s = new StringBuilder();
        s.Append("#!/bin/bash\n");
        s.Append($"#SBATCH --job-name={JobName(name)}\n");
        s.Append($"#SBATCH --array=0-{groups.Count - 1}\n");
        // One process per task on one core: the runner trains with one torch thread on CPU.
        s.Append("#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n");
        s.Append("#SBATCH --export=ALL\n");
        s.Append($"#SBATCH --output={SbatchValue(output)}\n");
        if (options.Partition is not null) s.Append($"#SBATCH --partition={options.Partition}\n");
        if (options.GpusPerTask is int g) s.Append($"#SBATCH --gpus-per-task={g}\n");
        if (options.Time is not null) s.Append($"#SBATCH --time={options.Time}\n");
        if (options.Memory is not null) s.Append($"#SBATCH --mem={options.Memory}\n");
        s.Append($"# InSPO.NET, {OneLine(name)}: the groups (a cell's seeds) that lack a finished record, one array task each.\n");
        s.Append("# A task trains its group's seeds with `inspo train --seeds … --resume` into their run folders, as a local run\n");
        s.Append("# does, its output in the group's log beside them; submitted again, each unfinished seed resumes from its\n");
        s.Append("# checkpoint. Slurm's own messages (a cancellation, a time limit) go to the --output file above.\n");
        s.Append("set -u\n");
        s.Append("# TorchSharp 0.107 can lose a Scalar to a collection mid-call; a 256 MB gen-0 budget makes that rare (as .ci/run).\n");
        s.Append("export DOTNET_GCgen0size=\"${DOTNET_GCgen0size:-0x10000000}\"\n");
        s.Append($"cd {Quote(options.WorkingDirectory)} || exit 1\n");
        s.Append("case \"$SLURM_ARRAY_TASK_ID\" in\n");
        for (int i = 0; i < groups.Count; i++)
        {
            var group = groups[i];
            s.Append($"{i.ToString(CultureInfo.InvariantCulture)})  # {OneLine(group.Label)}\n");
            s.Append($"    log={Quote(Path.GetFullPath(group.LogPath))}\n");
            s.Append($"    args=({string.Join(" ", group.TrainArguments().Select(Quote))}) ;;\n");
        }
        s.Append("*)  echo \"inspo: this array has no task $SLURM_ARRAY_TASK_ID\" >&2; exit 2 ;;\nesac\n");
        s.Append("echo \"task $SLURM_ARRAY_TASK_ID on $(hostname): inspo ${args[*]} (log: $log)\"\n");
        s.Append($"{Quote(options.Dotnet)} {Quote(options.Inspo)} \"${{args[@]}}\" > \"$log\" 2>&1\n");
        s.Append("code=$?\necho \"exit code $code\"\nexit $code\n");
        return s.ToString();
    }

    static string OneLine(string text) => text.Replace('\n', ' ').Replace('\r', ' ');

    /// <summary>Submits a script with <c>sbatch --parsable</c> and returns the job id; sbatch's refusal is an
    /// <see cref="InvalidOperationException"/> with its message.</summary>
    public static string Submit(string scriptPath, string workingDirectory)
    {
        var start = new ProcessStartInfo("sbatch") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        start.ArgumentList.Add("--parsable");
        start.ArgumentList.Add(scriptPath);
        Process process;
        try { process = Process.Start(start) ?? throw new InvalidOperationException("could not start sbatch"); }
        catch (Win32Exception) { throw new FileNotFoundException("sbatch is not on PATH (Slurm's client commands are needed to submit)"); }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            // --parsable: "JOB" or "JOB;CLUSTER".
            var job = output.Result.Trim().Split(';')[0];
            if (process.ExitCode != 0 || job.Length == 0 || !job.All(char.IsAsciiDigit))
            {
                var reason = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? $"exit code {process.ExitCode}";
                throw new InvalidOperationException($"sbatch refused {scriptPath}: {reason}");
            }
            return job;
        }
    }

    /// <summary>
    /// One round for the experiments (name, groups): records their groups in their ledgers, asks squeue which
    /// groups are pending or running, and submits every other group that lacks a record as one array (or, with
    /// <see cref="SlurmOptions.DryRun"/>, only prints its script). Every group finished: nothing is submitted and
    /// <see cref="SlurmRound.AllFinished"/> is true. Progress lines go to <paramref name="log"/>.
    /// </summary>
    public static SlurmRound Run(IReadOnlyList<(string Name, IReadOnlyList<RunGroup> Groups)> experiments, SlurmOptions options, Action<string> log)
    {
        if (experiments.Count == 0) throw new ArgumentException("no experiment to submit");
        options.Validate();
        string RootOf(IReadOnlyList<RunGroup> groups) => Path.GetFullPath(groups.FirstOrDefault()?.Template.OutputRoot ?? "runs");
        var ledgers = experiments.Select(e =>
        {
            var path = SlurmLedger.PathOf(RootOf(e.Groups), e.Name);
            var old = SlurmLedger.Load(path);
            var ledger = new SlurmLedger(e.Name, options.Target ?? old?.Target, e.Groups.Select(SlurmLedger.Group.Of).ToList(),
                old?.Submissions ?? Array.Empty<SlurmLedger.Submission>());
            return (Path: path, Ledger: ledger, Groups: e.Groups);
        }).ToList();
        // A dry run on a machine without Slurm still prints the script (nothing can be queued there).
        var jobs = ledgers.SelectMany(l => SlurmStatus.JobIds(l.Ledger)).ToList();
        var queue = options.DryRun && SlurmOptions.OnPath("squeue") is null ? Array.Empty<SlurmJobState>() : SlurmQueue.Query(jobs);

        var submit = new List<RunGroup>();
        var queued = new List<GroupStatus>();
        foreach (var (_, ledger, groups) in ledgers)
            foreach (var group in groups)
            {
                var status = SlurmStatus.Of(ledger, SlurmLedger.Group.Of(group), queue);
                // The run folders decide what is finished, as for a local run (a record with other options is the
                // runner's to redo when the table aggregates).
                if (status.State == GroupState.Finished) continue;
                // Two experiments of one script may share a group: one task trains it.
                if (status.NeedsSubmission) { if (!submit.Any(g => status.Group.Same(Path.GetFullPath(g.Folder), g.Seeds))) submit.Add(group); }
                else queued.Add(status);
            }
        var name = string.Join("+", experiments.Select(e => e.Name));
        if (submit.Count == 0)
        {
            if (!options.DryRun) foreach (var (path, ledger, _) in ledgers) ledger.Save(path);
            if (queued.Count > 0)
                log($"{name}: {queued.Count} groups still pending or running in Slurm ({string.Join(", ", queued.Select(q => q.Task).Distinct())}); run the same command again when they have ended");
            return new SlurmRound(null, 0, queued.Count, queued.Count == 0, null);
        }

        var folder = SlurmLedger.FolderOf(RootOf(experiments[0].Groups));
        var output = Path.Combine(folder, SafeFile(name).Replace("%", "%%") + "-%A_%a.out");
        var script = Script(name, submit, options, output);
        if (options.DryRun)
        {
            log(script);
            return new SlurmRound(null, submit.Count, queued.Count, false, script);
        }
        // Slurm does not create the folders of --output, and the task's shell writes the group's log into its folder.
        Directory.CreateDirectory(folder);
        foreach (var group in submit) Directory.CreateDirectory(group.Folder);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss.fff'Z'", CultureInfo.InvariantCulture);
        var scriptPath = Path.Combine(folder, $"{SafeFile(name)}-{stamp}.sbatch");
        File.WriteAllText(scriptPath, script);
        var job = Submit(scriptPath, options.WorkingDirectory);
        var submitted = DateTime.UtcNow;
        foreach (var (path, ledger, groups) in ledgers)
        {
            var tasks = Enumerable.Range(0, submit.Count).Where(i => ledger.Groups.Any(g => g.Same(Path.GetFullPath(submit[i].Folder), submit[i].Seeds)))
                .Select(i => new SlurmLedger.Task(i, Path.GetFullPath(submit[i].Folder), submit[i].Seeds.ToList())).ToList();
            var ledgerNow = tasks.Count == 0 ? ledger
                : ledger with { Submissions = ledger.Submissions.Append(new SlurmLedger.Submission(job, submitted, scriptPath, output, tasks)).ToList() };
            ledgerNow.Save(path);
        }
        log($"{name}: submitted Slurm job {job}: {submit.Count} array task{(submit.Count == 1 ? "" : "s")}, one per group lacking a record"
            + (queued.Count > 0 ? $" ({queued.Count} more still pending or running from before)" : "")
            + $"; each group's log is beside its run folders, Slurm's output in {folder}");
        return new SlurmRound(job, submit.Count, queued.Count, false, null);
    }

    static string SafeFile(string name) => Regex.Replace(name, @"[^A-Za-z0-9_.+\-]", "_");
}
