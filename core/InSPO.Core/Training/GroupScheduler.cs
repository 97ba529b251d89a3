using System.Diagnostics;

namespace InSPO.Training;

/// <summary>How a group's process ended: its members' records (null where a member has none) and, when some
/// member has no record, the last line of the group's log naming why.</summary>
public sealed record GroupOutcome(RunGroup Group, IReadOnlyList<RunResult?> Results, int ExitCode, string? Failure, TimeSpan Wall);

/// <summary>
/// Runs groups as <c>inspo train --seeds …</c> processes, <c>jobs</c> at once (one intra-op thread each: the runner
/// sets it), each writing its output to <see cref="RunGroup.LogPath"/>. When a process ends, its members' records
/// are read back from their run folders, as a table script reads the cells of an earlier run. The processes inherit
/// this process's environment (DOTNET_GCgen0size, INSPO_*).
/// </summary>
public static class GroupScheduler
{
    /// <summary>INSPO_JOBS, else the number of cores.</summary>
    public static int DefaultJobs()
    {
        var text = Environment.GetEnvironmentVariable("INSPO_JOBS");
        if (string.IsNullOrWhiteSpace(text)) return Environment.ProcessorCount;
        if (!int.TryParse(text, out var jobs) || jobs < 1) throw new ArgumentException($"INSPO_JOBS={text}: expected a number of processes ≥ 1");
        return jobs;
    }

    /// <summary>Runs every group with at most <paramref name="jobs"/> processes at once; <paramref name="finished"/> is
    /// called (on the calling thread) as each ends. <paramref name="inspo"/>: the path of <c>inspo.dll</c>.</summary>
    public static IReadOnlyList<GroupOutcome> Run(IReadOnlyList<RunGroup> groups, int jobs, string inspo, Action<GroupOutcome>? finished = null)
    {
        if (jobs < 1) throw new ArgumentException($"jobs {jobs}: expected at least 1");
        if (!File.Exists(inspo)) throw new FileNotFoundException($"the inspo program {inspo} does not exist: build first (dotnet fsi build.fsx -t Build)");
        var outcomes = new GroupOutcome?[groups.Count];
        var running = new List<(int Index, Task<GroupOutcome> Task)>();
        int next = 0;
        while (next < groups.Count || running.Count > 0)
        {
            while (running.Count < jobs && next < groups.Count)
            {
                int index = next++;
                running.Add((index, Task.Run(() => RunOne(groups[index], inspo))));
            }
            int done = Task.WaitAny(running.Select(r => (Task)r.Task).ToArray());
            var (i, task) = running[done];
            running.RemoveAt(done);
            outcomes[i] = task.Result;
            finished?.Invoke(task.Result);
        }
        return outcomes.Select(o => o!).ToList();
    }

    static GroupOutcome RunOne(RunGroup group, string inspo)
    {
        Directory.CreateDirectory(group.Folder);
        var clock = Stopwatch.StartNew();
        var started = DateTime.UtcNow;
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(inspo);
        foreach (var a in group.TrainArguments()) start.ArgumentList.Add(a);
        int code;
        using (var log = new StreamWriter(group.LogPath, append: false) { AutoFlush = true })
        using (var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet"))
        {
            var gate = new object();
            void Write(string? line) { if (line is not null) lock (gate) log.WriteLine(line); }
            process.OutputDataReceived += (_, e) => Write(e.Data);
            process.ErrorDataReceived += (_, e) => Write(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            process.WaitForExit();
            code = process.ExitCode;
        }
        // A record older than the process was finished before it (the process found it and reused it).
        var results = group.Specs.Select(Runner.TryLoadFinished)
            .Select(r => r is not null && File.GetLastWriteTimeUtc(r.RecordPath) < started ? r.AsReused() : r).ToList();
        string? failure = null;
        if (results.Any(r => r is null) || code != 0)
        {
            var last = File.ReadLines(group.LogPath).Where(l => l.StartsWith("inspo:", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal))
                .LastOrDefault() ?? $"exit code {code}";
            failure = $"{last.Trim()} (log: {group.LogPath})";
        }
        return new GroupOutcome(group, results, code, failure, clock.Elapsed);
    }
}
