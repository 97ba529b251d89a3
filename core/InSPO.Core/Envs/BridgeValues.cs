namespace InSPO.Envs;

/// <summary>
/// Exact values of Bridge from the start state by dynamic programming over joint states
/// (positions, finished flags, steps taken), stepping <see cref="BridgeEnv"/> itself so that the
/// search uses the very rules the environment plays by. Used to normalise scores:
/// 0 = uniform-random policy, 1 = optimal.
/// </summary>
public static class BridgeValues
{
    /// <summary>The best return any joint policy can get within <paramref name="episodeLimit"/> steps.</summary>
    public static double Optimal(int episodeLimit = BridgeEnv.EvaluationEpisodeLimit) => Solve(episodeLimit, optimal: true);

    /// <summary>The expected return of the uniform-random joint policy (all 25 joint actions equally likely).</summary>
    public static double UniformRandom(int episodeLimit = BridgeEnv.EvaluationEpisodeLimit) => Solve(episodeLimit, optimal: false);

    /// <summary>(return − random) / (optimal − random).</summary>
    public static double Normalised(double episodeReturn, int episodeLimit = BridgeEnv.EvaluationEpisodeLimit)
    {
        double random = UniformRandom(episodeLimit), best = Optimal(episodeLimit);
        return (episodeReturn - random) / (best - random);
    }

    static double Solve(int limit, bool optimal)
    {
        var env = new BridgeEnv(limit);
        var memo = new Dictionary<((int, int), (int, int), bool, bool, int), double>();
        return Value(env, memo, BridgeEnv.Starts[0], BridgeEnv.Starts[1], false, false, 0, optimal);
    }

    static double Value(BridgeEnv env, Dictionary<((int, int), (int, int), bool, bool, int), double> memo,
                        (int, int) p0, (int, int) p1, bool d0, bool d1, int t, bool optimal)
    {
        if ((d0 && d1) || t >= env.Spec.EpisodeLimit) return 0;
        var key = (p0, p1, d0, d1, t);
        if (memo.TryGetValue(key, out var cached)) return cached;
        double best = double.NegativeInfinity, sum = 0;
        Span<int> joint = stackalloc int[2];
        for (int a0 = 0; a0 < BridgeEnv.ActionCount; a0++)
            for (int a1 = 0; a1 < BridgeEnv.ActionCount; a1++)
            {
                env.SetState(p0, p1, d0, d1, t);
                joint[0] = a0; joint[1] = a1;
                var outcome = env.Step(joint);
                double v = outcome.Reward + (outcome.Done ? 0
                    : Value(env, memo, env.Position(0), env.Position(1), env.IsDone(0), env.IsDone(1), t + 1, optimal));
                best = Math.Max(best, v);
                sum += v;
            }
        double result = optimal ? best : sum / (BridgeEnv.ActionCount * BridgeEnv.ActionCount);
        memo[key] = result;
        return result;
    }
}
