using InSPO.Envs;
using InSPO.Envs.Smac;

namespace InSPO.Nets;

/// <summary>The agent network each environment gets by default (SPEC 3; DESIGN "Agent networks from one factory").</summary>
public static class AgentNetworks
{
    /// <summary>Whether <paramref name="spec"/> is a SMAC-lite map (or data of one: the map's name and sizes).</summary>
    public static bool IsSmac(EnvSpec spec) =>
        SmacMaps.Names.Contains(spec.Name) && SmacMaps.Get(spec.Name) is var map
        && map.AgentCount == spec.Agents && map.ActionCount == spec.Actions && map.ObservationSize == spec.ObservationSize;

    /// <summary>Matrix games and Bridge: one MLP per agent (<paramref name="hidden"/> units), as every algorithm had
    /// before the factory. SMAC-lite: a GRU agent of 64 units with the last action appended — shared with the agent
    /// id for the baselines (<paramref name="shared"/>, PyMARL's RNNAgent), one per agent for InSPO (SPEC 3).</summary>
    public static AgentNetworkOptions DefaultFor(EnvSpec spec, int hidden, bool shared) =>
        !IsSmac(spec) ? AgentNetworkOptions.PerAgentMlp(hidden)
        : shared ? AgentNetworkOptions.SharedRecurrent(hidden) : AgentNetworkOptions.PerAgentRecurrent(hidden);

    /// <summary>Episodes per batch of a recurrent learner on SMAC-lite: the CFCQL code's 128 at the paper profile, 32 at
    /// quick and 8 at smoke (a CPU update at 128 episodes costs ≈ 3 × one at 32).</summary>
    public static int EpisodeBatch(InSPO.Training.Profile profile) => profile.Name switch { "smoke" => 8, "paper" => 128, _ => 32 };
}
