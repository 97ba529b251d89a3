using System.Globalization;

namespace InSPO.Training;

/// <summary>
/// A group: the seeds of one cell (the same environment, dataset, algorithm, hyperparameters, profile, device and
/// run root), trained by one process — the unit the scheduler runs on a core and a Slurm array task runs on a node.
/// Each member writes the ordinary run folder and record of its seed, exactly as a single run does, so tables and
/// the reuse of finished cells do not change. <see cref="GroupRunner"/> trains it.
/// </summary>
public sealed record RunGroup(RunSpec Template, IReadOnlyList<int> Seeds)
{
    /// <summary>The members' specs, in seed order as given.</summary>
    public IEnumerable<RunSpec> Specs => Seeds.Select(s => Template with { Seed = s });

    /// <summary>The cell's folder (it holds one <c>seed{k}</c> folder per member).</summary>
    public string Folder => Path.GetDirectoryName(Runner.RunDirectory(Template))!;

    /// <summary>Where the group's process writes its output (beside the members' run folders).</summary>
    public string LogPath => Path.Combine(Folder, $"group-seeds{FileSeeds}.log");

    /// <summary>The seeds for a file name: runs of consecutive seeds as a–b, joined by "_" ("0-4", "0-2_7").</summary>
    string FileSeeds
    {
        get
        {
            var parts = new List<string>();
            for (int i = 0; i < Seeds.Count;)
            {
                int j = i;
                while (j + 1 < Seeds.Count && Seeds[j + 1] == Seeds[j] + 1) j++;
                parts.Add(i == j ? $"{Seeds[i]}" : $"{Seeds[i]}-{Seeds[j]}");
                i = j + 1;
            }
            return "-" + string.Join("_", parts);
        }
    }

    /// <summary>The checkpoint of the group trained as an ensemble (<see cref="GroupRunner"/>).</summary>
    public string CheckpointPath => Path.Combine(Folder, $"group-seeds{FileSeeds}.checkpoint.bin");

    /// <summary>"0,1,2,3,4": how <c>inspo train --seeds</c> takes the members.</summary>
    public string SeedList => string.Join(",", Seeds.Select(s => s.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A short name for progress lines: env/dataset/algorithm{-name=value…} seeds a–b.</summary>
    public string Label => $"{Runner.EnvironmentLabel(Template.Env)}/{Runner.DatasetLabel(Template.Dataset)}/{Path.GetFileName(Folder)} seeds {SeedList}";

    /// <summary>The arguments of the <c>inspo</c> command that trains this group (after the program).</summary>
    public IReadOnlyList<string> TrainArguments()
    {
        var args = new List<string>
        {
            "train", "--env", Template.Env, "--dataset", Template.Dataset, "--algo", Template.Algorithm, "--seeds", SeedList,
            "--profile", Template.Profile, "--device", Template.Device, "--resume",
        };
        if (Template.OutputRoot is not null) args.AddRange(new[] { "--out", Template.OutputRoot });
        foreach (var (k, v) in (Template.Hyperparameters ?? new Dictionary<string, double>()).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            args.AddRange(new[] { "--set", $"{k}={v.ToString("R", CultureInfo.InvariantCulture)}" });
        return args;
    }

    /// <summary>The groups of a list of cells: cells that differ only by seed, in the order their first cell comes.</summary>
    public static IReadOnlyList<RunGroup> Of(IEnumerable<RunSpec> cells)
    {
        var groups = new List<(RunSpec Key, List<int> Seeds)>();
        foreach (var cell in cells)
        {
            var key = cell with { Seed = 0 };
            var group = groups.FindIndex(g => SameCell(g.Key, key));
            if (group < 0) groups.Add((key, new List<int> { cell.Seed }));
            else if (!groups[group].Seeds.Contains(cell.Seed)) groups[group].Seeds.Add(cell.Seed);
        }
        return groups.Select(g => new RunGroup(g.Key with { Seed = g.Seeds[0] }, g.Seeds)).ToList();
    }

    /// <summary>Parses "0,1,2", "0-4" or a mix ("0-2,7").</summary>
    public static IReadOnlyList<int> ParseSeeds(string text)
    {
        var seeds = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var range = part.Split('-', 2);
            bool Parse(string s, out int v) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v);
            if (range.Length == 1 && Parse(range[0], out var one)) seeds.Add(one);
            else if (range.Length == 2 && Parse(range[0], out var a) && Parse(range[1], out var b) && a <= b) seeds.AddRange(Enumerable.Range(a, b - a + 1));
            else throw new ArgumentException($"--seeds {text}: '{part}' is not a seed or a range a-b (e.g. 0-4 or 0,2,5)");
        }
        if (seeds.Count == 0) throw new ArgumentException($"--seeds {text}: no seed");
        if (seeds.Distinct().Count() != seeds.Count) throw new ArgumentException($"--seeds {text}: a seed is listed twice");
        return seeds;
    }

    static bool SameCell(RunSpec a, RunSpec b) =>
        a.Env == b.Env && a.Dataset == b.Dataset && a.Algorithm == b.Algorithm && a.Profile == b.Profile && a.Device == b.Device
        && a.OutputRoot == b.OutputRoot && Runner.RunDirectory(a) == Runner.RunDirectory(b);
}
