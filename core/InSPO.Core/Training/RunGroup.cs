using System.Globalization;

namespace InSPO.Training;

/// <summary>
/// A group: the seeds of one cell (the same environment, dataset, algorithm, hyperparameters, profile, device and
/// run root), trained by one process — the unit the scheduler runs on a core and a Slurm array task runs on a node.
/// Each member writes the ordinary run folder and record of its seed, exactly as a single run does, so tables and
/// the reuse of finished cells do not change. <see cref="GroupRunner"/> trains it.
/// <para>With a <see cref="Sweep"/> the group is every value of one hyperparameter × every seed (`inspo train --sweep`):
/// the cells of a sweep in one process, one ensemble where the algorithm lets members differ in that option
/// (<see cref="InSPO.Algorithms.InspoOptions.PerMember"/>); each member still writes its own cell's record. The
/// experiment runner's groups (<see cref="Of"/>) are a cell's seeds only.</para>
/// </summary>
public sealed record RunGroup(RunSpec Template, IReadOnlyList<int> Seeds, RunGroup.SweepOf? Sweep = null)
{
    /// <summary>One hyperparameter and the values a sweep group trains.</summary>
    public sealed record SweepOf(string Name, IReadOnlyList<double> Values)
    {
        public string Text => $"{Name}={string.Join(",", Values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}";

        /// <summary>Parses "name=v1,v2,…" (the values distinct numbers).</summary>
        public static SweepOf Parse(string text)
        {
            var parts = text.Split('=', 2);
            if (parts.Length != 2 || parts[0].Trim().Length == 0) throw new ArgumentException($"--sweep {text}: expected name=value,value,… (e.g. alpha=0.1,0.5,1)");
            var values = new List<double>();
            foreach (var v in parts[1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                values.Add(double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x
                           : throw new ArgumentException($"--sweep {text}: '{v}' is not a number"));
            if (values.Count == 0) throw new ArgumentException($"--sweep {text}: no value");
            if (values.Distinct().Count() != values.Count) throw new ArgumentException($"--sweep {text}: a value is listed twice");
            return new SweepOf(parts[0].Trim(), values);
        }
    }

    /// <summary>The members' specs: in seed order as given; with a sweep, every seed of the first value, then the next.</summary>
    public IEnumerable<RunSpec> Specs => Sweep is null
        ? Seeds.Select(s => Template with { Seed = s })
        : Sweep.Values.SelectMany(v => Seeds.Select(s => Template with { Seed = s, Hyperparameters = With(Template.Hyperparameters, Sweep.Name, v) }));

    static IReadOnlyDictionary<string, double> With(IReadOnlyDictionary<string, double>? hyper, string name, double value) =>
        new Dictionary<string, double>(Without(hyper, name)) { [name] = value };

    /// <summary>The cell's folder (it holds one <c>seed{k}</c> folder per member); a sweep's: the dataset's folder,
    /// which holds its cells' folders.</summary>
    public string Folder => Sweep is null
        ? Path.GetDirectoryName(Runner.RunDirectory(Template))!
        : Path.GetDirectoryName(Path.GetDirectoryName(Runner.RunDirectory(Specs.First())))!;

    /// <summary>A sweep's part of its files' names: the cells' folder name without the swept option, then the sweep.</summary>
    string SweepTag => Sweep is null ? ""
        : $"-{Path.GetFileName(Path.GetDirectoryName(Runner.RunDirectory(Template with { Hyperparameters = Without(Template.Hyperparameters, Sweep.Name) })))}-sweep-{Sweep.Text}";

    static IReadOnlyDictionary<string, double> Without(IReadOnlyDictionary<string, double>? hyper, string name) =>
        new Dictionary<string, double>((hyper ?? new Dictionary<string, double>()).Where(kv => kv.Key != name));

    /// <summary>Where the group's process writes its output (beside the members' run folders).</summary>
    public string LogPath => Path.Combine(Folder, $"group{SweepTag}-seeds{FileSeeds}.log");

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
    public string CheckpointPath => Path.Combine(Folder, $"group{SweepTag}-seeds{FileSeeds}.checkpoint.bin");

    /// <summary>The checkpoint of some of the members trained as an ensemble (those without a record): named by their
    /// seeds; a sweep's subset by the group's name and a digest of the members' folders.</summary>
    public string CheckpointPathOf(IReadOnlyList<RunSpec> members)
    {
        if (Sweep is null) return new RunGroup(members[0], members.Select(m => m.Seed).ToArray()).CheckpointPath;
        if (members.Count == Specs.Count()) return CheckpointPath;
        var digest = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(string.Join("\n", members.Select(Runner.RunDirectory)))))[..8].ToLowerInvariant();
        return Path.Combine(Folder, $"group{SweepTag}-members-{digest}.checkpoint.bin");
    }

    /// <summary>"0,1,2,3,4": how <c>inspo train --seeds</c> takes the members.</summary>
    public string SeedList => string.Join(",", Seeds.Select(s => s.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A short name for progress lines: env/dataset/algorithm{-name=value…} seeds a–b (a sweep: its name=values).</summary>
    public string Label => Sweep is null
        ? $"{Runner.EnvironmentLabel(Template.Env)}/{Runner.DatasetLabel(Template.Dataset)}/{Path.GetFileName(Folder)} seeds {SeedList}"
        : $"{Runner.EnvironmentLabel(Template.Env)}/{Runner.DatasetLabel(Template.Dataset)}/{Template.Algorithm} {Sweep.Text} seeds {SeedList}";

    /// <summary>The arguments of the <c>inspo</c> command that trains this group (after the program).</summary>
    public IReadOnlyList<string> TrainArguments()
    {
        var args = new List<string>
        {
            "train", "--env", Template.Env, "--dataset", Template.Dataset, "--algo", Template.Algorithm, "--seeds", SeedList,
            "--profile", Template.Profile, "--device", Template.Device, "--resume",
        };
        if (Template.OutputRoot is not null) args.AddRange(new[] { "--out", Template.OutputRoot });
        if (Sweep is not null) args.AddRange(new[] { "--sweep", Sweep.Text });
        foreach (var (k, v) in (Template.Hyperparameters ?? new Dictionary<string, double>()).Where(kv => kv.Key != Sweep?.Name).OrderBy(kv => kv.Key, StringComparer.Ordinal))
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
