namespace InSPO.Training;

/// <summary>
/// A training budget (SPEC 4). Steps are gradient steps (one round of all agents for InSPO); the behaviour
/// phase (μⁱ, μ^{-i}, "trained first") comes before them, and BC trains for the same total.
/// </summary>
/// <param name="BehaviourSteps">Steps fitting the behaviour models before the policy phase.</param>
/// <param name="Steps">Policy-phase steps (rounds).</param>
/// <param name="BatchSize">Transitions per uniformly drawn batch.</param>
/// <param name="EvalEpisodes">Evaluation episodes (SPEC 4: 32).</param>
/// <param name="CheckpointEvery">Steps between checkpoints (and one at the end).</param>
/// <param name="LogEvery">Steps between TensorBoard scalars.</param>
/// <param name="Hidden">Hidden units of every MLP unless a run overrides "hidden" (SPEC 3: 256; smaller in the
/// CPU profiles, see <see cref="Profiles"/>).</param>
public sealed record Profile(string Name, int BehaviourSteps, int Steps, int BatchSize, int EvalEpisodes, int CheckpointEvery, int LogEvery, int Hidden = 256)
{
    public long TotalSteps => BehaviourSteps + Steps;

    /// <summary>The same budget evaluated on another number of episodes (F# scripts cannot use C#'s <c>with</c>).</summary>
    public Profile WithEvalEpisodes(int episodes) => this with { EvalEpisodes = episodes };
}

/// <summary>The three budgets. Sizes were chosen by measurement on the 2-core CPU (see the issue-3 report):
/// quick must reach the paper's matrix-game outcomes in a few seconds per run.</summary>
public static class Profiles
{
    /// <summary>CI: a few hundred milliseconds of training; checks plumbing, not outcomes.</summary>
    public static Profile Smoke { get; } = new("smoke", BehaviourSteps: 20, Steps: 40, BatchSize: 64, EvalEpisodes: 32, CheckpointEvery: 25, LogEvery: 5, Hidden: 32);

    /// <summary>CPU, seconds per matrix-game run: the README's main job. Measured on the shared 2-core machine
    /// (one torch thread): an InSPO round costs ≈ 84 ms at batch 256 / 256 units, ≈ 9 ms at 64 / 64 under load,
    /// so quick uses batch 64 and 64 hidden units (SPEC 3's 256 stays in paper). 300 behaviour steps fit μ^{-i} to
    /// within ±0.02 of the data; 1500 rounds: M-NE imbalanced reaches (C,C) in 3/5 seeds at 1000, 5/5 at 1500.</summary>
    public static Profile Quick { get; } = new("quick", BehaviourSteps: 300, Steps: 1500, BatchSize: 64, EvalEpisodes: 32, CheckpointEvery: 500, LogEvery: 20, Hidden: 64);

    /// <summary>Full budget: the paper's 1e7 "steps" counted as consumed transitions (PyMARL's t_env, notes §6.9):
    /// 1e7 / 800 (AlberDICE's 16 episodes × 50 steps per batch) = 12 500 rounds.</summary>
    public static Profile Paper { get; } = new("paper", BehaviourSteps: 5_000, Steps: 12_500, BatchSize: 800, EvalEpisodes: 32, CheckpointEvery: 1_000, LogEvery: 100);

    public static IReadOnlyList<Profile> All { get; } = new[] { Smoke, Quick, Paper };

    public static Profile Get(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown profile '{name}' (known: {string.Join(", ", All.Select(p => p.Name))})");
}
