using System.Security.Cryptography;
using System.Text.Json.Nodes;
using InSPO.Envs;

namespace InSPO.Data;

/// <summary>A dataset as loaded from disk: its manifest and its episodes.</summary>
public sealed record StoredDataset(DatasetManifest Manifest, EpisodeDataset Data);

/// <summary>
/// The project's on-disk dataset format (SPEC 6): a folder with <c>manifest.json</c> and one NumPy
/// .npy file per field, readable from Python with <c>numpy.load</c> alone.
/// <list type="table">
/// <item><term>obs</term><description>(E, T1, N, O) &lt;f4</description></item>
/// <item><term>state</term><description>(E, T1, S) &lt;f4</description></item>
/// <item><term>actions</term><description>(E, T1, N) &lt;i4</description></item>
/// <item><term>avail_actions</term><description>(E, T1, N, A) |u1</description></item>
/// <item><term>reward</term><description>(E, T1) &lt;f4</description></item>
/// <item><term>terminated</term><description>(E, T1) |u1</description></item>
/// <item><term>filled</term><description>(E, T1) |u1</description></item>
/// <item><term>truncated</term><description>(E, T1) |u1 (format 2; a format-1 dataset loads with none, its
/// time-outs being stored as terminated)</description></item>
/// <item><term>battle_won</term><description>(E) |u1, optional: whether each episode was won, where the
/// environment reports it (SMAC-lite)</description></item>
/// </list>
/// Saving is atomic and loading checks everything it can; every refusal is a one-line
/// <see cref="DatasetFormatException"/>.
/// </summary>
public static class DatasetStore
{
    public const string ManifestFile = "manifest.json";

    /// <summary>How one field is stored and where it lives in an <see cref="EpisodeDataset"/>.</summary>
    private sealed record FieldFormat(
        string Name, string Dtype,
        Func<EnvSpec, long, long, long[]> Shape, // (environment, episodes, steps) → shape
        Func<EpisodeDataset, long[], NpyArray> ToNpy,
        bool SinceFormat2 = false,     // absent from format-1 datasets
        Func<EpisodeDataset, bool>? WrittenWhen = null);   // an optional field: written only when the data have it

    // The order here is the order in the manifest.
    private static readonly FieldFormat[] Formats =
    [
        new("obs", "<f4", (env, e, t) => [e, t, env.Agents, env.ObservationSize],
            (d, s) => new NpyArray(d.Observations, s)),
        new("state", "<f4", (env, e, t) => [e, t, env.StateSize],
            (d, s) => new NpyArray(d.States, s)),
        new("actions", "<i4", (env, e, t) => [e, t, env.Agents],
            (d, s) => new NpyArray(d.Actions, s)),
        new("avail_actions", "|u1", (env, e, t) => [e, t, env.Agents, env.Actions],
            (d, s) => NpyArray.BoolsAsBytes(d.AvailableActions, s)),
        new("reward", "<f4", (_, e, t) => [e, t], (d, s) => new NpyArray(d.Rewards, s)),
        new("terminated", "|u1", (_, e, t) => [e, t], (d, s) => NpyArray.BoolsAsBytes(d.Terminated, s)),
        new("filled", "|u1", (_, e, t) => [e, t], (d, s) => NpyArray.BoolsAsBytes(d.Filled, s)),
        new("truncated", "|u1", (_, e, t) => [e, t], (d, s) => NpyArray.BoolsAsBytes(d.Truncated, s), SinceFormat2: true),
        new("battle_won", "|u1", (_, e, _) => [e], (d, s) => NpyArray.BoolsAsBytes(d.BattleWon!, s), SinceFormat2: true,
            WrittenWhen: d => d.BattleWon is not null),
    ];

    /// <summary>The fields every dataset of the current format has, in manifest order (optional ones follow).</summary>
    public static IReadOnlyList<string> FieldNames { get; } = Formats.Where(f => f.WrittenWhen is null).Select(f => f.Name).ToArray();

    // ------------------------------------------------------------------ saving

