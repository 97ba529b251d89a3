namespace InSPO.Envs;

/// <summary>Sizes and limits of an environment: what a dataset or a network needs to know of it.</summary>
/// <param name="Name">Short identifier, e.g. "xor", "bridge", "5m_vs_6m".</param>
/// <param name="Agents">Number of agents N.</param>
/// <param name="Actions">Actions per agent (the largest, when agents differ; unavailable ones are masked).</param>
/// <param name="ObservationSize">Length of one agent's observation vector.</param>
/// <param name="StateSize">Length of the global state vector.</param>
/// <param name="EpisodeLimit">Steps after which an episode is cut (stored as terminated, as in SMAC).</param>
public sealed record EnvSpec(string Name, int Agents, int Actions, int ObservationSize, int StateSize, int EpisodeLimit);

/// <summary>What one joint step returns. <c>Done</c> covers both a real end and the time limit;
/// <c>TimeLimit</c> says which (PyMARL's "episode_limit" info).</summary>
public readonly record struct StepOutcome(float Reward, bool Done, bool TimeLimit);

/// <summary>
/// The one interface every environment implements (SPEC 5) and every algorithm, generator and
/// evaluator uses: cooperative, shared reward, decentralised observations, a global state and
/// per-agent available-action masks. Buffers are written into caller-owned spans so that batched
/// stepping allocates nothing.
/// </summary>
public interface IMultiAgentEnv
{
    EnvSpec Spec { get; }

    /// <summary>Starts a new episode. The same seed and the same joint actions give the same episode.</summary>
    void Reset(int seed);

    /// <summary>Applies one joint action (one entry per agent, each an available action).</summary>
    StepOutcome Step(ReadOnlySpan<int> jointAction);

    /// <summary>Writes all agents' observations, agent-major: Agents × ObservationSize.</summary>
    void WriteObservations(Span<float> destination);

    /// <summary>Writes the global state: StateSize floats.</summary>
    void WriteState(Span<float> destination);

    /// <summary>Writes the available-action mask, agent-major: Agents × Actions.</summary>
    void WriteAvailableActions(Span<bool> destination);

    /// <summary>Extra per-episode facts, e.g. "battle_won" (1 or 0) in SMAC-lite.</summary>
    IReadOnlyDictionary<string, double> Info { get; }
}
