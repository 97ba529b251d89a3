namespace InSPO.Data;

/// <summary>What a dataset card shows (<c>inspo dataset info</c>): episodes, transitions, undiscounted return
/// mean ± std (population std) with its range, mean length, the win rate where the data record it, and how many
/// episodes the time limit cut, and how many episodes are distinct (greedy collection from a deterministic start
/// can repeat episodes: notes, smac-datasets.md).</summary>
public sealed record DatasetStatistics(int Episodes, long Transitions, double ReturnMean, double ReturnStd, double ReturnMin,
                                       double ReturnMax, double MeanLength, double? WinRate, int Truncated, int Distinct)
{
    public static DatasetStatistics Of(EpisodeDataset d)
    {
        var returns = Enumerable.Range(0, d.Episodes).Select(d.EpisodeReturn).ToArray();
        var lengths = Enumerable.Range(0, d.Episodes).Select(e => (double)d.EpisodeLength(e)).ToArray();
        double mean = returns.Length > 0 ? returns.Average() : double.NaN;
        double std = returns.Length > 0 ? Math.Sqrt(returns.Average(r => (r - mean) * (r - mean))) : double.NaN;
        return new DatasetStatistics(d.Episodes, d.TotalSteps(), mean, std,
            returns.Length > 0 ? returns.Min() : double.NaN, returns.Length > 0 ? returns.Max() : double.NaN,
            lengths.Length > 0 ? lengths.Average() : double.NaN,
            d.BattleWon is { Length: > 0 } won ? won.Average(w => w ? 1.0 : 0.0) : null,
            d.Truncated.Count(t => t), Enumerable.Range(0, d.Episodes).Select(e => Fingerprint(d, e)).Distinct().Count());
    }

    /// <summary>An episode's identity: its joint actions and rewards, step by step (two episodes that agree on both
    /// from the same start are the same episode for a deterministic simulator).</summary>
    static string Fingerprint(EpisodeDataset d, int e)
    {
        var hash = new HashCode();
        int length = d.EpisodeLength(e);
        hash.Add(length);
        for (int t = 0; t < length; t++)
        {
            hash.Add(d.Rewards[d.SlotIndex(e, t)]);
            for (int i = 0; i < d.Agents; i++) hash.Add(d.Actions[d.ActionIndex(e, t, i)]);
        }
        return $"{hash.ToHashCode()}:{length}:{d.EpisodeReturn(e)}";
    }
}
