using System.Text.RegularExpressions;

namespace InSPO.Training;

/// <summary>
/// What a Slurm job array of groups asks the scheduler for (partition, GPUs per task, time limit, memory) and which
/// program its tasks start. <c>inspo reproduce --slurm</c> passes them to the experiment script in the environment
/// (<see cref="Variable"/> = 1 and INSPO_SLURM_PARTITION, _GPUS_PER_TASK, _TIME, _MEM, _DRY_RUN), so
/// <c>build.fsx</c> targets run on Slurm with the same variables.
/// </summary>
public sealed record SlurmOptions
{
    /// <summary>Set to 1: the experiment scripts submit their groups as a Slurm job array instead of running them.</summary>
    public const string Variable = "INSPO_SLURM";

    /// <summary>sbatch --partition (null: the cluster's default).</summary>
    public string? Partition { get; init; }
    /// <summary>sbatch --gpus-per-task (null: no GPU).</summary>
    public int? GpusPerTask { get; init; }
    /// <summary>sbatch --time, Slurm's formats (minutes, HH:MM:SS, D-HH:MM, …; null: the partition's default).</summary>
    public string? Time { get; init; }
    /// <summary>sbatch --mem, e.g. 4G (null: the partition's default).</summary>
    public string? Memory { get; init; }
    /// <summary>Print the script instead of submitting it.</summary>
    public bool DryRun { get; init; }
    /// <summary>The dotnet host the tasks run (absolute, so a task does not depend on the node's PATH).</summary>
    public string Dotnet { get; init; } = DefaultDotnet();
    /// <summary>inspo.dll (the Release build on the shared file system).</summary>
    public required string Inspo { get; init; }
    /// <summary>The tasks' working directory: the repository (for ../shared/data beside it).</summary>
    public required string WorkingDirectory { get; init; }
    /// <summary>The reproduce target that submitted (table2, fig5; null from other callers), so that <c>inspo
    /// status RUNS fig5</c> finds experiments whose names do not start with the target's.</summary>
    public string? Target { get; init; }

    /// <summary>Whether the environment asks for Slurm (<see cref="Variable"/> = 1).</summary>
    public static bool Requested() => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>The options the environment gives; a bad value is an <see cref="ArgumentException"/> naming it.</summary>
    public static SlurmOptions FromEnvironment(string inspo, string workingDirectory)
    {
        static string? Read(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        int? gpus = null;
        if (Read("INSPO_SLURM_GPUS_PER_TASK") is string g)
            gpus = int.TryParse(g, out var n) ? n : throw new ArgumentException($"INSPO_SLURM_GPUS_PER_TASK={g}: expected a number of GPUs ≥ 1");
        var options = new SlurmOptions
        {
            Partition = Read("INSPO_SLURM_PARTITION"),
            GpusPerTask = gpus,
            Time = Read("INSPO_SLURM_TIME"),
            Memory = Read("INSPO_SLURM_MEM"),
            DryRun = Read("INSPO_SLURM_DRY_RUN") == "1",
            Inspo = Path.GetFullPath(inspo),
            WorkingDirectory = Path.GetFullPath(workingDirectory),
            Target = Read("INSPO_TARGET"),
        };
        options.Validate();
        return options;
    }

    /// <summary>The variables that carry these options to an experiment script (the inverse of FromEnvironment).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> EnvironmentOf(string? partition, int? gpusPerTask, string? time, string? memory, bool dryRun)
    {
        var vars = new List<KeyValuePair<string, string>> { new(Variable, "1") };
        if (partition is not null) vars.Add(new("INSPO_SLURM_PARTITION", partition));
        if (gpusPerTask is int g) vars.Add(new("INSPO_SLURM_GPUS_PER_TASK", g.ToString()));
        if (time is not null) vars.Add(new("INSPO_SLURM_TIME", time));
        if (memory is not null) vars.Add(new("INSPO_SLURM_MEM", memory));
        if (dryRun) vars.Add(new("INSPO_SLURM_DRY_RUN", "1"));
        return vars;
    }

    // Checked here, not left to sbatch: a bad value would otherwise surface only after the script is written, or
    // break the #SBATCH line it is written into.
    static readonly Regex PartitionPattern = new(@"^[A-Za-z0-9_.\-]+(,[A-Za-z0-9_.\-]+)*$");
    static readonly Regex TimePattern = new(@"^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2}|UNLIMITED|INFINITE)$", RegexOptions.IgnoreCase);
    static readonly Regex MemoryPattern = new(@"^\d+[KMGT]?$", RegexOptions.IgnoreCase);

    /// <summary>Refuses a value sbatch would not take, naming the option.</summary>
    public void Validate()
    {
        if (Partition is not null && !PartitionPattern.IsMatch(Partition))
            throw new ArgumentException($"--partition {Partition}: expected a partition name (letters, digits, _ . -; several joined by commas)");
        if (GpusPerTask is int g && g < 1)
            throw new ArgumentException($"--gpus-per-task {g}: expected a number of GPUs ≥ 1 (leave it out for CPU tasks)");
        if (Time is not null && !TimePattern.IsMatch(Time))
            throw new ArgumentException($"--time {Time}: expected a Slurm time limit (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS)");
        if (Memory is not null && !MemoryPattern.IsMatch(Memory))
            throw new ArgumentException($"--mem {Memory}: expected a size such as 4096 (MB), 8G or 500M");
        foreach (var (name, path) in new[] { ("the dotnet host", Dotnet), ("inspo", Inspo), ("the working directory", WorkingDirectory) })
            if (path.IndexOfAny(new[] { '\n', '\r', '\0' }) >= 0) throw new ArgumentException($"{name} path '{path}' holds a line break");
    }

    /// <summary>The path of a program on PATH, or null.</summary>
    public static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    /// <summary>Throws a one-line <see cref="FileNotFoundException"/> when sbatch or squeue is not on PATH.</summary>
    public static void RequireClients()
    {
        foreach (var program in new[] { "sbatch", "squeue" })
            if (OnPath(program) is null)
                throw new FileNotFoundException($"--slurm: {program} is not on PATH (Slurm's client commands are needed where the table is submitted; --dry-run only prints the script)");
    }

    /// <summary>This process's dotnet host when it is one (dotnet fsi, dotnet inspo.dll), else "dotnet" from PATH.</summary>
    static string DefaultDotnet() =>
        Environment.ProcessPath is string p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
}