    /// <summary>
    /// Writes <paramref name="data"/> as a dataset folder. Everything goes into a hidden sibling
    /// folder first and is read back with the same checks as <see cref="Load"/>; only then does it
    /// take the final name, replacing an existing dataset there. A failure at any point leaves the
    /// previous dataset (if any) untouched and no temporary folder behind. Refuses to replace a
    /// non-empty folder that is not a dataset.
    /// </summary>
    /// <param name="folder">The dataset folder; its parent is created if needed.</param>
    /// <param name="data">The episodes; must pass every check of <see cref="Load"/>.</param>
    /// <param name="generator">How the data was made (e.g. {"name": "uniform", "epsilon": 0.1}); stored verbatim.</param>
    /// <param name="seed">The seed the data was generated from, or null (e.g. imported data).</param>
    public static void Save(string folder, EpisodeDataset data, JsonObject generator, int? seed)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(generator);
        var final = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        var parent = Path.GetDirectoryName(final) ?? throw new ArgumentException($"cannot save a dataset at the root '{final}'", nameof(folder));
        var name = Path.GetFileName(final);
        if (File.Exists(final))
            throw new IOException($"cannot save dataset {final}: a file of that name exists");
        if (Directory.Exists(final) && !File.Exists(Path.Combine(final, ManifestFile)) && Directory.EnumerateFileSystemEntries(final).Any())
            throw new IOException($"cannot save dataset {final}: the folder exists, is not empty and holds no {ManifestFile}; refusing to replace it");

        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{name}.tmp-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(temp);
            var fields = new List<KeyValuePair<string, DatasetField>>();
            foreach (var format in Formats)
            {
                if (format.WrittenWhen is { } written && !written(data)) continue;
                var file = format.Name + ".npy";
                var path = Path.Combine(temp, file);
                var array = format.ToNpy(data, format.Shape(data.Spec, data.Episodes, data.Steps));
                using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    Npy.Write(stream, array);
                    stream.Flush(flushToDisk: true);
                }
                fields.Add(new(format.Name, new DatasetField(file, array.Dtype, array.Shape, Sha256OfFile(path))));
            }
            var manifest = new DatasetManifest(DatasetManifest.CurrentFormat, data.Spec, generator, seed, data.Episodes, data.Steps, fields, data.TimeLimits);
            using (var stream = new FileStream(Path.Combine(temp, ManifestFile), FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(manifest.ToJsonBytes());
                stream.Flush(flushToDisk: true);
            }

            // Read back what is on disk before it takes the final name: a dataset that would not
            // load (bad values, a short write) never replaces a good one.
            LoadChecked(temp, $"cannot save dataset {final}");
            SwapInto(temp, final);
        }
        catch
        {
            TryDeleteDirectory(temp);
            throw;
        }
    }

    /// <summary>Renames <paramref name="temp"/> to <paramref name="final"/>, moving an existing one aside first.</summary>
    private static void SwapInto(string temp, string final)
    {
        if (!Directory.Exists(final))
        {
            Directory.Move(temp, final);
            return;
        }
        // Two renames: the final name is briefly absent, but never names a half-written dataset.
        var old = Path.Combine(Path.GetDirectoryName(final)!, $".{Path.GetFileName(final)}.old-{Guid.NewGuid():N}");
        Directory.Move(final, old);
        try { Directory.Move(temp, final); }
        catch
        {
            Directory.Move(old, final);
            throw;
        }
        TryDeleteDirectory(old);
    }

    // ------------------------------------------------------------------ loading

    /// <summary>Reads only the manifest (for "inspo dataset info"), checking its syntax and keys.</summary>
    public static DatasetManifest ReadManifest(string folder)
    {
        var label = $"dataset {folder}";
        if (!Directory.Exists(folder)) throw new DatasetFormatException($"{label}: folder does not exist");
        var path = Path.Combine(folder, ManifestFile);
        if (!File.Exists(path)) throw new DatasetFormatException($"{label}: {ManifestFile} is missing");
        return DatasetManifest.Parse(File.ReadAllText(path), $"{label}: {ManifestFile}");
    }

    /// <summary>
    /// Loads and validates a dataset folder: the manifest; every field present with the format's
    /// dtype and a shape that agrees with the episode count, steps and environment sizes; each file's
    /// header agreeing with the manifest; checksums; and the values (see
    /// <see cref="EpisodeDataset.FindValueProblem"/>). The first problem found is thrown.
    /// </summary>
    public static StoredDataset Load(string folder) => LoadChecked(folder, $"dataset {folder}");

    private static StoredDataset LoadChecked(string folder, string label)
    {
        if (!Directory.Exists(folder)) throw new DatasetFormatException($"{label}: folder does not exist");
        var manifestPath = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifestPath)) throw new DatasetFormatException($"{label}: {ManifestFile} is missing");
        var manifest = DatasetManifest.Parse(File.ReadAllText(manifestPath), $"{label}: {ManifestFile}");

        var arrays = new Dictionary<string, NpyArray>();
        foreach (var format in Formats)
        {
            var where = $"{label}: field '{format.Name}'";
            if (format.SinceFormat2 && manifest.Format == DatasetManifest.FormatWithoutTruncation) continue;
            if (format.WrittenWhen is not null && !manifest.Fields.ContainsKey(format.Name)) continue;
            if (!manifest.Fields.TryGetValue(format.Name, out var entry))
                throw new DatasetFormatException($"{label}: field '{format.Name}' is missing from {ManifestFile}");
            if (entry.Dtype != format.Dtype)
                throw new DatasetFormatException($"{where}: {ManifestFile} gives dtype {entry.Dtype}, the format stores {format.Dtype}");
            var expected = format.Shape(manifest.Environment, manifest.Episodes, manifest.Steps);
            if (!entry.Shape.SequenceEqual(expected))
                throw new DatasetFormatException(
                    $"{where}: {ManifestFile} gives shape {Npy.FormatShape(entry.Shape)}, but episodes {manifest.Episodes}, steps {manifest.Steps} " +
                    $"and the environment sizes need {Npy.FormatShape(expected)}");
            // Field files live in the dataset folder: a path elsewhere is a malformed manifest.
            if (entry.File.Length == 0 || entry.File != Path.GetFileName(entry.File) || entry.File is "." or "..")
                throw new DatasetFormatException($"{where}: file name '{entry.File}' is not a plain file name");
            var path = Path.Combine(folder, entry.File);
            if (!File.Exists(path)) throw new DatasetFormatException($"{where}: file {entry.File} is missing");

            // Header first (cheap, and the most specific message), then the data, then the checksum
            // in a second pass over the file: memory stays at one copy of the array.
            using var stream = File.OpenRead(path);
            var header = Npy.ReadHeader(stream, path);
            if (header.Dtype != entry.Dtype)
                throw new DatasetFormatException($"{where}: {entry.File} has dtype {header.Dtype}, {ManifestFile} says {entry.Dtype}");
            if (!header.Shape.SequenceEqual(entry.Shape))
                throw new DatasetFormatException($"{where}: {entry.File} has shape {Npy.FormatShape(header.Shape)}, {ManifestFile} says {Npy.FormatShape(entry.Shape)}");
            stream.Position = 0;
            var array = Npy.Read(stream, path);
            stream.Position = 0;
            var sha = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (!string.Equals(sha, entry.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new DatasetFormatException($"{where}: checksum mismatch: {entry.File} has sha256 {sha}, {ManifestFile} says {entry.Sha256}");
            arrays[format.Name] = array;
        }

        EpisodeDataset data;
        try
        {
            data = new EpisodeDataset(
                manifest.Environment, manifest.Episodes,
                (float[])arrays["obs"].Data, (float[])arrays["state"].Data, (int[])arrays["actions"].Data,
                arrays["avail_actions"].ToBoolArray(), (float[])arrays["reward"].Data,
                arrays["terminated"].ToBoolArray(), arrays["filled"].ToBoolArray(),
                arrays.TryGetValue("truncated", out var truncated) ? truncated.ToBoolArray() : null)
            {
                TimeLimits = manifest.TimeLimits,
                BattleWon = arrays.TryGetValue("battle_won", out var won) ? won.ToBoolArray() : null,
            };
        }
        catch (DatasetFormatException e)
        {
            // A mask byte other than 0/1: the message already names the file and the element.
            throw new DatasetFormatException($"{label}: {e.Message}", e);
        }
        if (data.FindValueProblem() is { } problem)
            throw new DatasetFormatException($"{label}: {problem}");
        return new StoredDataset(manifest, data);
    }

    // ------------------------------------------------------------------ helpers

    private static string Sha256OfFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void TryDeleteDirectory(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
