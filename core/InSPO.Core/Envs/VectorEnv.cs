namespace InSPO.Envs;

/// <summary>One finished episode of a <see cref="IVectorEnv"/>: which environment slot ran it, its undiscounted
/// return and length, whether the time limit cut it, and the environment's info at its end ("battle_won" in SMAC).</summary>
public sealed record EpisodeSummary(int Environment, int Episode, double Return, int Length, bool TimeLimit, IReadOnlyDictionary<string, double> Info)
{
    /// <summary>1 or 0 where the environment reports "battle_won", else null.</summary>
    public double? Won => Info.TryGetValue("battle_won", out var w) ? w : null;
}

/// <summary>Who starts the next episode in an environment slot: its episode index (the order episodes were
/// started in) and its environment seed, or null to leave the slot idle (enough episodes have been started).</summary>
public delegate (int Episode, int Seed)? EpisodeSchedule(int environment);

/// <summary>
/// E environments of one kind stepped together (DESIGN "VecEnv"), with auto-reset: when an episode ends, the
/// slot's final observation, state and mask are kept (<see cref="WriteFinal"/>) and the slot starts its next
/// episode from the schedule at once, so the observations written after <see cref="Step"/> are the new
/// episode's. Episodes that run past <see cref="EnvSpec.EpisodeLimit"/> are cut there (a time limit).
/// Buffers are batch-major: (environment, agent, feature).
/// </summary>
public interface IVectorEnv
{
    EnvSpec Spec { get; }

    /// <summary>Number of environment slots E.</summary>
    int Count { get; }

    /// <summary>The environment of slot <paramref name="environment"/> (scripted policies read the simulator).</summary>
    IMultiAgentEnv this[int environment] { get; }

    /// <summary>Whether slot e runs an episode (false once the schedule left it idle).</summary>
    bool IsActive(int environment);

    /// <summary>The episode index slot e runs (meaningful while active, and for the episode that just ended).</summary>
    int EpisodeOf(int environment);

    /// <summary>Steps taken in slot e's current episode.</summary>
    int StepOf(int environment);

    /// <summary>Starts every slot's first episode from <paramref name="schedule"/>, which also starts every later one.</summary>
    void Start(EpisodeSchedule schedule);

    /// <summary>Steps every active slot with its agents' actions (E × N; idle slots' entries are ignored) and
    /// writes one outcome per slot (idle slots: Done, no reward). Returns the episodes that ended in this step.</summary>
    IReadOnlyList<EpisodeSummary> Step(ReadOnlySpan<int> actions, Span<StepOutcome> outcomes);

    void WriteObservations(Span<float> destination);
    void WriteStates(Span<float> destination);
    void WriteAvailableActions(Span<bool> destination);

    /// <summary>The final observations (N × O), state (S) and mask (N × A) of the episode slot e ended in the last
    /// <see cref="Step"/> (before its auto-reset).</summary>
    void WriteFinal(int environment, Span<float> observations, Span<float> state, Span<bool> available);
}

/// <summary>
/// The vector environment over any <see cref="IMultiAgentEnv"/> (matrix games, Bridge, SMAC-lite). Slots are
/// independent, so a step may be split into contiguous chunks over worker threads when the batch is large
/// enough to pay for it; results never depend on the thread count.
/// </summary>
public sealed class VectorEnv : IVectorEnv
{
    readonly IMultiAgentEnv[] _envs;
    readonly int[] _actions, _episode, _steps;
    readonly double[] _returns;
    readonly bool[] _active;
    readonly StepOutcome[] _outcomes;
    readonly EpisodeSummary?[] _ended;
    readonly float[] _finalObs, _finalState;
    readonly bool[] _finalAvail;
    EpisodeSchedule? _schedule;

    /// <param name="envs">One environment per slot, all of the same <see cref="EnvSpec"/>.</param>
    /// <param name="threads">Worker threads; 0 = automatic (one per core, at least 16 slots per thread).</param>
    public VectorEnv(IReadOnlyList<IMultiAgentEnv> envs, int threads = 0)
    {
        if (envs.Count == 0) throw new ArgumentException("a vector environment needs at least one environment", nameof(envs));
        Spec = envs[0].Spec;
        foreach (var env in envs)
            if (env.Spec != Spec) throw new ArgumentException($"environments differ: {env.Spec} and {Spec}", nameof(envs));
        _envs = envs.ToArray();
        int e = _envs.Length, n = Spec.Agents;
        _actions = new int[e * n];
        _episode = new int[e];
        _steps = new int[e];
        _returns = new double[e];
        _active = new bool[e];
        _outcomes = new StepOutcome[e];
        _ended = new EpisodeSummary?[e];
        _finalObs = new float[e * n * Spec.ObservationSize];
        _finalState = new float[e * Spec.StateSize];
        _finalAvail = new bool[e * n * Spec.Actions];
        Threads = threads > 0 ? threads : Math.Max(1, Math.Min(Environment.ProcessorCount, e / 16));
    }

