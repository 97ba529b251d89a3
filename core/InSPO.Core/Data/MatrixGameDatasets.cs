using System.Text.Json.Nodes;
using InSPO.Envs;

namespace InSPO.Data;

/// <summary>
/// Generates a matrix game's named datasets (XOR (a)(b)(c), M-NE balanced / imbalanced, or any a game
/// file defines) by playing the repeated game with the dataset's behaviour policy, in AlberDICE's
/// layout: <c>episodes</c> × <c>steps</c> joint actions, each drawn independently.
/// </summary>
public static class MatrixGameDatasets
{
    /// <summary>Records the dataset in memory. The same seed gives the same bytes.</summary>
    public static EpisodeDataset Record(MatrixGame game, string datasetName, int episodes, int steps, int seed)
    {
        if (episodes < 1) throw new ArgumentException($"episodes = {episodes} must be at least 1");
        var definition = game.Dataset(datasetName);
        var env = new MatrixGameEnv(game, steps);
        return EpisodeRecorder.Record(env, ctx =>
        {
            var joint = new int[game.Agents.Length];
            definition.Sample(game, ctx.Random, joint);
            return joint;
        }, episodes, seed);
    }

    /// <summary>Records the dataset and saves it atomically to <paramref name="folder"/>.</summary>
    public static EpisodeDataset Generate(MatrixGame game, string datasetName, int episodes, int steps, int seed, string folder)
    {
        var data = Record(game, datasetName, episodes, steps, seed);
        var generator = new JsonObject
        {
            ["name"] = "matrix-game",
            ["game"] = game.Name,
            ["dataset"] = datasetName,
            ["description"] = game.Dataset(datasetName).Description,
            ["episodes"] = episodes,
            ["steps"] = steps,
        };
        DatasetStore.Save(folder, data, generator, seed);
        return data;
    }
}
