namespace InSPO.Actors;

/// <summary>
/// The seeds of episode e of a rollout with seed s, one independent stream each: the environment's reset, the
/// actor's own randomness (a scripted or joint policy), and the action choice (sampling, ε-greedy). Derived from
/// (s, e) alone, so an episode does not depend on how many came before or on how many environments ran at once.
/// </summary>
public static class EpisodeSeeds
{
    /// <summary>The environment seed of episode e: a hash of (seed, e), non-negative.</summary>
    public static int Environment(int seed, int episode) => Derive(seed, episode, 0);

    /// <summary>The seed of the actor's own randomness for episode e.</summary>
    public static int Policy(int seed, int episode) => Derive(seed, episode, 1);

    /// <summary>The seed of the rollout's action choice for episode e.</summary>
    public static int Choice(int seed, int episode) => Derive(seed, episode, 2);

    // SplitMix64 finaliser over (seed, episode, stream): consecutive seeds and episodes give
    // unrelated values, unlike seed + e, which would make run s episode 1 equal run s+1 episode 0.
    static int Derive(int seed, int episode, int stream)
    {
        var z = unchecked(((ulong)(uint)seed << 32 | (uint)episode) * 0x9E3779B97F4A7C15UL + (ulong)stream * 0xD1B54A32D192ED03UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (int)(z & 0x7FFF_FFFF);
    }
}
