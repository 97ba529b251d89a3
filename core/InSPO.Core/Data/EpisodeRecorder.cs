using InSPO.Envs;

namespace InSPO.Data;

/// <summary>
/// What a behaviour policy sees at one step while episodes are recorded. The spans point into the
/// dataset being written and the object is reused from step to step: read it during the call only.
/// </summary>
public sealed class EpisodeStepContext
{
    private readonly EpisodeDataset _data;

    internal EpisodeStepContext(EpisodeDataset data) => _data = data;

    public EnvSpec Spec => _data.Spec;

    /// <summary>Episode index e within the recording.</summary>
    public int Episode { get; internal set; }

    /// <summary>Step t within the episode (0-based).</summary>
    public int Step { get; internal set; }

    /// <summary>Randomness for the policy: seeded per episode by the recorder, so runs are reproducible.</summary>
    public Random Random { get; internal set; } = null!;

    /// <summary>All agents' observations, agent-major: N × O.</summary>
    public ReadOnlySpan<float> Observations =>
        _data.Observations.AsSpan(_data.ObservationIndex(Episode, Step, 0), _data.Agents * _data.ObservationSize);

    /// <summary>The global state: S floats.</summary>
    public ReadOnlySpan<float> State => _data.State(Episode, Step);

    /// <summary>All agents' available-action masks, agent-major: N × A.</summary>
    public ReadOnlySpan<bool> AvailableActions =>
        _data.AvailableActions.AsSpan(_data.AvailableActionsIndex(Episode, Step, 0), _data.Agents * _data.ActionCount);

    /// <summary>Agent n's observation.</summary>
    public ReadOnlySpan<float> Observation(int agent) => _data.Observation(Episode, Step, agent);

    /// <summary>Agent n's available-action mask.</summary>
    public ReadOnlySpan<bool> Available(int agent) => _data.Available(Episode, Step, agent);
}

/// <summary>
/// Records whole episodes of any <see cref="IMultiAgentEnv"/> under a joint behaviour policy into an
/// <see cref="EpisodeDataset"/>. Episode e resets the environment with a seed derived from
/// (seed, e) and gives the policy its own <see cref="System.Random"/> derived the same way, so a
/// seed determines the dataset exactly, and episode e does not depend on how many came before.
/// </summary>
public static class EpisodeRecorder
{
    /// <summary>
    /// Records <paramref name="episodes"/> episodes. The policy returns one action per agent; an
    /// action that is out of range or not available throws <see cref="InvalidOperationException"/>.
    /// An episode the environment has not ended by its limit is cut there and stored as terminated.
    /// </summary>
    public static EpisodeDataset Record(IMultiAgentEnv env, Func<EpisodeStepContext, int[]> policy, int episodes, int seed)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfNegative(episodes);
        var spec = env.Spec;
        var data = EpisodeDataset.Empty(spec, episodes);
        var context = new EpisodeStepContext(data);

        for (var e = 0; e < episodes; e++)
        {
            env.Reset(EnvironmentSeed(seed, e));
            context.Episode = e;
            context.Random = new Random(PolicySeed(seed, e));
            var t = 0;
            while (true)
            {
                WriteSlot(env, data, e, t);
                if (t == spec.EpisodeLimit) break; // slot T1-1 only holds the final observation

                context.Step = t;
                var joint = policy(context) ?? throw new InvalidOperationException($"policy returned null at episode {e}, step {t}");
                CheckJointAction(data, joint, e, t);
                joint.CopyTo(data.Actions, data.ActionIndex(e, t, 0));

                var outcome = env.Step(joint);
                var slot = data.SlotIndex(e, t);
                data.Rewards[slot] = outcome.Reward;
                data.Filled[slot] = true;
                // SMAC convention (SPEC 5.3): a time-limit cut is stored as terminated too.
                data.Terminated[slot] = outcome.Done || t + 1 == spec.EpisodeLimit;
                t++;
                if (outcome.Done)
                {
                    WriteSlot(env, data, e, t);
                    break;
                }
            }
        }
        return data;
    }

    /// <summary>The environment seed of episode e: a hash of (seed, e), non-negative.</summary>
    public static int EnvironmentSeed(int seed, int episode) => Derive(seed, episode, 0);

    /// <summary>The policy's Random seed for episode e, independent of <see cref="EnvironmentSeed"/>.</summary>
    public static int PolicySeed(int seed, int episode) => Derive(seed, episode, 1);

    // SplitMix64 finaliser over (seed, episode, stream): consecutive seeds and episodes give
    // unrelated values, unlike seed + e, which would make run s episode 1 equal run s+1 episode 0.
    private static int Derive(int seed, int episode, int stream)
    {
        var z = unchecked(((ulong)(uint)seed << 32 | (uint)episode) * 0x9E3779B97F4A7C15UL + (ulong)stream * 0xD1B54A32D192ED03UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (int)(z & 0x7FFF_FFFF);
    }

    private static void WriteSlot(IMultiAgentEnv env, EpisodeDataset data, int e, int t)
    {
        env.WriteObservations(data.Observations.AsSpan(data.ObservationIndex(e, t, 0), data.Agents * data.ObservationSize));
        env.WriteState(data.States.AsSpan(data.StateIndex(e, t), data.StateSize));
        env.WriteAvailableActions(data.AvailableActions.AsSpan(data.AvailableActionsIndex(e, t, 0), data.Agents * data.ActionCount));
    }

    private static void CheckJointAction(EpisodeDataset data, int[] joint, int e, int t)
    {
        if (joint.Length != data.Agents)
            throw new InvalidOperationException($"policy returned {joint.Length} actions for {data.Agents} agents at episode {e}, step {t}");
        for (var n = 0; n < data.Agents; n++)
        {
            var a = joint[n];
            var mask = data.Available(e, t, n);
            if (a < 0 || a >= data.ActionCount)
                throw new InvalidOperationException($"policy chose action {a} for agent {n} at episode {e}, step {t}: outside [0, {data.ActionCount})");
            if (!mask[a])
            {
                var available = new List<int>();
                for (var b = 0; b < mask.Length; b++) if (mask[b]) available.Add(b);
                throw new InvalidOperationException(
                    $"policy chose action {a} for agent {n} at episode {e}, step {t}, which is not available (available: {string.Join(", ", available)})");
            }
        }
    }
}
