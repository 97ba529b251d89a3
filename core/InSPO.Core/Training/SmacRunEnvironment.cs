using InSPO.Actors;
using InSPO.Algorithms;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Envs.Smac;
using static TorchSharp.torch;

namespace InSPO.Training;

/// <summary>
/// SMAC-lite (SPEC 5.3) as the runner sees it: environment "smac:MAP" (a built-in map or a .json map file).
/// Datasets: a dataset folder (the project's format: collected, or imported), or the name of a scripted policy
/// ("focus-fire", "attack-nearest", "random"), whose <see cref="ScriptedEpisodes"/> episodes are collected from the
/// dataset seed. Evaluation as CFCQL and PyMARL test: greedy actions, reporting "win_rate" beside the return and
/// episode length (SPEC 4: 32 episodes at every profile).
/// </summary>
public sealed class SmacRunEnvironment : RunEnvironment
{
    /// <summary>The prefix of SMAC-lite environment names.</summary>
    public const string Prefix = "smac:";

    /// <summary>Episodes of a dataset named by a scripted policy.</summary>
    public const int ScriptedEpisodes = 1000;

    public SmacRunEnvironment(SmacMap map) => Map = map;

    public SmacMap Map { get; }

    public override EnvSpec Spec => new SmacEnv(Map).Spec;

    /// <summary>"smac:5m_vs_6m" → the map; null when <paramref name="env"/> is not a SMAC-lite name.</summary>
    public static SmacRunEnvironment? TryResolve(string env) =>
        env.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? new SmacRunEnvironment(SmacMaps.Get(env[Prefix.Length..])) : null;

    protected override EpisodeDataset Named(string dataset, int datasetSeed) =>
        ScriptedDataset(Map, ScriptedPolicies.ByName(dataset), ScriptedEpisodes, datasetSeed);

    /// <summary>Episodes of a scripted policy collected through the rollout loop (8 environments stepped together).</summary>
    public static EpisodeDataset ScriptedDataset(SmacMap map, ISmacPolicy policy, int episodes, int seed, IProgress<int>? progress = null)
    {
        var env = VectorEnv.Of(Math.Clamp(episodes, 1, 8), () => new SmacEnv(map), threads: 1);
        var actor = new ScriptedSmacActor(policy, env.Count, e => EpisodeSeeds.Policy(seed, e));
        return Collector.Collect(env, actor, new RolloutOptions { Episodes = episodes, Seed = seed, Choice = ActionChoice.Greedy, Progress = progress });
    }

    /// <summary>SMAC-lite budgets, in updates on batches of whole episodes (<see cref="InSPO.Nets.AgentNetworks.EpisodeBatch"/>:
    /// 8 smoke, 32 quick, 128 paper). The CFCQL code trains until 1e7 filled steps of data are consumed at 128
    /// episodes per batch (notes, smac-datasets.md): 1e7 / (128 × mean episode length) ≈ 2 800 updates on 5m_vs_6m
    /// (≈ 28 steps per episode), ≈ 1 400 on 2s3z (≈ 55), ≈ 400 on 3s_vs_5z (≈ 200). Paper: 1 000 behaviour-model
    /// updates, then 4 000 — at least the code's consumption on every map. Quick: <see cref="QuickBehaviourSteps"/> +
    /// <see cref="QuickSteps"/> at 32 episodes, chosen on a learning curve: InSPO on 5m_vs_6m mixed (seed 0, 32 greedy
    /// episodes every 250 steps, behaviour phase included) won 0, 0, .38, .44, .97, 1.0 at 250 … 1500 steps, where
    /// 1000 steps would stop it halfway. Smoke as every environment.</summary>
    public override Profile Budget(Profile profile) => profile.Name switch
    {
        "quick" => profile with { BehaviourSteps = QuickBehaviourSteps, Steps = QuickSteps },
        "paper" => profile with { BehaviourSteps = PaperBehaviourSteps, Steps = PaperSteps },
        _ => profile,
    };

    public const int QuickBehaviourSteps = 300, QuickSteps = 1200, PaperBehaviourSteps = 1000, PaperSteps = 4000;

    public override Evaluation Evaluate(InSPO.Actors.IDecentralisedPolicy learner, int episodes, int seed, Device device) =>
        Evaluator.Evaluate(learner, () => new SmacEnv(Map), episodes, seed, device, choice: ActionChoice.Greedy);
}
