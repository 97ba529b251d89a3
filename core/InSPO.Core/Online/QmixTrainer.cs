using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using InSPO.Actors;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Envs.Smac;
using InSPO.Runtime;
using InSPO.Training;
using static TorchSharp.torch;

namespace InSPO.Online;

/// <summary>What the QMIX loop reports while it runs.</summary>
public sealed record QmixProgress(long EnvironmentSteps, long TotalSteps, long Episodes, double Epsilon, double Loss, double? LastWinRate, TimeSpan Elapsed);

/// <summary>
/// The online QMIX loop on a SMAC-lite map (pymarl2's episode runner with 8 parallel environments): collect one
/// episode per environment with the ε-greedy policy through the rollout loop, add them to the replay buffer,
/// update once on a batch of episodes, copy the targets every 200 episodes, test 32 greedy episodes every 10 000
/// environment steps (win rate and return into <c>curve.csv</c> and TensorBoard) and save the networks every
/// 100 000 steps (<c>models/{steps}.bin</c>, what the dataset tiers load) and the best so far (<c>models/best.bin</c>:
/// the highest test win rate, ties broken by the test return). The run folder is
/// <c>{root}/qmix/{map}/seed{seed}/</c>; <c>checkpoint.bin</c> and <c>progress.json</c> let a killed run resume
/// from its networks, optimiser, generator and counters (with an empty replay buffer, which it refills before the
/// next update: resuming is not bit-identical to an uninterrupted run). A run may start from a saved model
/// (<c>initModel</c>: its networks and optimiser; counters, ε schedule, buffer and generator start afresh), kept in
/// the run as <c>models/init.bin</c> so that the run can be repeated from its start.
/// </summary>
public static class QmixTrainer
{
    public static string RunDirectory(string root, string map, int seed) => Path.Combine(root, "qmix", map, $"seed{seed}");

    /// <summary>The run's options (JSON) in its folder.</summary>
    public const string OptionsFile = "options.json";

    /// <summary>The networks, optimiser and generator of the last checkpoint, and the loop's counters.</summary>
    public const string CheckpointFile = "checkpoint.bin", ProgressFile = "progress.json";

    /// <summary>The folder the replay buffer is written to at <see cref="QmixOptions.ReplayAt"/>.</summary>
    public static string ReplayDataset(string runDirectory, long steps) => Path.Combine(runDirectory, $"replay-{steps}");

    /// <summary>The model a run started from, in its models folder (absent when it started from fresh weights).</summary>
    public const string InitModel = "init.bin";

