using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace InSPO.Training;

/// <summary>
/// The results record of one run (record.json in the run folder): config (spec, resolved options, profile
/// budget, the data's identity), seed, profile, device, metrics, final policy, wall and processor time, the machine
/// that took them, steps, commit. Written
/// atomically (temp file + rename), so a record on disk is always complete: its presence marks a finished cell.
/// </summary>
public static class RunRecord
{
    public const string FileName = "record.json";

    public static void Write(string path, RunResult result, JsonObject? options, Profile profile, int datasetSeed, string datasetIdentity)
    {
        var s = result.Spec;
        var hyper = new JsonObject();
        foreach (var (k, v) in (s.Hyperparameters ?? new Dictionary<string, double>()).OrderBy(kv => kv.Key, StringComparer.Ordinal)) hyper[k] = v;
        var metrics = new JsonObject();
        foreach (var (k, v) in result.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal)) metrics[k] = v;
        var policy = new JsonArray(result.FinalPolicy.Select(p => (JsonNode)new JsonArray(p.Select(x => (JsonNode)x).ToArray())).ToArray());
        var root = new JsonObject
        {
            ["env"] = s.Env,
            ["dataset"] = s.Dataset,
            ["algorithm"] = s.Algorithm,
            ["seed"] = s.Seed,
            ["profile"] = s.Profile,
            ["device_requested"] = s.Device,
            ["device"] = result.Device,
            ["hyperparameters"] = hyper,
            ["options"] = options,
            ["budget"] = JsonSerializer.SerializeToNode(profile),
            ["dataset_seed"] = datasetSeed,
            ["dataset_identity"] = datasetIdentity,
            ["metrics"] = metrics,
            ["final_policy"] = policy,
            ["wall_seconds"] = result.WallSeconds,
            ["cpu_seconds"] = result.CpuSeconds,
            ["resumed_at_step"] = result.ResumedAtStep,
            ["machine"] = result.Machine,
            ["steps"] = result.Steps,
            ["commit"] = result.Commit,
            ["finished_utc"] = DateTime.UtcNow.ToString("O"),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Whether the record at <paramref name="path"/> was made with these resolved options, this budget and
    /// this data (<see cref="RunEnvironment.DatasetIdentity"/>): a finished cell is reused only then, so a changed
    /// default, profile or dataset folder (run folders name a folder by its last name) never passes off an old
    /// result. A record of an older build holds no identity: it matches a named dataset (its name and seed
    /// determine the data), never a folder.</summary>
    public static bool SameConfiguration(string path, JsonObject? options, Profile profile, string datasetIdentity, bool datasetIsFolder)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))?.AsObject();
        var recorded = root?["dataset_identity"];
        bool sameData = recorded is null
            ? !datasetIsFolder
            : recorded is JsonValue v && v.TryGetValue<string>(out var identity) && identity == datasetIdentity;
        return root is not null && sameData
            && JsonNode.DeepEquals(root["options"], options)
            && JsonNode.DeepEquals(root["budget"], JsonSerializer.SerializeToNode(profile));
    }

    /// <summary>Renames a record (and the checkpoint beside it) that no longer matches its cell's configuration to
    /// <c>record.superseded-{UTC time}.json</c>, so a rerun never overwrites a finished result. Returns the new path.</summary>
    public static string SetAside(string path)
    {
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var aside = Path.Combine(dir, $"record.superseded-{stamp}.json");
        File.Move(path, aside);
        var checkpoint = Path.Combine(dir, "checkpoint.bin");
        if (File.Exists(checkpoint)) File.Move(checkpoint, Path.Combine(dir, $"checkpoint.superseded-{stamp}.bin"));
        return aside;
    }

    /// <summary>Reads a record back as the <see cref="RunResult"/> it was written from.</summary>
    public static RunResult Read(string path, RunSpec spec)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"run record {path}: empty");
        var metrics = root["metrics"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>());
        var policy = root["final_policy"]!.AsArray().Select(p => p!.AsArray().Select(x => x!.GetValue<double>()).ToArray()).ToArray();
        return new RunResult(spec, metrics, policy, root["wall_seconds"]!.GetValue<double>(), root["steps"]!.GetValue<long>(),
            root["device"]!.GetValue<string>(), root["commit"]?.GetValue<string>(), path)
        {
            CpuSeconds = root["cpu_seconds"]?.GetValue<double>(),
            ResumedAtStep = root["resumed_at_step"]?.GetValue<long>(),
            TimesCoverEveryProcess = root.ContainsKey("resumed_at_step"),
            Machine = root["machine"]?.GetValue<string>(),
        };
    }

    static string? _commit;
    static bool _commitRead;

    /// <summary>The git commit of the checkout this engine was built in (with "+dirty" when its tracked files have
    /// changed), or null outside git. Asked where the engine's assembly lies, not in the working directory: a run
    /// started from another folder (a queue's, a Slurm job's) still names the code that ran it.</summary>
    public static string? Commit()
    {
        if (_commitRead) return _commit;
        _commitRead = true;
        try
        {
            var built = Path.GetDirectoryName(typeof(RunRecord).Assembly.Location) is { Length: > 0 } d ? d : AppContext.BaseDirectory;
            string? Git(string args)
            {
                var psi = new ProcessStartInfo("git", $"-C \"{built}\" {args}") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                using var p = Process.Start(psi)!;
                var output = p.StandardOutput.ReadToEnd().Trim();
                p.WaitForExit(5000);
                return p.ExitCode == 0 ? output : null;
            }
            var head = Git("rev-parse HEAD");
            if (head is null) return null;
            var status = Git("status --porcelain --untracked-files=no");
            _commit = string.IsNullOrEmpty(status) ? head : head + "+dirty";
        }
        catch (Exception) { _commit = null; }
        return _commit;
    }
}
