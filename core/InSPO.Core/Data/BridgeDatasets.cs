using System.Text.Json.Nodes;
using InSPO.Envs;

namespace InSPO.Data;

/// <summary>
/// Generates Bridge datasets equivalent to AlberDICE's (SPEC 5.2), recorded with the datasets'
/// 50-step limit: <c>optimal</c> = the handcrafted policy, half the episodes with each agent
/// yielding (alternating); <c>mixed</c> = as many uniform-random episodes first, then that same
/// optimal set (AlberDICE's mix holds a byte-identical copy of its optimal buffer).
/// </summary>
public static class BridgeDatasets
{
    public static readonly string[] Names = { "optimal", "mixed" };

    public static EpisodeDataset Optimal(int episodes, int seed)
    {
        var policies = new[] { new BridgeHandcraftedPolicy(yielder: 1), new BridgeHandcraftedPolicy(yielder: 0) };
        return EpisodeRecorder.Record(new BridgeEnv(BridgeEnv.DatasetEpisodeLimit),
            ctx => policies[ctx.Episode % 2].Act(ctx.State, ctx.Random), episodes, seed);
    }

    public static EpisodeDataset UniformRandom(int episodes, int seed) =>
        EpisodeRecorder.Record(new BridgeEnv(BridgeEnv.DatasetEpisodeLimit),
            ctx => new[] { ctx.Random.Next(BridgeEnv.ActionCount), ctx.Random.Next(BridgeEnv.ActionCount) }, episodes, seed);

    /// <summary>Random episodes (seeded by seed + 1) followed by the optimal ones of <paramref name="seed"/>.</summary>
    public static EpisodeDataset Mixed(int episodesEach, int seed) =>
        EpisodeDataset.Concatenate(UniformRandom(episodesEach, seed + 1), Optimal(episodesEach, seed));

    public static EpisodeDataset Record(string name, int episodes, int seed) => name switch
    {
        "optimal" => Optimal(episodes, seed),
        "mixed" => Mixed(episodes / 2, seed),
        _ => throw new ArgumentException($"unknown Bridge dataset '{name}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>Records and saves atomically. For "mixed", <paramref name="episodes"/> is the total (half random).</summary>
    public static EpisodeDataset Generate(string name, int episodes, int seed, string folder)
    {
        var data = Record(name, episodes, seed);
        DatasetStore.Save(folder, data, new JsonObject { ["name"] = "bridge", ["dataset"] = name, ["episodes"] = episodes }, seed);
        return data;
    }
}
