namespace InSPO.Data;

/// <summary>What a dataset card shows (<c>inspo dataset info</c>): episodes, transitions, undiscounted return
/// mean ± std (population std) with its range, mean length, the win rate where the data record it, and how many
/// episodes the time limit cut.</summary>
public sealed record DatasetStatistics(int Episodes, long Transitions, double ReturnMean, double ReturnStd, double ReturnMin,
                                       double ReturnMax, double MeanLength, double? WinRate, int Truncated)
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
            d.Truncated.Count(t => t));
    }
}
