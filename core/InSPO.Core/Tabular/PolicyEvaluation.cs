namespace InSPO.Tabular;

/// <summary>Q and V of a joint policy under a regulariser: Q indexed [s · J + joint], V indexed [s].</summary>
public sealed record ValueFunction(double[] Q, double[] V);

/// <summary>
/// Exact policy evaluation of Eq. 10:
///   Q(s,a) = r(s,a) + γ E_{s'}[V(s')],
///   V(s)   = E_{a∼π}[Q(s,a)] − Σᵢ (α KL(πⁱ‖μⁱ) − β H(πⁱ)).
/// Two routes that must agree (T5): iterating the backup, and solving (I − γ P_π) V = c_π directly.
/// </summary>
public static class PolicyEvaluation
{
    /// <summary>Direct linear solve of the Bellman equation.</summary>
    public static ValueFunction LinearSolve(TabularGame game, ProductPolicy policy, Regularizer reg)
    {
        int S = game.States, J = game.JointActions;
        var jointProb = JointProbabilities(game, policy);
        var c = new double[S];
        var system = new double[S * S];
        for (int s = 0; s < S; s++)
        {
            system[s * S + s] = 1;
            double expected = 0;
            for (int j = 0; j < J; j++)
            {
                double p = jointProb[s * J + j];
                if (p == 0) continue;
                expected += p * game.Reward[s * J + j];
                if (game.Transition is { } P)
                    for (int t = 0; t < S; t++) system[s * S + t] -= game.Gamma * p * P[(s * J + j) * S + t];
            }
            c[s] = expected - reg.Penalty(policy, s);
        }
        var v = S == 1 && game.Transition is null ? c : DenseLinearSolver.Solve(system, c);
        return new ValueFunction(Backup(game, v), v);
    }

    /// <summary>Iterates Eq. 10 from <paramref name="initialQ"/> (zeros when null) until the largest change
    /// of Q is below <paramref name="tolerance"/>. Returns the value and the number of sweeps.</summary>
    public static (ValueFunction Value, int Sweeps) Iterate(
        TabularGame game, ProductPolicy policy, Regularizer reg, double[]? initialQ = null,
        double tolerance = 1e-12, int maxSweeps = 1_000_000)
    {
        int S = game.States, J = game.JointActions;
        var jointProb = JointProbabilities(game, policy);
        var penalty = Enumerable.Range(0, S).Select(s => reg.Penalty(policy, s)).ToArray();
        var q = initialQ is null ? new double[S * J] : (double[])initialQ.Clone();
        var v = new double[S];
        for (int sweep = 1; sweep <= maxSweeps; sweep++)
        {
            for (int s = 0; s < S; s++)
            {
                double e = 0;
                for (int j = 0; j < J; j++) e += jointProb[s * J + j] * q[s * J + j];
                v[s] = e - penalty[s];
            }
            var next = Backup(game, v);
            double change = 0;
            for (int k = 0; k < next.Length; k++) change = Math.Max(change, Math.Abs(next[k] - q[k]));
            q = next;
            if (change < tolerance)
            {
                for (int s = 0; s < S; s++)
                {
                    double e = 0;
                    for (int j = 0; j < J; j++) e += jointProb[s * J + j] * q[s * J + j];
                    v[s] = e - penalty[s];
                }
                return (new ValueFunction(q, v), sweep);
            }
        }
        throw new InvalidOperationException($"policy evaluation did not converge in {maxSweeps} sweeps");
    }

    /// <summary>Expected (unregularised) discounted return from the start distribution d.</summary>
    public static double ExpectedReturn(TabularGame game, ProductPolicy policy) =>
        StartValue(game, LinearSolve(game, policy, Regularizer.None(policy)).V);

    /// <summary>Σ_s d(s) V(s).</summary>
    public static double StartValue(TabularGame game, double[] v)
    {
        double total = 0;
        for (int s = 0; s < game.States; s++) total += game.Initial[s] * v[s];
        return total;
    }

    /// <summary>Q(s,a) = r(s,a) + γ Σ_{s'} P(s'|s,a) V(s').</summary>
    static double[] Backup(TabularGame game, double[] v)
    {
        int S = game.States, J = game.JointActions;
        var q = (double[])game.Reward.Clone();
        if (game.Transition is { } P)
            for (int row = 0; row < S * J; row++)
            {
                double next = 0;
                for (int t = 0; t < S; t++) next += P[row * S + t] * v[t];
                q[row] += game.Gamma * next;
            }
        return q;
    }

    /// <summary>π(a|s) = ∏ᵢ πⁱ(aⁱ|s), indexed [s · J + joint].</summary>
    public static double[] JointProbabilities(TabularGame game, ProductPolicy policy)
    {
        int S = game.States, J = game.JointActions;
        var result = new double[S * J];
        for (int s = 0; s < S; s++)
            for (int j = 0; j < J; j++)
            {
                double p = 1;
                for (int i = 0; i < game.Agents && p != 0; i++) p *= policy.At(i, s)[game.ActionOf(j, i)];
                result[s * J + j] = p;
            }
        return result;
    }
}
