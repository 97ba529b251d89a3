using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>Options of BC. Every default is named in <see cref="From"/>.</summary>
public sealed record BehaviourCloningOptions(int Hidden, double LearningRate, int BatchSize)
{
    public static readonly string[] Names = { "hidden", "lr" };

    /// <summary>hidden 256 (SPEC 3's policy size for games); lr 1e-3: SPEC is silent, CFCQL's BC uses 5e-4 over
    /// millions of steps, and the quick profile's few thousand steps need the faster rate (measured: the
    /// marginals are reached within a few hundred steps, see the report).</summary>
    public static BehaviourCloningOptions From(IReadOnlyDictionary<string, double>? hyper, InSPO.Training.Profile profile)
    {
        Learners.CheckKnown("bc", hyper, Names);
        return new((int)Learners.Get(hyper, "hidden", profile.Hidden), Learners.Get(hyper, "lr", 1e-3), profile.BatchSize);
    }
}

/// <summary>
/// Behaviour cloning (SPEC 8): per agent, minimise −log πⁱ(aⁱ|oⁱ) over dataset actions (the same loss
/// as InSPO's μⁱ, Eq. 21). Parameters are not shared between agents (SPEC 3's default for games).
/// </summary>
public sealed class BehaviourCloning : IOfflineLearner, IHasOptions
{
    readonly Mlp[] policies;
    readonly optim.Optimizer[] optimizers;
    readonly BehaviourCloningOptions options;
    readonly int agents;

    public BehaviourCloning(EnvSpec spec, BehaviourCloningOptions options, Device device, Generator init)
    {
        this.options = options;
        agents = spec.Agents;
        policies = Enumerable.Range(0, agents)
            .Select(i => new Mlp($"pi{i}", spec.ObservationSize, options.Hidden, spec.Actions, init, smallOutput: true))
            .ToArray();
        foreach (var p in policies) p.to(device);
        optimizers = policies.Select(p => (optim.Optimizer)optim.Adam(p.parameters(), options.LearningRate)).ToArray();
        Modules = policies.Select((p, i) => ($"pi{i}", (nn.Module)p)).ToArray();
        Optimizers = optimizers.Select((o, i) => ($"pi{i}", o)).ToArray();
    }

    public string Name => "bc";
    object IHasOptions.Options => options;
    public IReadOnlyList<(string Name, nn.Module Module)> Modules { get; }
    public IReadOnlyList<(string Name, optim.Optimizer Optimizer)> Optimizers { get; }

    public IReadOnlyList<KeyValuePair<string, double>> Step(long step, long totalSteps, DeviceEpisodeBuffer data, Generator generator)
    {
        var batch = data.SampleTransitions(options.BatchSize, generator);
        var losses = new List<KeyValuePair<string, double>>();
        for (int i = 0; i < agents; i++)
        {
            // Eq. 21: −E_D log πⁱ(aⁱ|oⁱ)
            var logp = MaskedCategorical.AgentLogProbs(policies[i], i, batch.Observations, batch.Available);
            var loss = -MaskedCategorical.Pick(logp, batch.Actions.select(1, i)).mean();
            optimizers[i].zero_grad();
            loss.backward();
            optimizers[i].step();
            losses.Add(new($"loss/bc{i}", loss.item<float>()));
        }
        return losses;
    }

    public Tensor Policy(Tensor observations, Tensor available) => MaskedCategorical.JointProbabilities(policies, observations, available);

    public void Dispose()
    {
        foreach (var p in policies) p.Dispose();
    }
}
