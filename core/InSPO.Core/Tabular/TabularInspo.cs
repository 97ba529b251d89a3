namespace InSPO.Tabular;

/// <summary>How agents are ordered within a round of Algorithm 1.</summary>
public enum UpdateOrder { Random, Fixed }

/// <summary>Sequential = Algorithm 1 (agent iₙ responds to the NEW policies of i₁..iₙ₋₁);
/// Simultaneous = the ablation in which every agent responds to its OLD teammates.</summary>
public enum UpdateScheme { Sequential, Simultaneous }

/// <summary>Which route of Eq. 10 evaluates the old policy each round (both are exact; T5 checks they agree).</summary>
public enum EvaluationMethod { LinearSolve, Iteration }

/// <summary>
/// Options of the exact algorithm. Defaults are SPEC 2's XOR defaults (α = 0.1, β₀ = 1, β ×0.97 per
/// round, 300 rounds, random order); <see cref="ForMne"/> gives M-NE's (α = 1, β₀ = 5).
/// </summary>
public sealed record TabularInspoOptions
{
    public double Alpha { get; init; } = 0.1;
    public double Beta0 { get; init; } = 1.0;
    /// <summary>β_k = β₀ · BetaDecay^k (k = 0, 1, …); 1 keeps β fixed, as the QRE test (T3) needs.</summary>
    public double BetaDecay { get; init; } = 0.97;
    public int Rounds { get; init; } = 300;
    public UpdateOrder Order { get; init; } = UpdateOrder.Random;
    public UpdateScheme Scheme { get; init; } = UpdateScheme.Sequential;
    public EvaluationMethod Evaluation { get; init; } = EvaluationMethod.LinearSolve;
    /// <summary>Seeds the random update orders.</summary>
    public int Seed { get; init; }
    /// <summary>Also compute the QRE gap at every round (costs one best response per agent).</summary>
    public bool TrackQreGap { get; init; }

    public static TabularInspoOptions ForXor => new();
    public static TabularInspoOptions ForMne => new() { Alpha = 1.0, Beta0 = 5.0 };

    /// <summary>A copy with another seed and update scheme (and optionally another β₀): handy for sweeps.</summary>
    public TabularInspoOptions With(int seed, UpdateScheme scheme, double? beta0 = null) =>
        this with { Seed = seed, Scheme = scheme, Beta0 = beta0 ?? Beta0 };

    public double BetaAt(int round) => Beta0 * Math.Pow(BetaDecay, round);

    public void Validate()
    {
        if (!(Alpha > 0) || double.IsInfinity(Alpha)) throw new ArgumentException($"α = {Alpha} must be a positive number");
        if (!(Beta0 >= 0) || double.IsInfinity(Beta0)) throw new ArgumentException($"β₀ = {Beta0} must be a non-negative number");
        if (!(BetaDecay > 0 && BetaDecay <= 1)) throw new ArgumentException($"β decay = {BetaDecay} must lie in (0, 1]");
        if (Rounds < 0) throw new ArgumentException($"rounds = {Rounds} must be non-negative");
    }
}

/// <summary>One round of the history: the policy after the round and what it scores.</summary>
/// <param name="Round">1-based round number (round 0 is the initial policy π⁰ = μ).</param>
/// <param name="Beta">β used in this round.</param>
/// <param name="Order">The permutation i₁..i_N used.</param>
/// <param name="ExpectedReturn">Unregularised expected return of the policy after the round.</param>
/// <param name="RegularizedValue">Its value under Eq. 9 with this round's α, β.</param>
/// <param name="QreGap">Best unilateral deviation gain, when tracked; NaN otherwise.</param>
public sealed record RoundRecord(int Round, double Beta, int[] Order, double ExpectedReturn, double RegularizedValue,
                                 double QreGap, ProductPolicy Policy);

public sealed record TabularInspoResult(ProductPolicy Policy, IReadOnlyList<RoundRecord> History, TabularInspoOptions Options)
{
    public double ExpectedReturn => History[^1].ExpectedReturn;
}

/// <summary>
/// Exact In-Sample Sequential Policy Optimization for tabular games (SPEC 2, Algorithm 1).
/// Each round: evaluate the old policy exactly (Eq. 10), then for n = 1..N update agent iₙ in closed
/// form (Eq. 12/13) against Q^{i_{1:n}}, the expectation of Q_old with agents i₁..iₙ₋₁ at their new
/// policies and the rest at their old ones.
/// </summary>
public static class TabularInspo
{
    public static TabularInspoResult Run(TabularGame game, ProductPolicy behaviour, TabularInspoOptions options, ProductPolicy? initial = null)
    {
        options.Validate();
        var rng = new Random(options.Seed);
        var policy = initial?.Clone() ?? behaviour.Clone();      // π⁰ = μ
        var history = new List<RoundRecord> { Record(game, behaviour, options, 0, options.Beta0, Array.Empty<int>(), policy) };
        for (int k = 0; k < options.Rounds; k++)
        {
            double beta = options.BetaAt(k);
            var order = options.Order == UpdateOrder.Fixed
                ? Enumerable.Range(0, game.Agents).ToArray()
                : RandomPermutation(game.Agents, rng);
            policy = ImprovementRound(game, policy, new Regularizer(behaviour, options.Alpha, beta), order, options.Scheme, options.Evaluation);
            history.Add(Record(game, behaviour, options, k + 1, beta, order, policy));
        }
        return new TabularInspoResult(policy, history, options);
    }

    /// <summary>One round of Algorithm 1 (or of the simultaneous ablation) from <paramref name="old"/>.</summary>
    public static ProductPolicy ImprovementRound(TabularGame game, ProductPolicy old, Regularizer reg, int[] order,
                                                 UpdateScheme scheme, EvaluationMethod evaluation = EvaluationMethod.LinearSolve)
    {
        var qOld = (evaluation == EvaluationMethod.LinearSolve
            ? PolicyEvaluation.LinearSolve(game, old, reg)
            : PolicyEvaluation.Iterate(game, old, reg).Value).Q;
        var updated = old.Clone();
        // Teammates the next agent responds to: sequential sees earlier agents' NEW policies.
        var current = (double[][])old.Probabilities.Clone();
        foreach (int agent in order)
        {
            int actions = game.ActionCounts[agent];
            var agentQ = new double[actions];
            for (int s = 0; s < game.States; s++)
            {
                TeammateMarginals.AgentQ(game, qOld, s, agent, current, agentQ);             // Q^{i_{1:n}}(s, ·)
                reg.ClosedForm(agentQ, reg.Behaviour.At(agent, s), updated.Probabilities[agent].AsSpan(s * actions, actions));
            }
            if (scheme == UpdateScheme.Sequential) current[agent] = updated.Probabilities[agent];
        }
        return updated;
    }

    static RoundRecord Record(TabularGame game, ProductPolicy behaviour, TabularInspoOptions options, int round, double beta, int[] order, ProductPolicy policy)
    {
        var reg = new Regularizer(behaviour, options.Alpha, beta);
        double regularized = PolicyEvaluation.StartValue(game, PolicyEvaluation.LinearSolve(game, policy, reg).V);
        double gap = options.TrackQreGap ? QreGap.Compute(game, policy, reg).Gap : double.NaN;
        return new RoundRecord(round, beta, order, PolicyEvaluation.ExpectedReturn(game, policy), regularized, gap, policy.Clone());
    }

    static int[] RandomPermutation(int n, Random rng)
    {
        var p = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--) { int j = rng.Next(i + 1); (p[i], p[j]) = (p[j], p[i]); }
        return p;
    }
}
