using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using InSPO.Actors;
using InSPO.Envs.Smac;
using InSPO.Training;
using static TorchSharp.torch;

namespace InSPO.Online;

/// <summary>One saved model's greedy test: its step, win rate and return.</summary>
public sealed record ModelTest(long Step, double WinRate, double Return);

/// <summary>
/// The QMIX models a map's dataset tiers are collected from, as published beside the experiments
/// (<c>experiments/qmix_models/{map}</c>): <c>models/medium.bin</c>, <c>models/expert.bin</c>,
/// <c>models/replay-start.bin</c> + <c>.json</c> (the run's model and counters a window before medium, which the
/// medium-replay tier resumes from), <c>options.json</c>, the learning curve and <c>tiers.json</c> (which steps were
/// chosen and their tests).
/// <para>Medium has no rule in the CFCQL code (a "partly trained" checkpoint, notes); ours is one rule for every
/// map: the first saved model whose greedy win rate over <c>episodes</c> test episodes lies in [low, high]
/// (default [0.2, 0.45], inside the band [0.15, 0.5] the tier should land in after collection noise). Only models
/// from one checkpoint before the curve's first test at or above <c>low</c> are tested: the curve's 32 episodes
/// say where wins begin. Expert is the run's best model (highest test win rate, ties by return).</para>
/// </summary>
public static class TierModels
{
    public const string ChoiceFile = "tiers.json";
    public const string ReplayStart = "replay-start";

    /// <summary>Tests the run's saved models in step order from where the curve starts winning and returns the
    /// first in [low, high], with every model tested on the way.</summary>
    public static (ModelTest? Medium, IReadOnlyList<ModelTest> Tested) ChooseMedium(
        SmacMap map, string runDirectory, double low, double high, int episodes, Device device, Action<ModelTest>? tested = null)
    {
        var models = SavedModels(runDirectory);
        if (models.Count == 0) throw new FileNotFoundException($"{runDirectory}/models holds no saved models (models/STEP.bin)");
        var curve = LearningCurve.Read(Path.Combine(runDirectory, LearningCurve.FileName));
        long firstWinning = curve.Where(p => p.Metrics.GetValueOrDefault("win_rate") >= low).Select(p => p.Step).DefaultIfEmpty(long.MaxValue).First();
        int start = Math.Max(0, models.FindLastIndex(m => m.Step <= firstWinning) - 1);
        var results = new List<ModelTest>();
        foreach (var (step, path) in models.Skip(start))
        {
            var test = Test(map, path, episodes, device, step);
            results.Add(test);
            tested?.Invoke(test);
            if (test.WinRate >= low && test.WinRate <= high) return (test, results);
        }
        return (null, results);
    }

    /// <summary>A saved model's greedy test on <paramref name="episodes"/> episodes (the QMIX trainer's test seeds).</summary>
    public static ModelTest Test(SmacMap map, string model, int episodes, Device device, long step = -1)
    {
        var env = new SmacEnv(map);
        using var qmix = Qmix.Load(model, env.Spec, device);
        var e = Evaluator.Evaluate(qmix, () => new SmacEnv(map), episodes, 17, device, choice: ActionChoice.Greedy);
        return new ModelTest(step, e.Metrics["win_rate"], e.Metrics["return"]);
    }

