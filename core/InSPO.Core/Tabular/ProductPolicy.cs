namespace InSPO.Tabular;

/// <summary>
/// A decentralised joint policy π = ∏ πⁱ: one distribution per agent and state.
/// <c>Probabilities[i][s · Aⁱ + a]</c> = πⁱ(a | s). Also used for the behaviour policy μ.
/// </summary>
public sealed class ProductPolicy
{
    public ProductPolicy(int states, int[] actionCounts, double[][] probabilities)
    {
        States = states;
        ActionCounts = (int[])actionCounts.Clone();
        if (probabilities.Length != actionCounts.Length)
            throw new ArgumentException($"policy has {probabilities.Length} agents, expected {actionCounts.Length}");
        for (int i = 0; i < probabilities.Length; i++)
        {
            if (probabilities[i].Length != states * actionCounts[i])
                throw new ArgumentException($"agent {i}: {probabilities[i].Length} probabilities, expected {states * actionCounts[i]}");
            for (int s = 0; s < states; s++)
            {
                double sum = 0;
                for (int a = 0; a < actionCounts[i]; a++)
                {
                    double p = probabilities[i][s * actionCounts[i] + a];
                    if (!(p >= 0) || double.IsInfinity(p)) throw new ArgumentException($"agent {i}, state {s}: probability {p} is invalid");
                    sum += p;
                }
                if (Math.Abs(sum - 1) > 1e-6) throw new ArgumentException($"agent {i}, state {s}: probabilities sum to {sum}, not 1");
            }
        }
        Probabilities = probabilities.Select(p => (double[])p.Clone()).ToArray();
    }

    public static ProductPolicy Uniform(int states, int[] actionCounts) =>
        new(states, actionCounts, actionCounts.Select(a => Enumerable.Repeat(1.0 / a, states * a).ToArray()).ToArray());

    /// <summary>The same per-agent distribution in every state.</summary>
    public static ProductPolicy StateIndependent(int states, double[][] perAgent) =>
        new(states, perAgent.Select(p => p.Length).ToArray(),
            perAgent.Select(p => Enumerable.Range(0, states).SelectMany(_ => p).ToArray()).ToArray());

    public int States { get; }
    public int[] ActionCounts { get; }
    public int Agents => ActionCounts.Length;
    public double[][] Probabilities { get; }

    /// <summary>πⁱ(· | s).</summary>
    public ReadOnlySpan<double> At(int agent, int state) =>
        Probabilities[agent].AsSpan(state * ActionCounts[agent], ActionCounts[agent]);

    public ProductPolicy Clone() => new(States, ActionCounts, Probabilities);

    /// <summary>Largest absolute difference of any probability.</summary>
    public double MaxAbsDifference(ProductPolicy other)
    {
        double d = 0;
        for (int i = 0; i < Agents; i++)
            for (int k = 0; k < Probabilities[i].Length; k++)
                d = Math.Max(d, Math.Abs(Probabilities[i][k] - other.Probabilities[i][k]));
        return d;
    }
}