    public static JsonObject Train(SmacMap map, QmixOptions o, int seed, string root, bool resume, string device = "cpu",
                                   IProgress<QmixProgress>? progress = null, string? initModel = null)
    {
        TorchRuntime.Initialize();
        var dev = TorchRuntime.ResolveDevice(device);
        if (dev.type == TorchSharp.DeviceType.CPU) set_num_threads(1);
        TorchRuntime.Seed(seed);
        var dir = RunDirectory(root, map.Name, seed);
        var checkpointPath = Path.Combine(dir, CheckpointFile);
        var progressPath = Path.Combine(dir, ProgressFile);
        bool resuming = resume && File.Exists(checkpointPath) && File.Exists(progressPath);
        // A missing start model is refused before anything is written: a typo must not leave a half-made run folder.
        if (!resuming && initModel is not null && !File.Exists(initModel))
            throw new FileNotFoundException($"qmix: no model to start from at {initModel}", initModel);
        Directory.CreateDirectory(Path.Combine(dir, "models"));

        var spec = new SmacEnv(map).Spec;
        // The options beside the models, so that a model loads into the networks it was saved from (Qmix.Load).
        File.WriteAllText(Path.Combine(dir, OptionsFile), JsonSerializer.Serialize(o, new JsonSerializerOptions { WriteIndented = true }));
        using var init = new Generator((ulong)seed, CPU);
        using var qmix = new Qmix(spec, o, dev, init);
        var state = new TrainerState(new Generator((ulong)seed + 0x5EED, dev));
        long episodes = 0, iteration = 0, lastTarget = 0, lastTest = long.MinValue / 2, lastSaved = 0;
        double bestWin = -1, bestReturn = double.NegativeInfinity;
        if (resuming)
        {
            Checkpoint.Load(checkpointPath, qmix, state);
            var p = JsonNode.Parse(File.ReadAllText(progressPath))!.AsObject();
            episodes = p["episodes"]!.GetValue<long>(); iteration = p["iteration"]!.GetValue<long>();
            lastTarget = p["last_target"]!.GetValue<long>(); lastTest = p["last_test"]!.GetValue<long>();
            lastSaved = p["last_saved"]!.GetValue<long>(); bestWin = p["best_win_rate"]!.GetValue<double>();
            bestReturn = p["best_return"]?.GetValue<double>() ?? double.NegativeInfinity;
        }
        else if (initModel is not null)
        {
            var kept = Path.Combine(dir, "models", InitModel);
            if (Path.GetFullPath(initModel) != Path.GetFullPath(kept)) File.Copy(initModel, kept, overwrite: true);
            // the networks and Adam moments only: a throwaway state takes the model's counters and generator
            Checkpoint.Load(kept, qmix, new TrainerState(new Generator(0, dev)));
        }
        var curve = new LearningCurve(Path.Combine(dir, LearningCurve.FileName), state.Step);
        var tb = utils.tensorboard.SummaryWriter(Path.Combine(dir, "tb"));
        using var buffer = new EpisodeReplayBuffer(spec, o.BufferEpisodes, dev);
        var envs = VectorEnv.Of(o.Environments, () => new SmacEnv(map), threads: 1);
        using var actor = new PolicyActor(qmix, spec, envs.Count, dev);
        var clock = Stopwatch.StartNew();
        double startSeconds = state.TrainingSeconds, loss = double.NaN;
        double? lastWin = null;

        JsonObject Save()
        {
            state.TrainingSeconds = startSeconds + clock.Elapsed.TotalSeconds;
            Checkpoint.Save(checkpointPath, qmix, state);
            var p = new JsonObject
            {
                ["episodes"] = episodes, ["iteration"] = iteration, ["last_target"] = lastTarget, ["last_test"] = lastTest,
                ["last_saved"] = lastSaved, ["best_win_rate"] = bestWin, ["best_return"] = double.IsFinite(bestReturn) ? bestReturn : null,
                ["environment_steps"] = state.Step,
            };
            File.WriteAllText(progressPath + ".tmp", p.ToJsonString());
            File.Move(progressPath + ".tmp", progressPath, overwrite: true);
            return p;
        }

        while (state.Step < o.TotalSteps)
        {
            if (state.Step - lastTest >= o.TestEvery)
            {
                // Test before collecting, so step 0 is on the curve too; the same test seeds every time.
                var test = Evaluator.Evaluate(qmix, () => new SmacEnv(map), o.TestEpisodes, Runner.EvaluationSeed(seed), dev, choice: ActionChoice.Greedy);
                curve.Append(state.Step, test.Metrics);
                foreach (var (k, v) in test.Metrics) tb.add_scalar("test/" + k, (float)v, (int)state.Step);
                lastWin = test.Metrics["win_rate"];
                lastTest = state.Step;
                // The best model: the highest test win rate, ties (as all zeros on a map not yet won) by the return.
                double testReturn = test.Metrics["return"];
                if (lastWin > bestWin || (lastWin == bestWin && testReturn > bestReturn))
                {
                    bestWin = lastWin.Value;
                    bestReturn = testReturn;
                    Checkpoint.Save(Path.Combine(dir, "models", "best.bin"), qmix, state);
                }
            }
            double epsilon = o.EpsilonAt(state.Step);
            int rolloutSeed = EpisodeSeeds.Policy(seed, (int)iteration);
            var data = Collector.Collect(envs, actor, new RolloutOptions
            {
                Episodes = o.Environments, Seed = rolloutSeed, Choice = ActionChoice.EpsilonGreedy, Epsilon = epsilon,
            }, out var summaries);
            buffer.Add(data);
            long before = state.Step;
            state.Step += data.TotalSteps();
            if (o.ReplayAt > 0 && before < o.ReplayAt && state.Step >= o.ReplayAt)
                DatasetStore.Save(ReplayDataset(dir, o.ReplayAt), buffer.ToDataset(), new JsonObject
                {
                    ["name"] = "qmix-replay", ["map"] = map.Name, ["seed"] = seed, ["environment_steps"] = state.Step,
                }, seed);
            episodes += data.Episodes;
            iteration++;
            tb.add_scalar("train/epsilon", (float)epsilon, (int)state.Step);
            tb.add_scalar("train/return", (float)summaries.Average(s => s.Return), (int)state.Step);

            if (buffer.Count >= o.BatchEpisodes)
                using (NewDisposeScope())
                {
                    var (l, qTotal) = qmix.Update(buffer.Sample(o.BatchEpisodes, state.Generator));
                    loss = TrainingDivergedException.ThrowIfNotFinite("loss/td", state.Step, l);
                    tb.add_scalar("loss/td", (float)l, (int)state.Step);
                    tb.add_scalar("train/q_total", (float)qTotal, (int)state.Step);
                }
            if (episodes - lastTarget >= o.TargetUpdateEpisodes)
            {
                qmix.UpdateTargets();
                lastTarget = episodes;
            }
            if (state.Step - lastSaved >= o.CheckpointEvery)
            {
                lastSaved = state.Step / o.CheckpointEvery * o.CheckpointEvery;
                Checkpoint.Save(Path.Combine(dir, "models", $"{lastSaved}.bin"), qmix, state);
                // The counters beside the model: a copy of both as checkpoint.bin + progress.json resumes the run from
                // this model (how the medium-replay tier refills a buffer from a committed model, SmacTiers).
                File.WriteAllText(Path.Combine(dir, "models", $"{lastSaved}.json"), Save().ToJsonString());
            }
            progress?.Report(new QmixProgress(state.Step, o.TotalSteps, episodes, epsilon, loss, lastWin,
                TimeSpan.FromSeconds(startSeconds + clock.Elapsed.TotalSeconds)));
        }
        var final = Evaluator.Evaluate(qmix, () => new SmacEnv(map), o.TestEpisodes, Runner.EvaluationSeed(seed), dev, choice: ActionChoice.Greedy);
        curve.Append(state.Step, final.Metrics);
        Checkpoint.Save(Path.Combine(dir, "models", $"{state.Step}.bin"), qmix, state);
        Save();
        var metrics = new JsonObject();
        foreach (var (k, v) in final.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal)) metrics[k] = v;
        var record = new JsonObject
        {
            ["map"] = map.Name, ["seed"] = seed, ["options"] = JsonSerializer.SerializeToNode(o), ["environment_steps"] = state.Step,
            ["episodes"] = episodes, ["final_test"] = metrics, ["best_test_win_rate"] = bestWin, ["training_seconds"] = state.TrainingSeconds,
            ["commit"] = RunRecord.Commit(),
        };
        if (File.Exists(Path.Combine(dir, "models", InitModel))) record["init_model"] = $"models/{InitModel}";
        File.WriteAllText(Path.Combine(dir, RunRecord.FileName), record.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return record;
    }
}
