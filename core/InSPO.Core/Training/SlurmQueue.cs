using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace InSPO.Training;

/// <summary>One job or array task as squeue lists it: <c>12_3</c> (job 12, task 3) or <c>13</c>, and its state.</summary>
public sealed record SlurmJobState(string JobId, int? TaskId, string State)
{
    /// <summary>How Slurm names it: 12_3, or 13 for a job outside an array.</summary>
    public string Id => TaskId is int t ? $"{JobId}_{t.ToString(CultureInfo.InvariantCulture)}" : JobId;

    /// <summary>Waiting to start (or to start again).</summary>
    public bool Pending => State is "PENDING" or "REQUEUED" or "REQUEUE_HOLD" or "REQUEUE_FED" or "RESV_DEL_HOLD";

    /// <summary>Started and not yet ended (a suspended task is still on its node; a completing one may still write).</summary>
    public bool Running => State is "RUNNING" or "CONFIGURING" or "COMPLETING" or "SUSPENDED" or "STOPPED" or "RESIZING" or "SIGNALING" or "STAGE_OUT";

    /// <summary>Ended (COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, …): squeue lists ended tasks only for a
    /// few minutes (MinJobAge); after that the run folders say how a task ended.</summary>
    public bool Ended => !Pending && !Running;
}

/// <summary>
/// The queue as <c>squeue --noheader --array --states=all --format=%i|%T</c> prints it: one array task per line
/// (<c>12_3|RUNNING</c>), except that pending tasks can still be folded into ranges (<c>12_[4-9%2]|PENDING</c>),
/// which <see cref="Parse"/> unfolds.
/// </summary>
public static class SlurmQueue
{
    public const string Format = "%i|%T";

    /// <summary>The jobs and tasks of squeue's output in <see cref="Format"/>; a line of another shape is an
    /// <see cref="InvalidDataException"/> naming it.</summary>
    public static IReadOnlyList<SlurmJobState> Parse(string text)
    {
        var jobs = new List<SlurmJobState>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var fields = line.Split('|');
            if (fields.Length != 2 || fields[0].Length == 0 || fields[1].Length == 0)
                throw new InvalidDataException($"squeue: '{line}' is not JOB|STATE");
            var (id, state) = (fields[0], fields[1].ToUpperInvariant());
            int underscore = id.IndexOf('_');
            if (underscore < 0)
            {
                if (!IsNumber(id)) throw new InvalidDataException($"squeue: '{line}': '{id}' is not a job id");
                jobs.Add(new SlurmJobState(id, null, state));
                continue;
            }
            var job = id[..underscore];
            var tasks = id[(underscore + 1)..];
            if (!IsNumber(job)) throw new InvalidDataException($"squeue: '{line}': '{job}' is not a job id");
            foreach (var task in Tasks(tasks, line)) jobs.Add(new SlurmJobState(job, task, state));
        }
        return jobs;
    }

    /// <summary>"3", or "[4-9,12%2]" (a throttle after %) → the task ids.</summary>
    static IEnumerable<int> Tasks(string text, string line)
    {
        if (!text.StartsWith('['))
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var one)
                ? new[] { one }
                : throw new InvalidDataException($"squeue: '{line}': '{text}' is not a task id");
        if (!text.EndsWith(']')) throw new InvalidDataException($"squeue: '{line}': '{text}' is not a task range");
        var body = text[1..^1];
        int throttle = body.IndexOf('%');
        if (throttle >= 0) body = body[..throttle];
        var ids = new List<int>();
        foreach (var part in body.Split(','))
        {
            var ends = part.Split('-');
            bool ok = ends.Length is 1 or 2 && ends.All(IsNumber);
            if (!ok) throw new InvalidDataException($"squeue: '{line}': '{part}' is not a task or a range of tasks");
            int a = int.Parse(ends[0], CultureInfo.InvariantCulture), b = int.Parse(ends[^1], CultureInfo.InvariantCulture);
            if (b < a) throw new InvalidDataException($"squeue: '{line}': '{part}' is an empty range");
            ids.AddRange(Enumerable.Range(a, b - a + 1));
        }
        return ids;
    }

    static bool IsNumber(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);

    /// <summary>The tasks of these jobs that squeue still knows (none once Slurm has forgotten every one of them).
    /// Throws when squeue cannot be run or cannot reach the controller: a queue read as empty then would resubmit
    /// groups that are running.</summary>
    public static IReadOnlyList<SlurmJobState> Query(IEnumerable<string> jobIds)
    {
        var ids = jobIds.Distinct().ToList();
        if (ids.Count == 0) return Array.Empty<SlurmJobState>();
        var start = new ProcessStartInfo("squeue") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--noheader", "--array", "--states=all", $"--format={Format}", "--jobs=" + string.Join(",", ids) })
            start.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(start) ?? throw new InvalidOperationException("could not start squeue"); }
        catch (Win32Exception) { throw new FileNotFoundException("squeue is not on PATH (Slurm's client commands are needed to see the queue)"); }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode == 0) return Parse(output.Result);
            // Every job forgotten (MinJobAge past): squeue refuses the whole list. Nothing of it is queued.
            if (error.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase)) return Array.Empty<SlurmJobState>();
            var reason = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? $"exit code {process.ExitCode}";
            throw new InvalidOperationException($"squeue failed: {reason}");
        }
    }
}
