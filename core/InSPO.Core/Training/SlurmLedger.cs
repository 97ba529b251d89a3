using System.Globalization;
using System.Text;
using System.Text.Json;

namespace InSPO.Training;

/// <summary>
/// What was submitted to Slurm for one experiment, kept in <c>RUNS/slurm/{experiment}.json</c>: the experiment's
/// groups (every one, finished or not, so <c>inspo status</c> can count its cells) and each submission (job id,
/// script, Slurm's output pattern, which group each array task trains). Rewritten atomically after each submission.
/// The run folders stay the truth about what finished; the ledger only says where to look in the queue.
/// </summary>
public sealed record SlurmLedger(string Experiment, string? Target, IReadOnlyList<SlurmLedger.Group> Groups, IReadOnlyList<SlurmLedger.Submission> Submissions)
{
    /// <summary>A group as submitted: its label, cell folder (holding seed{k}/), seeds and log.</summary>
    public sealed record Group(string Label, string Folder, IReadOnlyList<int> Seeds, string Log)
    {
        public static Group Of(RunGroup g) => new(g.Label, Path.GetFullPath(g.Folder), g.Seeds.ToList(), Path.GetFullPath(g.LogPath));

        /// <summary>Whether a seed's record exists (records are written atomically: a record is a finished run).</summary>
        public bool Finished(int seed) => File.Exists(Path.Combine(Folder, $"seed{seed.ToString(CultureInfo.InvariantCulture)}", RunRecord.FileName));

        public bool Same(string folder, IReadOnlyList<int> seeds) => folder == Folder && seeds.SequenceEqual(Seeds);
    }

    /// <summary>Array task <paramref name="Index"/> trains the group of this folder and these seeds.</summary>
    public sealed record Task(int Index, string Folder, IReadOnlyList<int> Seeds);

    /// <summary>One sbatch: the job id, when, the script, Slurm's output pattern (%A job, %a task) and the tasks.</summary>
    public sealed record Submission(string Job, DateTime SubmittedUtc, string Script, string Output, IReadOnlyList<Task> Tasks)
    {
        /// <summary>Slurm's output file of one task (the pattern with %A and %a filled in, %% as %).</summary>
        public string OutputOf(Task task)
        {
            var text = new StringBuilder();
            for (int i = 0; i < Output.Length; i++)
            {
                if (Output[i] != '%' || i + 1 == Output.Length) { text.Append(Output[i]); continue; }
                char c = Output[++i];
                text.Append(c switch
                {
                    'A' => Job,
                    'a' => task.Index.ToString(CultureInfo.InvariantCulture),
                    '%' => "%",
                    _ => "%" + c,
                });
            }
            return text.ToString();
        }
    }

    /// <summary>The folder of the ledgers, scripts and Slurm's output under a runs folder.</summary>
    public static string FolderOf(string runsRoot) => Path.Combine(Path.GetFullPath(runsRoot), "slurm");

    /// <summary>The ledger file of an experiment.</summary>
    public static string PathOf(string runsRoot, string experiment) => Path.Combine(FolderOf(runsRoot), experiment + ".json");

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The ledger at <paramref name="path"/>, or null when there is none; a malformed one is an
    /// <see cref="InvalidDataException"/> naming the file.</summary>
    public static SlurmLedger? Load(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<SlurmLedger>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"{path}: empty Slurm ledger");
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a Slurm ledger ({e.Message})"); }
    }

    /// <summary>Every ledger under a runs folder, by experiment name.</summary>
    public static IReadOnlyList<SlurmLedger> All(string runsRoot)
    {
        var folder = FolderOf(runsRoot);
        if (!Directory.Exists(folder)) return Array.Empty<SlurmLedger>();
        return Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal).Select(p => Load(p)!).ToList();
    }

    /// <summary>Writes the ledger (temp file + rename: a reader never sees half of it).</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Json));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The latest submission holding the group, and its task there; null when it was never submitted.</summary>
    public (Submission Submission, Task Task)? LastTaskOf(Group group)
    {
        for (int i = Submissions.Count - 1; i >= 0; i--)
            foreach (var task in Submissions[i].Tasks)
                if (group.Same(task.Folder, task.Seeds)) return (Submissions[i], task);
        return null;
    }

    /// <summary>Whether <paramref name="name"/> (what the user typed after <c>inspo status RUNS</c>) names this
    /// experiment: its name, a start of it (table2 → table2_mne and table2_mne_tuned), or the target that
    /// submitted it (fig5 → fig5a_mne_entropy).</summary>
    public bool Matches(string name) =>
        Experiment.StartsWith(name, StringComparison.OrdinalIgnoreCase) || string.Equals(Target, name, StringComparison.OrdinalIgnoreCase);
}