    /// <summary>Publishes a finished QMIX run's tier models into <paramref name="folder"/>: medium by
    /// <see cref="ChooseMedium"/>, expert = <c>models/best.bin</c>, the replay start <paramref name="replayWindow"/>
    /// environment steps before medium (the saved model at or before that step, with its counters).</summary>
    public static JsonObject Publish(string runDirectory, string folder, double low, double high, int episodes,
                                     long replayWindow, Device device, Action<ModelTest>? tested = null)
    {
        if (replayWindow < 0) throw new ArgumentException($"replay window {replayWindow}: expected at least 0 steps");
        if (!(low <= high)) throw new ArgumentException($"medium band [{low}, {high}] is empty");
        var (map, seed) = FinishedRun(runDirectory);
        var (medium, all) = ChooseMedium(map, runDirectory, low, high, episodes, device, tested);
        if (medium is null)
            throw new ArgumentException(
                $"{runDirectory}: no saved model has a greedy win rate in [{low}, {high}] over {episodes} episodes " +
                $"(tested {string.Join(", ", all.Select(t => $"{t.Step}: {t.WinRate:F2}"))})");
        var models = SavedModels(runDirectory);
        var (replayStep, replayPath) = models.LastOrDefault(m => m.Step <= medium.Step - replayWindow);
        if (replayPath is null) (replayStep, replayPath) = (0, "");
        var best = Path.Combine(runDirectory, "models", "best.bin");
        var expert = Test(map, best, episodes, device);

        Directory.CreateDirectory(Path.Combine(folder, "models"));
        File.Copy(models.Single(m => m.Step == medium.Step).Path, Path.Combine(folder, "models", "medium.bin"), overwrite: true);
        File.Copy(best, Path.Combine(folder, "models", "expert.bin"), overwrite: true);
        if (replayPath != "")
        {
            File.Copy(replayPath, Path.Combine(folder, "models", ReplayStart + ".bin"), overwrite: true);
            File.Copy(Path.ChangeExtension(replayPath, ".json"), Path.Combine(folder, "models", ReplayStart + ".json"), overwrite: true);
        }
        // a run that started from a saved model needs it to be repeated from its start (SmacTiers.MediumReplay)
        var init = Path.Combine(runDirectory, "models", QmixTrainer.InitModel);
        if (File.Exists(init)) File.Copy(init, Path.Combine(folder, "models", QmixTrainer.InitModel), overwrite: true);
        foreach (var file in new[] { QmixTrainer.OptionsFile, LearningCurve.FileName })
            File.Copy(Path.Combine(runDirectory, file), Path.Combine(folder, file), overwrite: true);
        var choice = new JsonObject
        {
            ["map"] = map.Name,
            ["seed"] = seed,
            ["rule"] = $"medium: the first saved model with a greedy win rate in [{low}, {high}] over {episodes} test episodes; expert: the run's best model",
            ["medium"] = Node(medium),
            ["expert"] = Node(expert with { Step = Checkpoint.ReadStep(best) }),
            ["replay_start_step"] = replayStep,
            ["tested"] = new JsonArray(all.Select(t => (JsonNode)Node(t)).ToArray()),
        };
        File.WriteAllText(Path.Combine(folder, ChoiceFile), choice.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }));
        return choice;
    }

    /// <summary>The medium step recorded in a published folder's <c>tiers.json</c>.</summary>
    public static long MediumStep(string folder) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(folder, ChoiceFile)))!["medium"]!["step"]!.GetValue<long>();

    /// <summary>The seed of the published run.</summary>
    public static int Seed(string folder) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(folder, ChoiceFile)))!["seed"]?.GetValue<int>() ?? 0;

    /// <summary>The run's saved models <c>models/{step}.bin</c>, in step order.</summary>
    public static List<(long Step, string Path)> SavedModels(string runDirectory)
    {
        var dir = Path.Combine(runDirectory, "models");
        if (!Directory.Exists(dir)) return new();
        return Directory.GetFiles(dir, "*.bin")
            .Select(p => (Ok: long.TryParse(Path.GetFileNameWithoutExtension(p), NumberStyles.None, CultureInfo.InvariantCulture, out var s), Step: s, Path: p))
            .Where(m => m.Ok).Select(m => (m.Step, m.Path)).OrderBy(m => m.Step).ToList();
    }

    static (SmacMap Map, int Seed) FinishedRun(string runDirectory)
    {
        var path = Path.Combine(runDirectory, RunRecord.FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{runDirectory} is not a finished QMIX run (no {RunRecord.FileName})");
        var record = JsonNode.Parse(File.ReadAllText(path))!;
        return (SmacMaps.Get(record["map"]!.GetValue<string>()), record["seed"]!.GetValue<int>());
    }

    static JsonObject Node(ModelTest t) => new() { ["step"] = t.Step, ["win_rate"] = t.WinRate, ["return"] = t.Return };
}
