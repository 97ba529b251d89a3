namespace InSPO.Envs.Smac;

/// <summary>
/// xoshiro256** seeded through SplitMix64: the simulator's only source of randomness, fully
/// specified so the same seed gives the same episode on every machine and runtime
/// (unlike <see cref="System.Random"/>, whose algorithm is an implementation detail).
/// </summary>
public struct SmacRng
{
    private ulong _s0, _s1, _s2, _s3;

    public SmacRng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    /// <summary>Seed for stream <paramref name="stream"/> of run <paramref name="seed"/> (e.g. env index in a batch).</summary>
    public static ulong Mix(long seed, long stream)
    {
        ulong x = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)stream * 0xC2B2AE3D27D4EB4FUL);
        return SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t; _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform integer in [0, n) (multiply-shift; bias below 2^-32 for the small n used here).</summary>
    public int NextInt(int n) => (int)((NextUInt64() >> 32) * (ulong)n >> 32);

    /// <summary>Uniform integer in [lo, hi] inclusive.</summary>
    public int NextInclusive(int lo, int hi) => lo + NextInt(hi - lo + 1);

    /// <summary>Uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
