using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using InSPO.Envs;

namespace InSPO.Data;

/// <summary>One stored field of a dataset: its .npy file (a plain name inside the dataset folder),
/// dtype, shape and the SHA-256 of the whole file (lower-case hex).</summary>
public sealed record DatasetField(string File, string Dtype, long[] Shape, string Sha256);

/// <summary>
/// The <c>manifest.json</c> of a stored dataset (SPEC 6): which environment, which generator
/// with which parameters and seed, how many episodes and slots, and one entry per field. It holds
/// no timestamps or paths, so the same data and seed always give the same bytes.
/// </summary>
public sealed class DatasetManifest
{
    /// <summary>The format tag this build writes. Format 2 added the field <c>truncated</c> and the key
    /// <c>time_limits</c>; format 1 (no <c>truncated</c>: time-outs stored as terminated) still loads.</summary>
    public const string CurrentFormat = "inspo-dataset/2";

    /// <summary>The first format, read as time-outs stored as terminated.</summary>
    public const string FormatWithoutTruncation = "inspo-dataset/1";

    /// <summary>How the data marks time-outs ("time_limits": "truncated" or "terminated").</summary>
    public TimeLimitConvention TimeLimits { get; }

    public string Format { get; }
    public EnvSpec Environment { get; }

    /// <summary>Free-form description of how the data was made (name + parameters), as the caller gave it.</summary>
    public JsonObject Generator { get; }

    public int? Seed { get; }
    public int Episodes { get; }
    public int Steps { get; }

    /// <summary>Fields by name, in the order they are written.</summary>
    public IReadOnlyDictionary<string, DatasetField> Fields { get; }

    public DatasetManifest(string format, EnvSpec environment, JsonObject generator, int? seed,
                           int episodes, int steps, IEnumerable<KeyValuePair<string, DatasetField>> fields,
                           TimeLimitConvention timeLimits = TimeLimitConvention.Truncated)
    {
        Format = format;
        TimeLimits = timeLimits;
        Environment = environment;
        // A JsonNode has one parent: keep our own copy so the caller's object stays usable.
        Generator = (JsonObject)generator.DeepClone();
        Seed = seed;
        Episodes = episodes;
        Steps = steps;
        var ordered = new Dictionary<string, DatasetField>();
        foreach (var (name, field) in fields) ordered.Add(name, field);
        Fields = ordered;
    }

