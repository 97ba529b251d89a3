using System.Globalization;

namespace InSPO.Training;

/// <summary>
/// A run's learning curve: the evaluation metrics of the policy at given steps, one CSV row per evaluation
/// (<c>step,metric…</c>, metrics in name order), appended as training goes so a killed run keeps its points.
/// A resumed run first drops the rows after its checkpoint's step: those steps are trained, and evaluated, again.
/// </summary>
public sealed class LearningCurve
{
    public const string FileName = "curve.csv";
    readonly string path;
    string[]? columns;

    /// <summary>Opens the curve of a run starting (or resuming) at <paramref name="fromStep"/>: rows of later steps,
    /// and every row when the run starts from 0, are removed.</summary>
    public LearningCurve(string path, long fromStep)
    {
        this.path = path;
        if (!File.Exists(path)) return;
        var kept = fromStep <= 0 ? Array.Empty<string>() : File.ReadAllLines(path).Where((line, i) => i == 0 || (line.Length > 0 && RowStep(line) <= fromStep)).ToArray();
        if (kept.Length <= 1) { File.Delete(path); return; }   // no row left: the next Append writes a new header
        File.WriteAllLines(path, kept);
        columns = kept[0].Split(',').Skip(1).ToArray();
    }

    /// <summary>Adds the row of <paramref name="step"/>; the first row fixes the columns.</summary>
    public void Append(long step, IReadOnlyDictionary<string, double> metrics)
    {
        var header = columns is null;
        columns ??= metrics.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var cells = columns.Select(c => metrics.TryGetValue(c, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : "");
        var row = step.ToString(CultureInfo.InvariantCulture) + "," + string.Join(",", cells);
        File.AppendAllText(path, (header ? "step," + string.Join(",", columns) + "\n" : "") + row + "\n");
    }

    /// <summary>The rows of a curve file: step and metrics (empty cells left out).</summary>
    public static IReadOnlyList<(long Step, IReadOnlyDictionary<string, double> Metrics)> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) return Array.Empty<(long, IReadOnlyDictionary<string, double>)>();
        var names = lines[0].Split(',');
        return lines.Skip(1).Where(l => l.Length > 0).Select(line =>
        {
            var cells = line.Split(',');
            if (cells.Length != names.Length) throw new FormatException($"{path}: row '{line}' has {cells.Length} cells, the header {names.Length}");
            var metrics = new Dictionary<string, double>();
            for (int k = 1; k < cells.Length; k++)
                if (cells[k].Length > 0) metrics[names[k]] = double.Parse(cells[k], CultureInfo.InvariantCulture);
            return (long.Parse(cells[0], CultureInfo.InvariantCulture), (IReadOnlyDictionary<string, double>)metrics);
        }).ToList();
    }

    static long RowStep(string line) => long.Parse(line.AsSpan(0, line.IndexOf(',') is var c and >= 0 ? c : line.Length), CultureInfo.InvariantCulture);
}
