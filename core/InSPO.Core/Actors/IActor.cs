using InSPO.Envs;

namespace InSPO.Actors;

/// <summary>What every environment slot of a <see cref="IVectorEnv"/> shows at the current step, on the host,
/// batch-major. Written by the rollout before each step; read during the call only.</summary>
public sealed class ActorInput
{
    public ActorInput(IVectorEnv env)
    {
        Env = env;
        var s = env.Spec;
        Observations = new float[env.Count * s.Agents * s.ObservationSize];
        States = new float[env.Count * s.StateSize];
        Available = new bool[env.Count * s.Agents * s.Actions];
    }

    public IVectorEnv Env { get; }
    public EnvSpec Spec => Env.Spec;
    /// <summary>E × N × O.</summary>
    public float[] Observations { get; }
    /// <summary>E × S.</summary>
    public float[] States { get; }
    /// <summary>E × N × A.</summary>
    public bool[] Available { get; }

    /// <summary>Reads the environments' current step into the buffers.</summary>
    public void Refresh()
    {
        Env.WriteObservations(Observations);
        Env.WriteStates(States);
        Env.WriteAvailableActions(Available);
    }
}

/// <summary>
/// A decentralised policy with state, as the one rollout loop (<see cref="Rollout"/>) drives it: the evaluator,
/// the collector, the replay viewer and the scripted policies all speak it (DESIGN "Actor"). Per slot of a
/// vector environment: <see cref="BeginEpisode"/> resets the slot's state (recurrent hidden state, last action,
/// per-episode randomness), <see cref="Act"/> gives every agent's action distribution for the current step, and
/// <see cref="Observe"/> tells the actor which actions were taken.
/// </summary>
public interface IActor
{
    /// <summary>Slot <paramref name="environment"/> starts episode <paramref name="episode"/> (the index of the
    /// episode in the order the rollout started them): reset that slot's state.</summary>
    void BeginEpisode(int environment, int episode);

    /// <summary>Writes E × N × A action probabilities for the current step of every slot (zero on unavailable
    /// actions). Idle slots' rows are ignored but must still be valid distributions.</summary>
    void Act(ActorInput input, Span<float> probabilities);

    /// <summary>The joint actions taken in every slot (E × N) after <see cref="Act"/>.</summary>
    void Observe(ReadOnlySpan<int> actions);
}
