using InSPO.Actors;
using InSPO.Envs;

namespace InSPO.Data;

/// <summary>
/// Records whole episodes of one <see cref="IMultiAgentEnv"/> under a joint behaviour policy (a function of the
/// <see cref="EpisodeStepContext"/>): the <see cref="Collector"/> with a <see cref="JointPolicyActor"/> on one
/// environment slot. Episode e resets the environment with <see cref="EpisodeSeeds.Environment"/>(seed, e) and
/// gives the policy a generator seeded with <see cref="EpisodeSeeds.Policy"/>(seed, e), so a seed determines the
/// dataset exactly, and episode e does not depend on how many came before.
/// </summary>
public static class EpisodeRecorder
{
    /// <summary>Records <paramref name="episodes"/> episodes. An action out of range or not available throws
    /// <see cref="InvalidOperationException"/>. An episode the environment has not ended by its limit is cut there
    /// and stored as truncated.</summary>
    public static EpisodeDataset Record(IMultiAgentEnv env, Func<EpisodeStepContext, int[]> policy, int episodes, int seed)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfNegative(episodes);
        return Collector.Collect(new VectorEnv([env]), new JointPolicyActor(policy, seed, 1),
            new RolloutOptions { Episodes = episodes, Seed = seed, Choice = ActionChoice.Greedy });
    }

    /// <summary>The environment seed of episode e (<see cref="EpisodeSeeds.Environment"/>).</summary>
    public static int EnvironmentSeed(int seed, int episode) => EpisodeSeeds.Environment(seed, episode);

    /// <summary>The policy's seed for episode e (<see cref="EpisodeSeeds.Policy"/>).</summary>
    public static int PolicySeed(int seed, int episode) => EpisodeSeeds.Policy(seed, episode);
}