    /// <summary><paramref name="count"/> environments made by <paramref name="make"/>.</summary>
    public static VectorEnv Of(int count, Func<IMultiAgentEnv> make, int threads = 0) =>
        new(Enumerable.Range(0, count).Select(_ => make()).ToArray(), threads);

    public EnvSpec Spec { get; }
    public int Count => _envs.Length;
    public int Threads { get; }
    public IMultiAgentEnv this[int environment] => _envs[environment];
    public bool IsActive(int environment) => _active[environment];
    public int EpisodeOf(int environment) => _episode[environment];
    public int StepOf(int environment) => _steps[environment];

    public void Start(EpisodeSchedule schedule)
    {
        _schedule = schedule;
        for (int i = 0; i < Count; i++) Begin(i);
    }

    void Begin(int i)
    {
        var next = _schedule!(i);
        _active[i] = next is not null;
        _steps[i] = 0;
        _returns[i] = 0;
        if (next is { } start)
        {
            _episode[i] = start.Episode;
            _envs[i].Reset(start.Seed);
        }
    }

    public IReadOnlyList<EpisodeSummary> Step(ReadOnlySpan<int> actions, Span<StepOutcome> outcomes)
    {
        if (_schedule is null) throw new InvalidOperationException("call Start before Step");
        if (actions.Length != _actions.Length) throw new ArgumentException($"expected {_actions.Length} actions (environments × agents), got {actions.Length}");
        actions.CopyTo(_actions);
        if (Threads <= 1) StepRange(0, Count);
        else
        {
            int chunk = (Count + Threads - 1) / Threads;
            Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads },
                t => StepRange(t * chunk, Math.Min(Count, (t + 1) * chunk)));
        }
        _outcomes.AsSpan().CopyTo(outcomes);
        var ended = new List<EpisodeSummary>();
        for (int i = 0; i < Count; i++)
            if (_ended[i] is { } summary)
            {
                ended.Add(summary);
                _ended[i] = null;
                Begin(i);   // auto-reset, in slot order so the schedule hands out episodes deterministically
            }
        return ended;
    }

    void StepRange(int from, int to)
    {
        int n = Spec.Agents, o = Spec.ObservationSize, s = Spec.StateSize, a = Spec.Actions;
        for (int i = from; i < to; i++)
        {
            if (!_active[i]) { _outcomes[i] = new StepOutcome(0, true, false); continue; }
            var outcome = _envs[i].Step(new ReadOnlySpan<int>(_actions, i * n, n));
            _steps[i]++;
            _returns[i] += outcome.Reward;
            // An environment that does not end by the limit is cut there: a time limit, not a true end.
            if (!outcome.Done && _steps[i] >= Spec.EpisodeLimit) outcome = outcome with { Done = true, TimeLimit = true };
            _outcomes[i] = outcome;
            if (!outcome.Done) continue;
            _envs[i].WriteObservations(_finalObs.AsSpan(i * n * o, n * o));
            _envs[i].WriteState(_finalState.AsSpan(i * s, s));
            _envs[i].WriteAvailableActions(_finalAvail.AsSpan(i * n * a, n * a));
            _ended[i] = new EpisodeSummary(i, _episode[i], _returns[i], _steps[i], outcome.TimeLimit,
                new Dictionary<string, double>(_envs[i].Info));
        }
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

    public void WriteFinal(int environment, Span<float> observations, Span<float> state, Span<bool> available)
    {
        int n = Spec.Agents, o = Spec.ObservationSize, s = Spec.StateSize, a = Spec.Actions;
        _finalObs.AsSpan(environment * n * o, n * o).CopyTo(observations);
        _finalState.AsSpan(environment * s, s).CopyTo(state);
        _finalAvail.AsSpan(environment * n * a, n * a).CopyTo(available);
    }
}
