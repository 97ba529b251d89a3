namespace InSPO.Training;

/// <summary>
/// One cell of an experiment: which environment, dataset, algorithm, hyperparameters, seed and
/// budget profile. Everything a run needs to be reproduced, and the key under which its result
/// is stored (so finished cells are skipped on a rerun).
/// </summary>
/// <param name="Env">Environment name: "xor", "mne", "bridge" (later SMAC maps); see RunEnvironments.</param>
/// <param name="Dataset">Dataset name the environment defines (xor: a|b|c; mne: balanced|imbalanced; bridge: optimal|mixed|optimal-reference|mixed-reference) or a dataset folder.</param>
/// <param name="Algorithm">"inspo" or "bc" (later "omar", "cfcql", "omiga", "alberdice").</param>
/// <param name="Seed">Seed of everything random in the run (data order, initialisation, evaluation).</param>
/// <param name="Profile">Budget: "smoke" (CI, seconds), "quick" (CPU, minutes), "paper" (full budget).</param>
/// <param name="Device">"cpu", "cuda", "cuda:N" or "auto".</param>
/// <param name="Hyperparameters">Overrides of the algorithm's defaults, by option name (e.g. "alpha", "beta0",
/// "entropy" (0/1), "sequential" (0/1)). Part of the cell's identity.</param>
/// <param name="OutputRoot">Folder under which run folders are written (default "runs").</param>
public sealed record RunSpec(
    string Env,
    string Dataset,
    string Algorithm,
    int Seed,
    string Profile,
    string Device = "cpu",
    IReadOnlyDictionary<string, double>? Hyperparameters = null,
    string? OutputRoot = null)
{
    /// <summary>The same cell with another seed (F# has no <c>with</c> for C# records).</summary>
    public RunSpec WithSeed(int seed) => this with { Seed = seed };
}

/// <summary>What a finished run reports.</summary>
/// <param name="Metrics">By name: "return" (the table value: for matrix games the exact expected per-step
/// return of the final joint policy), "return_sampled" (mean of the evaluation episodes), and what else
/// the environment reports ("return_normalised", "win_rate").</param>
/// <param name="FinalPolicy">Per agent, the final action distribution in the matrix game's single state
/// (for heat maps); for other environments the distributions at the start state (diagnostics).</param>
/// <param name="WallSeconds">Training plus evaluation time; a resumed run's includes the training seconds of the
/// processes before it (its checkpoint's), not their start-up.</param>
/// <param name="Steps">Gradient steps taken.</param>
/// <param name="RecordPath">The run record (JSON) on disk.</param>
public sealed record RunResult(
    RunSpec Spec,
    IReadOnlyDictionary<string, double> Metrics,
    double[][] FinalPolicy,
    double WallSeconds,
    long Steps,
    string Device,
    string? Commit,
    string RecordPath)
{
    /// <summary>Processor seconds the run's process spent on it (a group's divided by its members): unlike wall time it
    /// does not grow while the process waits for a core or is suspended, so runs timed on a busy machine stay
    /// comparable. A resumed run's include the training of the processes before it (its checkpoint's). Null where
    /// unknown: records written before it existed, and runs resumed from a checkpoint that did not hold it.</summary>
    public double? CpuSeconds { get; init; }

    /// <summary>The step this run's last process resumed training at (from its checkpoint); null when one process
    /// trained it from the start. Records from before 2026-12-02 lack it; their times of a resumed run cover the
    /// last process only.</summary>
    public long? ResumedAtStep { get; init; }

    /// <summary>True when the record says its times cover every process that trained the run (it has the
    /// <c>resumed_at_step</c> field, null or not): what Table 7 compares.</summary>
    public bool TimesCoverEveryProcess { get; init; }

    /// <summary>The machine the run trained on (<see cref="InSPO.Runtime.MachineIdentity"/>; "A + B" when it was resumed
    /// on another machine); null where unknown: records written before 2026-12-02, runs resumed from older checkpoints.
    /// Only times of one machine compare (Table 7).</summary>
    public string? Machine { get; init; }

    /// <summary>True when the runner found the cell finished and returned its stored record without training.</summary>
    public bool Reused { get; init; }

    /// <summary>This result marked as reused.</summary>
    public RunResult AsReused() => this with { Reused = true };
}
