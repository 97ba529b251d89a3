using System.Text.Json;
using System.Text.Json.Nodes;

namespace InSPO.Envs;

/// <summary>
/// Reads an N-player matrix game from JSON, so researchers add games (climbing, penalty, …) without code:
/// <code>
/// { "name": "penalty", "agents": ["row", "column"],
///   "actions": [["a","b","c"], ["a","b","c"]],          // or one list shared by every agent
///   "rewards": [[10,0,-10],[0,2,0],[-10,0,10]],         // nested N deep, row-major
///   "datasets": { "uniform": { "behaviour": [[0.34,0.33,0.33],[0.34,0.33,0.33]] },
///                 "diagonal": { "support": [["a","a"],["b","b"],["c","c"]] } } }
/// </code>
/// Every problem is reported as one line naming the file and the offending entry.
/// </summary>
public static class MatrixGameFile
{
    public static MatrixGame Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"game file {path}: no such file", path);
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, AllowDuplicateProperties = false }); }
        catch (JsonException e) { throw Bad(path, $"not valid JSON ({e.Message.Split('\n')[0]})"); }
        if (root is not JsonObject obj) throw Bad(path, "expected a JSON object at the top level");
        try { return Parse(obj, Path.GetFileNameWithoutExtension(path)); }
        catch (ArgumentException e) { throw Bad(path, e.Message); }
    }

    public static MatrixGame Parse(JsonObject obj, string defaultName)
    {
        string name = OptionalString(obj["name"], "name") ?? defaultName;
        var agents = StringArray(obj["agents"], "agents");
        if (agents.Length == 0) throw new ArgumentException("'agents' is empty");

        var actionsNode = obj["actions"] ?? throw new ArgumentException("missing 'actions'");
        string[][] actions = actionsNode is JsonArray arr && arr.Count > 0 && arr[0] is JsonArray
            ? arr.Select((a, i) => StringArray(a, $"actions[{i}]")).ToArray()
            : Enumerable.Repeat(StringArray(actionsNode, "actions"), agents.Length).ToArray();
        if (actions.Length != agents.Length)
            throw new ArgumentException($"'actions' has {actions.Length} lists for {agents.Length} agents");

        var rewards = new List<double>();
        FlattenRewards(obj["rewards"] ?? throw new ArgumentException("missing 'rewards'"), agents, actions, 0, "rewards", rewards);

        var datasets = new List<MatrixDatasetDefinition>();
        if (obj["datasets"] is { } datasetsNode)
            foreach (var (dsName, node) in datasetsNode as JsonObject
                     ?? throw new ArgumentException($"'datasets': expected an object (dataset name: definition), found {Describe(datasetsNode)}"))
                datasets.Add(ParseDataset(dsName, node as JsonObject
                    ?? throw new ArgumentException($"'datasets.{dsName}': expected an object, found {Describe(node)}"), agents, actions));
        return new MatrixGame(name, agents, actions, rewards.ToArray(), datasets);
    }

    static void FlattenRewards(JsonNode node, string[] agents, string[][] actions, int depth, string where, List<double> into)
    {
        if (depth == agents.Length)
        {
            double r = node is JsonValue v && v.TryGetValue<double>(out var d) ? d
                : throw new ArgumentException($"{where}: expected a number, found {Describe(node)}");
            if (!double.IsFinite(r)) throw new ArgumentException($"{where}: reward {r} is not finite");
            into.Add(r);
            return;
        }
        if (node is not JsonArray arr)
            throw new ArgumentException($"{where}: expected a list of {actions[depth].Length} entries (actions of agent '{agents[depth]}'), found {Describe(node)}");
        if (arr.Count != actions[depth].Length)
            throw new ArgumentException($"{where}: has {arr.Count} entries, expected {actions[depth].Length} (actions of agent '{agents[depth]}')");
        for (int k = 0; k < arr.Count; k++)
            FlattenRewards(arr[k] ?? throw new ArgumentException($"{where}[{k}]: null"), agents, actions, depth + 1, $"{where}[{k}]", into);
    }

    static MatrixDatasetDefinition ParseDataset(string name, JsonObject node, string[] agents, string[][] actions)
    {
        string description = OptionalString(node["description"], $"datasets.{name}.description") ?? "";
        // A key of the wrong type is named, not mistaken for an absent one.
        if (node["support"] is { } supportNode and not JsonArray)
            throw new ArgumentException($"'datasets.{name}.support': expected a list of joint actions, found {Describe(supportNode)}");
        if (node["behaviour"] is { } behaviourNode and not JsonArray)
            throw new ArgumentException($"'datasets.{name}.behaviour': expected a list of per-agent probabilities, found {Describe(behaviourNode)}");
        if (node["support"] is JsonArray support)
        {
            var joints = support.Select((j, n) =>
            {
                var names = StringArray(j, $"datasets.{name}.support[{n}]");
                if (names.Length != agents.Length)
                    throw new ArgumentException($"datasets.{name}.support[{n}]: {names.Length} actions for {agents.Length} agents");
                return names.Select((a, i) =>
                {
                    int k = Array.IndexOf(actions[i], a);
                    return k >= 0 ? k : throw new ArgumentException(
                        $"datasets.{name}.support[{n}]: unknown action '{a}' for agent '{agents[i]}' (known: {string.Join(", ", actions[i])})");
                }).ToArray();
            }).ToArray();
            return new SupportDataset(name, description, joints);
        }
        if (node["behaviour"] is JsonArray behaviour)
        {
            var perAgent = behaviour.Select((p, i) => p is JsonArray probs
                ? probs.Select((x, k) => x is JsonValue v && v.TryGetValue<double>(out var d) ? d
                    : throw new ArgumentException($"datasets.{name}.behaviour[{i}][{k}]: expected a number, found {Describe(x)}")).ToArray()
                : throw new ArgumentException($"datasets.{name}.behaviour[{i}]: expected a list of probabilities, found {Describe(p)}")).ToArray();
            return new ProductDataset(name, description, perAgent);
        }
        throw new ArgumentException($"datasets.{name}: expected 'support' (joint actions) or 'behaviour' (per-agent probabilities)");
    }

    static string[] StringArray(JsonNode? node, string where) =>
        node is JsonArray arr
            ? arr.Select((x, i) => x is JsonValue v && v.TryGetValue<string>(out var s) ? s
                : throw new ArgumentException($"{where}[{i}]: expected a string, found {Describe(x)}")).ToArray()
            : throw new ArgumentException($"'{where}': expected a list of strings, found {Describe(node)}");

    /// <summary>An optional string key (absent or null: null); any other JSON type is an error naming the key.</summary>
    static string? OptionalString(JsonNode? node, string where) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new ArgumentException($"'{where}': expected a string, found {Describe(node)}"),
    };

    static string Describe(JsonNode? node) => node switch
    {
        null => "nothing",
        JsonArray a => $"a list of {a.Count}",
        JsonObject => "an object",
        _ => node.ToJsonString(),
    };

    static InvalidDataException Bad(string path, string problem) => new($"game file {path}: {problem}");
}
