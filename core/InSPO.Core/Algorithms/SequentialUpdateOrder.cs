using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>The order i₁..i_N in which a round updates the agents (SPEC 3; Algorithm 1's permutation).
/// Random draws come from the run's generator, so a checkpoint reproduces them.</summary>
public static class SequentialUpdateOrder
{
    /// <summary>The order of one round. <paramref name="scores"/> (SemiGreedy only) gives each agent's
    /// mean |Aⁱ/Vⁱ|; it is computed lazily, only when needed.</summary>
    public static int[] Next(AgentOrder order, int agents, Generator generator, Func<double[]>? scores = null)
    {
        switch (order)
        {
            case AgentOrder.Fixed:
                return Enumerable.Range(0, agents).ToArray();
            case AgentOrder.Random:
                return randperm(agents, generator: generator).data<long>().Select(x => (int)x).ToArray();
            case AgentOrder.SemiGreedy:
                return SemiGreedy(scores?.Invoke() ?? throw new ArgumentException("semi-greedy order needs scores"), generator);
            default:
                throw new ArgumentOutOfRangeException(nameof(order), order, null);
        }
    }

    /// <summary>A2PO (notes §2.3): rank by score, descending; then alternate the best remaining agent with a
    /// uniformly random remaining one.</summary>
    public static int[] SemiGreedy(double[] scores, Generator generator)
    {
        var remaining = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).ToList();
        var order = new List<int>();
        bool greedy = true;
        while (remaining.Count > 0)
        {
            int pick = greedy ? 0 : (int)randint(0, remaining.Count, new long[] { 1 }, generator: generator).item<long>();
            order.Add(remaining[pick]);
            remaining.RemoveAt(pick);
            greedy = !greedy;
        }
        return order.ToArray();
    }
}