    // Relaxed escaping keeps dtypes readable ("<f4", not "\u003Cf4"); the file is data, not HTML.
    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The manifest as UTF-8 JSON with snake_case keys, two-space indent, "\n" line ends.</summary>
    public byte[] ToJsonBytes()
    {
        var fields = new JsonObject();
        foreach (var (name, f) in Fields)
            fields[name] = new JsonObject
            {
                ["file"] = f.File,
                ["dtype"] = f.Dtype,
                ["shape"] = new JsonArray(f.Shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["sha256"] = f.Sha256,
            };
        var root = new JsonObject
        {
            ["format"] = Format,
            ["environment"] = new JsonObject
            {
                ["name"] = Environment.Name,
                ["agents"] = Environment.Agents,
                ["actions"] = Environment.Actions,
                ["observation_size"] = Environment.ObservationSize,
                ["state_size"] = Environment.StateSize,
                ["episode_limit"] = Environment.EpisodeLimit,
            },
            ["generator"] = Generator.DeepClone(),
            ["seed"] = Seed is int s ? JsonValue.Create(s) : null,
            ["time_limits"] = TimeLimitName(TimeLimits),
            ["episodes"] = Episodes,
            ["steps"] = Steps,
            ["fields"] = fields,
        };
        return Encoding.UTF8.GetBytes(root.ToJsonString(WriteOptions) + "\n");
    }

    /// <summary>
    /// Parses and checks a manifest: JSON syntax, the format tag, every key's presence and type,
    /// positive sizes and steps = episode_limit + 1. <paramref name="source"/> prefixes every
    /// message, e.g. "dataset data/xor-a: manifest.json".
    /// </summary>
    public static DatasetManifest Parse(string json, string source)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false }); }
        catch (JsonException e) { throw new DatasetFormatException($"{source}: malformed JSON: {e.Message}"); }
        if (node is not JsonObject root) throw new DatasetFormatException($"{source}: malformed: the top level is not a JSON object");

        var format = String(root, "format", source);
        if (format != CurrentFormat && format != FormatWithoutTruncation)
            throw new DatasetFormatException($"{source}: unknown format '{format}' (this build reads {CurrentFormat} and {FormatWithoutTruncation})");
        var timeLimits = TimeLimitConvention.StoredAsTerminated;
        if (format == CurrentFormat)
        {
            var name = String(root, "time_limits", source);
            timeLimits = name switch
            {
                "truncated" => TimeLimitConvention.Truncated,
                "terminated" => TimeLimitConvention.StoredAsTerminated,
                _ => throw new DatasetFormatException($"{source}: invalid 'time_limits': '{name}' (expected \"truncated\" or \"terminated\")"),
            };
        }

        var env = Object(root, "environment", source);
        var spec = new EnvSpec(
            String(env, "name", source, "environment."),
            Int(env, "agents", source, 1, "environment."),
            Int(env, "actions", source, 1, "environment."),
            Int(env, "observation_size", source, 0, "environment."),
            Int(env, "state_size", source, 0, "environment."),
            Int(env, "episode_limit", source, 1, "environment."));
        var generator = Object(root, "generator", source);

        if (!root.TryGetPropertyValue("seed", out var seedNode))
            throw new DatasetFormatException($"{source}: missing key 'seed' (null when there is none)");
        int? seed = seedNode is null ? null : AsInt(seedNode, "seed", source, int.MinValue);

        var episodes = Int(root, "episodes", source, 0);
        var steps = Int(root, "steps", source, 2);
        if (steps != spec.EpisodeLimit + 1)
            throw new DatasetFormatException(
                $"{source}: steps {steps} disagrees with environment.episode_limit {spec.EpisodeLimit} (steps must be episode_limit + 1)");

        var fields = new List<KeyValuePair<string, DatasetField>>();
        foreach (var (name, value) in Object(root, "fields", source))
        {
            var path = $"fields.{name}.";
            if (value is not JsonObject f) throw new DatasetFormatException($"{source}: '{path.TrimEnd('.')}' is not an object");
            if (f["shape"] is not JsonArray dims)
                throw new DatasetFormatException($"{source}: missing or invalid '{path}shape' (expected an array of integers)");
            var shape = new long[dims.Count];
            for (var i = 0; i < dims.Count; i++)
                shape[i] = dims[i] is JsonValue v && v.TryGetValue<long>(out var d) && d >= 0
                    ? d
                    : throw new DatasetFormatException($"{source}: '{path}shape' holds a value that is not a non-negative integer");
            fields.Add(new(name, new DatasetField(String(f, "file", source, path), String(f, "dtype", source, path), shape, String(f, "sha256", source, path))));
        }
        return new DatasetManifest(format, spec, generator, seed, episodes, steps, fields, timeLimits);
    }

    /// <summary>The manifest's word for a convention.</summary>
    public static string TimeLimitName(TimeLimitConvention c) => c == TimeLimitConvention.Truncated ? "truncated" : "terminated";

    private static string String(JsonObject o, string key, string source, string prefix = "") =>
        o[key] is JsonValue v && v.TryGetValue<string>(out var s)
            ? s
            : throw new DatasetFormatException($"{source}: missing or invalid '{prefix}{key}' (expected a string)");

    private static JsonObject Object(JsonObject o, string key, string source) =>
        o[key] as JsonObject ?? throw new DatasetFormatException($"{source}: missing or invalid '{key}' (expected an object)");

    private static int Int(JsonObject o, string key, string source, int min, string prefix = "") =>
        o[key] is { } node
            ? AsInt(node, prefix + key, source, min)
            : throw new DatasetFormatException($"{source}: missing key '{prefix}{key}'");

    private static int AsInt(JsonNode node, string key, string source, int min) =>
        node is JsonValue v && v.TryGetValue<int>(out var i) && i >= min
            ? i
            : throw new DatasetFormatException($"{source}: invalid '{key}': {node.ToJsonString()} (expected {(min == int.MinValue ? "an integer" : $"an integer >= {min}")})");
}
