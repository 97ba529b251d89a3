using InSPO.Algorithms;

namespace InSPO.Online;

/// <summary>
/// QMIX's configuration: pymarl2's (notes, smac-datasets.md: qmix.yaml + default.yaml + sc2.yaml), with what the
/// 2-core CPU forces recorded beside the value the paper's data were collected with.
/// </summary>
/// <param name="Hidden">GRU agent units (64).</param>
/// <param name="MixerEmbed">Mixing embed dimension (32).</param>
/// <param name="Hypernet">Hypernetwork width (64).</param>
/// <param name="LearningRate">Adam (1e-3).</param>
/// <param name="Gamma">Discount (0.99).</param>
/// <param name="Lambda">TD(λ) (0.6; 0.3 on 6h_vs_8z).</param>
/// <param name="GradClip">Gradient-norm clip (10).</param>
/// <param name="EpsilonStart">ε at the start (1.0).</param>
/// <param name="EpsilonEnd">ε after the anneal (0.05).</param>
/// <param name="EpsilonSteps">Environment steps of the linear anneal (100 000; 500 000 on 6h_vs_8z).</param>
/// <param name="BufferEpisodes">Replay buffer (5000 episodes).</param>
/// <param name="BatchEpisodes">Episodes per update: pymarl2 128; 32 here, where an update at 128 costs ≈ 3–4 × one
/// at 32 on the CPU (Bench: recurrent BC 40 vs 140 ms), so the same wall time buys ≈ 4 × the updates.</param>
/// <param name="Environments">Parallel environments (8): one update after each batch of 8 finished episodes.</param>
/// <param name="TargetUpdateEpisodes">Episodes between hard target copies (200).</param>
/// <param name="TotalSteps">Environment steps of the run (pymarl2: 10.05M; 2M here by default).</param>
/// <param name="TestEvery">Environment steps between tests of 32 greedy episodes (10 000).</param>
/// <param name="TestEpisodes">Greedy test episodes (32).</param>
/// <param name="CheckpointEvery">Environment steps between saved models (100 000 below 1M, as pymarl2; then every
/// 500 000 there, every 100 000 here, since our runs are shorter).</param>
/// <param name="ReplayAt">Environment steps at which the replay buffer is written out as a dataset (the medium-replay
/// tier: CFCQL stops a run when it reaches medium and writes its buffer); 0: never.</param>
public sealed record QmixOptions(
    int Hidden, int MixerEmbed, int Hypernet, double LearningRate, double Gamma, double Lambda, double GradClip,
    double EpsilonStart, double EpsilonEnd, long EpsilonSteps, int BufferEpisodes, int BatchEpisodes, int Environments,
    int TargetUpdateEpisodes, long TotalSteps, long TestEvery, int TestEpisodes, long CheckpointEvery, long ReplayAt)
{
    public static readonly string[] Names =
    {
        "hidden", "mixer_embed", "hypernet", "lr", "gamma", "lambda", "grad_clip", "epsilon_start", "epsilon_end", "epsilon_steps",
        "buffer_episodes", "batch_episodes", "environments", "target_update_episodes", "total_steps", "test_every", "test_episodes",
        "checkpoint_every", "replay_at",
    };

    /// <summary>The defaults of a map, with overrides by name (an unknown name is refused).</summary>
    public static QmixOptions For(string map, IReadOnlyDictionary<string, double>? hyper)
    {
        Learners.CheckKnown("qmix", hyper, Names);
        bool hard = map == "6h_vs_8z";
        double Get(string name, double fallback) => Learners.Get(hyper, name, fallback);
        return new((int)Get("hidden", 64), (int)Get("mixer_embed", 32), (int)Get("hypernet", 64), Get("lr", 1e-3), Get("gamma", 0.99),
            Get("lambda", hard ? 0.3 : 0.6), Get("grad_clip", 10), Get("epsilon_start", 1.0), Get("epsilon_end", 0.05),
            (long)Get("epsilon_steps", hard ? 500_000 : 100_000), (int)Get("buffer_episodes", 5000), (int)Get("batch_episodes", 32),
            (int)Get("environments", 8), (int)Get("target_update_episodes", 200), (long)Get("total_steps", 2_000_000),
            (long)Get("test_every", 10_000), (int)Get("test_episodes", 32), (long)Get("checkpoint_every", 100_000), (long)Get("replay_at", 0));
    }

    /// <summary>ε after <paramref name="steps"/> environment steps: linear from start to end, then constant.</summary>
    public double EpsilonAt(long steps) =>
        EpsilonStart + (EpsilonEnd - EpsilonStart) * Math.Min(1.0, steps / (double)Math.Max(1, EpsilonSteps));
}
