using InSPO.Data;
using InSPO.Envs;

namespace InSPO.Tabular;

/// <summary>
/// Tabular behaviour cloning: μⁱ(a) = count of agent i taking a / filled steps. In a one-state game
/// this is the maximum-likelihood product policy (what BC converges to with unlimited capacity).
/// </summary>
public static class BehaviourEstimate
{
    public static ProductPolicy FromDataset(EpisodeDataset data, MatrixGame game)
    {
        int n = game.Agents.Length;
        if (data.Agents != n)
            throw new DatasetFormatException($"dataset has {data.Agents} agents, game '{game.Name}' has {n}");
        var counts = game.ActionCounts.Select(a => new double[a]).ToArray();
        long steps = 0;
        for (int e = 0; e < data.Episodes; e++)
            for (int t = 0; t < data.Steps; t++)
            {
                if (!data.Filled[e * data.Steps + t]) continue;
                steps++;
                for (int i = 0; i < n; i++)
                {
                    int a = data.Actions[(e * data.Steps + t) * n + i];
                    if (a < 0 || a >= counts[i].Length)
                        throw new DatasetFormatException($"dataset action {a} of agent {i} (episode {e}, step {t}) is outside game '{game.Name}' ({counts[i].Length} actions)");
                    counts[i][a]++;
                }
            }
        if (steps == 0) throw new DatasetFormatException("dataset has no filled step to count actions from");
        return ProductPolicy.StateIndependent(1, counts.Select(c => c.Select(x => x / steps).ToArray()).ToArray());
    }
}
