namespace InSPO.Tabular;

/// <summary>
/// The behaviour-regularised maximum-entropy objective of Eq. 9:
/// per step, r − α · KL(π ‖ μ) + β · H(π), with the KL and entropy summed over agents (π and μ are
/// products, so both separate).
/// </summary>
public sealed record Regularizer(ProductPolicy Behaviour, double Alpha, double Beta)
{
    /// <summary>No regularisation: plain expected return.</summary>
    public static Regularizer None(ProductPolicy anyBehaviour) => new(anyBehaviour, 0, 0);

    /// <summary>Agent i's penalty in state s: E_{a∼πⁱ}[α log(πⁱ(a)/μⁱ(a)) + β log πⁱ(a)] = α KL − β H.</summary>
    public double AgentPenalty(ReadOnlySpan<double> policy, ReadOnlySpan<double> behaviour)
    {
        if (Alpha == 0 && Beta == 0) return 0;
        double total = 0;
        for (int a = 0; a < policy.Length; a++)
        {
            double p = policy[a];
            if (p <= 0) continue;                       // 0 · log 0 = 0
            double logP = Math.Log(p);
            total += p * (Alpha * (logP - Math.Log(behaviour[a])) + Beta * logP);
        }
        return total;
    }

    /// <summary>Σᵢ penalty of every agent in state s.</summary>
    public double Penalty(ProductPolicy policy, int state)
    {
        double total = 0;
        for (int i = 0; i < policy.Agents; i++) total += AgentPenalty(policy.At(i, state), Behaviour.At(i, state));
        return total;
    }

    /// <summary>
    /// Closed-form maximiser over the simplex of Σₐ p(a) q(a) − α KL(p‖μ) + β H(p) (Eq. 12/13, Eq. 6 when β = 0):
    /// p(a) ∝ μ(a) exp((q(a) − β log μ(a)) / (α + β)) = exp((α log μ(a) + q(a)) / (α + β)),
    /// computed in log space so that large q/(α+β) does not overflow.
    /// </summary>
    public void ClosedForm(ReadOnlySpan<double> q, ReadOnlySpan<double> behaviour, Span<double> result)
    {
        double temperature = Alpha + Beta;
        if (!(temperature > 0)) throw new InvalidOperationException("closed form needs α + β > 0");
        double max = double.NegativeInfinity;
        for (int a = 0; a < q.Length; a++)
        {
            result[a] = (Alpha * Math.Log(behaviour[a]) + q[a]) / temperature;   // −∞ where μ(a) = 0: stays out of sample
            if (result[a] > max) max = result[a];
        }
        double sum = 0;
        for (int a = 0; a < q.Length; a++) { result[a] = Math.Exp(result[a] - max); sum += result[a]; }
        for (int a = 0; a < q.Length; a++) result[a] /= sum;
    }
}
