using System.Text.Json;
using InSPO.Actors;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Envs.Smac;
using static TorchSharp.torch;

namespace InSPO.Online;

/// <summary>
/// The SMAC dataset tiers as the CFCQL authors made them (notes, smac-datasets.md): medium and expert are episodes
/// of a QMIX model (a partly trained one, the best one), played greedily — or with a little ε where greedy episodes
/// would repeat (OG-MARL used 0.05); medium-replay is a QMIX run's replay buffer written out when it reached medium
/// (<see cref="QmixOptions.ReplayAt"/>); mixed is medium[idx] then expert[idx] for one sorted set of indices.
/// </summary>
public static class SmacTiers
{
    /// <summary><paramref name="episodes"/> episodes of a saved QMIX model on <paramref name="map"/>, through the
    /// collector with 8 environments: greedy when <paramref name="epsilon"/> is 0, else ε-greedy.</summary>
    public static EpisodeDataset Collect(SmacMap map, string model, int episodes, int seed, double epsilon, Device device,
                                         IProgress<int>? progress = null)
    {
        var env = VectorEnv.Of(Math.Clamp(episodes, 1, 8), () => new SmacEnv(map), threads: 1);
        using var qmix = Qmix.Load(model, env.Spec, device);
        using var actor = new PolicyActor(qmix, env.Spec, env.Count, device);
        return Collector.Collect(env, actor, new RolloutOptions
        {
            Episodes = episodes, Seed = seed, Progress = progress,
            Choice = epsilon > 0 ? ActionChoice.EpsilonGreedy : ActionChoice.Greedy, Epsilon = epsilon,
        });
    }

    /// <summary>
    /// The medium-replay tier from a published models folder (<see cref="TierModels"/>): the replay buffer of the
    /// QMIX run when it reached the medium model's step M. <paramref name="fromStart"/>: the run again from step 0
    /// with the published options and seed (CFCQL's procedure; deterministic on CPU, so the same run); otherwise
    /// the run resumed from its model and counters a window before M (<c>replay-start</c>), whose buffer then holds
    /// the ε-greedy episodes of that window only (the quick profile: minutes instead of the hour to M on 3s_vs_5z).
    /// Runs under <c>{root}/qmix/{map}/seed{seed}</c>; a buffer already written there is read back. <paramref name="stopAt"/>
    /// writes the buffer at that step instead of M (smoke runs).
    /// </summary>
    public static EpisodeDataset MediumReplay(SmacMap map, string modelsFolder, string root, bool fromStart, Device device, long? stopAt = null)
    {
        long medium = stopAt ?? TierModels.MediumStep(modelsFolder);
        int seed = TierModels.Seed(modelsFolder);
        var published = JsonSerializer.Deserialize<QmixOptions>(File.ReadAllText(Path.Combine(modelsFolder, QmixTrainer.OptionsFile)))!;
        var options = published with { TotalSteps = medium, ReplayAt = medium, CheckpointEvery = long.MaxValue / 4 };
        var dir = QmixTrainer.RunDirectory(root, map.Name, seed);
        var replay = QmixTrainer.ReplayDataset(dir, medium);
        if (!File.Exists(Path.Combine(replay, DatasetStore.ManifestFile)))
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            Directory.CreateDirectory(dir);
            var start = Path.Combine(modelsFolder, "models", TierModels.ReplayStart);
            fromStart |= !File.Exists(start + ".bin"); // medium came within the window of the run's start
            if (!fromStart)
            {
                File.Copy(start + ".bin", Path.Combine(dir, QmixTrainer.CheckpointFile));
                File.Copy(start + ".json", Path.Combine(dir, QmixTrainer.ProgressFile));
            }
            var init = Path.Combine(modelsFolder, "models", QmixTrainer.InitModel);   // a run that started from a saved model
            QmixTrainer.Train(map, options, seed, root, resume: !fromStart, device.ToString(), initModel: fromStart && File.Exists(init) ? init : null);
        }
        return DatasetStore.Load(replay).Data;
    }

    /// <summary>CFCQL's mixed tier: one set of <paramref name="count"/> distinct indices drawn from the episodes both
    /// hold, sorted, then medium at those indices followed by expert at the same indices (2 × count episodes).</summary>
    public static EpisodeDataset Mixed(EpisodeDataset medium, EpisodeDataset expert, int count, int seed)
    {
        int available = Math.Min(medium.Episodes, expert.Episodes);
        if (count < 1 || count > available)
            throw new ArgumentException($"mixed: {count} episodes of each asked, the tiers hold {medium.Episodes} and {expert.Episodes}");
        var random = new Random(seed);
        var indices = Enumerable.Range(0, available).OrderBy(_ => random.Next()).Take(count).Order().ToArray();
        return EpisodeDataset.Concatenate(medium.Select(indices), expert.Select(indices));
    }
}
