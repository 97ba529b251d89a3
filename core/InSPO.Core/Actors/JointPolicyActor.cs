using InSPO.Envs;

namespace InSPO.Actors;

/// <summary>
/// What a joint behaviour policy sees at one step of one environment slot while episodes are recorded. The
/// object is reused from step to step and the spans point into the rollout's buffers: read it during the call only.
/// </summary>
public sealed class EpisodeStepContext
{
    ActorInput _input = null!;
    int _slot;

    public EnvSpec Spec => _input.Spec;

    /// <summary>Episode index e within the recording.</summary>
    public int Episode { get; private set; }

    /// <summary>Step t within the episode (0-based).</summary>
    public int Step { get; private set; }

    /// <summary>Randomness for the policy: seeded per episode (<see cref="EpisodeSeeds.Policy"/>), so a seed
    /// determines the data and episode e does not depend on how many came before.</summary>
    public Random Random { get; private set; } = null!;

    /// <summary>The environment of this slot (scripted policies may read it).</summary>
    public IMultiAgentEnv Environment => _input.Env[_slot];

    /// <summary>All agents' observations, agent-major: N × O.</summary>
    public ReadOnlySpan<float> Observations => _input.Observations.AsSpan(_slot * Spec.Agents * Spec.ObservationSize, Spec.Agents * Spec.ObservationSize);

    /// <summary>The global state: S floats.</summary>
    public ReadOnlySpan<float> State => _input.States.AsSpan(_slot * Spec.StateSize, Spec.StateSize);

    /// <summary>All agents' available-action masks, agent-major: N × A.</summary>
    public ReadOnlySpan<bool> AvailableActions => _input.Available.AsSpan(_slot * Spec.Agents * Spec.Actions, Spec.Agents * Spec.Actions);

    /// <summary>Agent n's observation.</summary>
    public ReadOnlySpan<float> Observation(int agent) => Observations.Slice(agent * Spec.ObservationSize, Spec.ObservationSize);

    /// <summary>Agent n's available-action mask.</summary>
    public ReadOnlySpan<bool> Available(int agent) => AvailableActions.Slice(agent * Spec.Actions, Spec.Actions);

    internal void Set(ActorInput input, int slot, int episode, int step, Random random)
    {
        _input = input; _slot = slot; Episode = episode; Step = step; Random = random;
    }
}

/// <summary>
/// A joint policy given as a function (context → one action per agent), e.g. a dataset's behaviour policy that
/// draws correlated joint actions, as an <see cref="IActor"/>: its action is a one-hot distribution. Refuses an
/// action out of range or not available, naming the agent, episode and step.
/// </summary>
public sealed class JointPolicyActor : IActor
{
    readonly Func<EpisodeStepContext, int[]> _policy;
    readonly int _seed;
    readonly EpisodeStepContext _context = new();
    readonly int[] _episode = [], _step = [];
    readonly Random[] _random = [];

    /// <param name="policy">The joint policy.</param>
    /// <param name="seed">Episode e's policy randomness is seeded with <see cref="EpisodeSeeds.Policy"/>(seed, e).</param>
    /// <param name="slots">Environment slots of the rollout.</param>
    public JointPolicyActor(Func<EpisodeStepContext, int[]> policy, int seed, int slots)
    {
        _policy = policy;
        _seed = seed;
        _episode = new int[slots];
        _step = new int[slots];
        _random = new Random[slots];
    }

    public void BeginEpisode(int environment, int episode)
    {
        _episode[environment] = episode;
        _step[environment] = 0;
        _random[environment] = new Random(EpisodeSeeds.Policy(_seed, episode));
    }

    public void Act(ActorInput input, Span<float> probabilities)
    {
        var spec = input.Spec;
        int n = spec.Agents, a = spec.Actions;
        probabilities.Clear();
        for (int e = 0; e < input.Env.Count; e++)
        {
            if (!input.Env.IsActive(e)) { for (int i = 0; i < n; i++) probabilities[(e * n + i) * a] = 1; continue; }
            _context.Set(input, e, _episode[e], _step[e], _random[e]);
            var joint = _policy(_context) ?? throw new InvalidOperationException($"policy returned null at episode {_episode[e]}, step {_step[e]}");
            Check(joint, _context);
            for (int i = 0; i < n; i++) probabilities[(e * n + i) * a + joint[i]] = 1;
        }
    }

    public void Observe(ReadOnlySpan<int> actions)
    {
        for (int e = 0; e < _step.Length; e++) _step[e]++;
    }

    static void Check(int[] joint, EpisodeStepContext c)
    {
        int agents = c.Spec.Agents, actions = c.Spec.Actions;
        if (joint.Length != agents)
            throw new InvalidOperationException($"policy returned {joint.Length} actions for {agents} agents at episode {c.Episode}, step {c.Step}");
        for (var n = 0; n < agents; n++)
        {
            var a = joint[n];
            if (a < 0 || a >= actions)
                throw new InvalidOperationException($"policy chose action {a} for agent {n} at episode {c.Episode}, step {c.Step}: outside [0, {actions})");
            var mask = c.Available(n);
            if (!mask[a])
            {
                var available = new List<int>();
                for (var b = 0; b < mask.Length; b++) if (mask[b]) available.Add(b);
                throw new InvalidOperationException(
                    $"policy chose action {a} for agent {n} at episode {c.Episode}, step {c.Step}, which is not available (available: {string.Join(", ", available)})");
            }
        }
    }
}
