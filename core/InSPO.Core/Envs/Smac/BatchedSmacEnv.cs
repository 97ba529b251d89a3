namespace InSPO.Envs.Smac;

/// <summary>
/// Many SMAC-lite environments of one map stepped together. Buffers are batch-major
/// (env, agent, feature). Environments are independent, so stepping is split into contiguous
/// chunks over worker threads when the batch is large enough to pay for it; results never depend
/// on the thread count. With <see cref="AutoReset"/> an environment that ends is reset at once
/// with its next seed, so the observations written after <see cref="Step"/> are the new episode's.
/// </summary>
public sealed class BatchedSmacEnv
{
    private readonly SmacEnv[] _envs;
    private readonly int[] _actions;
    private readonly StepOutcome[] _outcomes;
    private readonly int[] _episodeIndex;
    private readonly int _seed;

    /// <param name="map">The map every environment plays.</param>
    /// <param name="count">Number of environments.</param>
    /// <param name="seed">Environment i's k-th episode uses seed <c>seed + i + k·count</c>.</param>
    /// <param name="threads">Worker threads; 0 = automatic (one per core, one per 16 environments at least).</param>
    public BatchedSmacEnv(SmacMap map, int count, int seed = 0, int threads = 0)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count));
        _envs = Enumerable.Range(0, count).Select(_ => new SmacEnv(map)).ToArray();
        Spec = _envs[0].Spec;
        _actions = new int[count * Spec.Agents];
        _outcomes = new StepOutcome[count];
        _episodeIndex = new int[count];
        LastEpisodeWon = new bool[count];
        _seed = seed;
        Threads = threads > 0 ? threads : Math.Max(1, Math.Min(Environment.ProcessorCount, count / 16));
        for (int i = 0; i < count; i++) _envs[i].Reset(EpisodeSeed(i));
    }

    public EnvSpec Spec { get; }
    public int Count => _envs.Length;
    public int Threads { get; }
    /// <summary>Reset environments as soon as they end (default true).</summary>
    public bool AutoReset { get; set; } = true;
    public SmacEnv this[int i] => _envs[i];

    /// <summary>The seed of environment <paramref name="i"/>'s current episode.</summary>
    public int EpisodeSeed(int i) => _seed + i + _episodeIndex[i] * Count;

    /// <summary>Per environment, whether its last finished episode was won (read before auto-reset wipes
    /// <see cref="SmacEnv.BattleWon"/>); false until one has finished.</summary>
    public bool[] LastEpisodeWon { get; }

    /// <summary>Steps every environment with its agents' actions (Count × Agents) and writes one outcome per environment.
    /// Environments that are done and not auto-reset must not be stepped: pass any actions, their outcome repeats Done.</summary>
    public void Step(ReadOnlySpan<int> actions, Span<StepOutcome> outcomes)
    {
        if (actions.Length != _actions.Length) throw new ArgumentException($"expected {_actions.Length} actions (envs × agents)");
        actions.CopyTo(_actions);
        if (Threads <= 1) StepRange(0, Count);
        else
        {
            int chunk = (Count + Threads - 1) / Threads;
            Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads },
                t => StepRange(t * chunk, Math.Min(Count, (t + 1) * chunk)));
        }
        _outcomes.AsSpan().CopyTo(outcomes);
    }

    private void StepRange(int from, int to)
    {
        int n = Spec.Agents;
        for (int i = from; i < to; i++)
        {
            var env = _envs[i];
            if (env.Done) { _outcomes[i] = new StepOutcome(0, true, false); continue; }
            _outcomes[i] = env.Step(new ReadOnlySpan<int>(_actions, i * n, n));
            if (_outcomes[i].Done)
            {
                LastEpisodeWon[i] = env.BattleWon;
                if (AutoReset) { _episodeIndex[i]++; env.Reset(EpisodeSeed(i)); }
            }
        }
    }

    /// <summary>Resets every environment, restarting each seed sequence at its first episode.</summary>
    public void ResetAll()
    {
        for (int i = 0; i < Count; i++) { _episodeIndex[i] = 0; _envs[i].Reset(EpisodeSeed(i)); }
    }

    public void WriteObservations(Span<float> destination)
    {
        int size = Spec.Agents * Spec.ObservationSize;
        for (int i = 0; i < Count; i++) _envs[i].WriteObservations(destination.Slice(i * size, size));
    }

    public void WriteStates(Span<float> destination)
    {
        int size = Spec.StateSize;
        for (int i = 0; i < Count; i++) _envs[i].WriteState(destination.Slice(i * size, size));
    }

    public void WriteAvailableActions(Span<bool> destination)
    {
        int size = Spec.Agents * Spec.Actions;
        for (int i = 0; i < Count; i++) _envs[i].WriteAvailableActions(destination.Slice(i * size, size));
    }
}
