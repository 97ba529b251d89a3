namespace InSPO.Training;

/// <summary>Where a group's unfinished seeds stand.</summary>
public enum GroupState
{
    /// <summary>Every seed has its record.</summary>
    Finished,
    /// <summary>Its array task is on a node.</summary>
    Running,
    /// <summary>Its array task waits in the queue.</summary>
    Pending,
    /// <summary>Its last task ended (failed, cancelled, out of time or memory) leaving seeds without records.</summary>
    Failed,
    /// <summary>Never submitted.</summary>
    Unsubmitted,
}

/// <summary>A group's state: the seeds that finished, the state of the others, its last array task (12_3), Slurm's
/// output file of that task, the group's log and, for a failed group, why (from the queue, Slurm's output and
/// the log).</summary>
public sealed record GroupStatus(SlurmLedger.Group Group, IReadOnlyList<int> FinishedSeeds, GroupState State, string? Task, string? SlurmOutput, string? Reason)
{
    /// <summary>The state of each cell (seed): finished, or the group's state.</summary>
    public IEnumerable<GroupState> Cells => Group.Seeds.Select(s => FinishedSeeds.Contains(s) ? GroupState.Finished : State);

    /// <summary>Not finished and not in the queue: what a new submission takes.</summary>
    public bool NeedsSubmission => State is GroupState.Failed or GroupState.Unsubmitted;
}

/// <summary>
/// The state of an experiment's groups from its ledger, the run folders and the queue: a seed with a record is
/// finished; a group whose last task squeue lists as pending or running is pending or running; otherwise a group
/// with a seed lacking its record failed if it was ever submitted (the reason from squeue while it still lists the
/// task, else from Slurm's output file: a cancellation or a time limit; then the last error line of the log).
/// </summary>
public static class SlurmStatus
{
    /// <summary>The job ids the ledger's submissions hold (what to ask squeue about).</summary>
    public static IEnumerable<string> JobIds(SlurmLedger ledger) => ledger.Submissions.Select(s => s.Job).Distinct();

    public static IReadOnlyList<GroupStatus> Of(SlurmLedger ledger, IReadOnlyList<SlurmJobState> queue) =>
        ledger.Groups.Select(g => Of(ledger, g, queue)).ToList();

    public static GroupStatus Of(SlurmLedger ledger, SlurmLedger.Group group, IReadOnlyList<SlurmJobState> queue)
    {
        var finished = group.Seeds.Where(group.Finished).ToList();
        var last = ledger.LastTaskOf(group);
        string? taskId = last is { } l ? $"{l.Submission.Job}_{l.Task.Index}" : null;
        string? output = last is { } m ? m.Submission.OutputOf(m.Task) : null;
        if (finished.Count == group.Seeds.Count) return new GroupStatus(group, finished, GroupState.Finished, taskId, output, null);
        if (last is null) return new GroupStatus(group, finished, GroupState.Unsubmitted, null, null, null);
        var inQueue = queue.FirstOrDefault(q => q.Id == taskId);
        if (inQueue is { Pending: true }) return new GroupStatus(group, finished, GroupState.Pending, taskId, output, null);
        if (inQueue is { Running: true }) return new GroupStatus(group, finished, GroupState.Running, taskId, output, null);
        var reasons = new List<string>();
        if (inQueue is { Ended: true } && inQueue.State != "COMPLETED") reasons.Add(inQueue.State);
        // slurmstepd's note of a cancellation or a time limit: "slurmstepd-node: error: *** JOB 22 ON node CANCELLED AT … ***".
        if (output is not null && LastLine(output, l => l.StartsWith("slurmstepd", StringComparison.Ordinal) && l.Contains("***", StringComparison.Ordinal)) is string stepd)
        {
            int a = stepd.IndexOf("***", StringComparison.Ordinal), b = stepd.LastIndexOf("***", StringComparison.Ordinal);
            reasons.Add(b > a ? "slurm: " + stepd[(a + 3)..b].Trim() : stepd.Trim());
        }
        if (LastLine(group.Log, l => l.StartsWith("inspo:", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal)) is string error)
            reasons.Add(error.Trim());
        else if (output is not null && LastLine(output, l => l.StartsWith("exit code ", StringComparison.Ordinal)) is string exit)
            reasons.Add(exit.Trim());
        if (reasons.Count == 0) reasons.Add(File.Exists(group.Log) ? "ended without writing every record" : "the task left no log (it never started, or Slurm could not write its output)");
        return new GroupStatus(group, finished, GroupState.Failed, taskId, output, string.Join("; ", reasons));
    }

    static string? LastLine(string path, Func<string, bool> keep)
    {
        if (!File.Exists(path)) return null;
        try { return File.ReadLines(path).Where(keep).LastOrDefault(); }
        catch (IOException) { return null; }
    }
}
