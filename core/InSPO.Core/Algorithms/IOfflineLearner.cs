using InSPO.Data;
using InSPO.Envs;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// One offline MARL algorithm as the shared trainer and evaluator see it (DESIGN "the flow"): a gradient
/// step on the device buffer, the decentralised policy πⁱ(·|oⁱ), and the state a checkpoint must hold.
/// All randomness comes from the generator the trainer passes, so the trainer's checkpoint (modules,
/// optimisers, generator state, step) determines the rest of a run.
/// </summary>
public interface IOfflineLearner : IDisposable
{
    /// <summary>"inspo", "bc", ….</summary>
    string Name { get; }

    /// <summary>Every module whose parameters or buffers change during training (networks, target networks,
    /// log α), by a stable name: what a checkpoint saves.</summary>
    IReadOnlyList<(string Name, nn.Module Module)> Modules { get; }

    /// <summary>Every optimiser, by a stable name: a checkpoint saves their moments and step counts.</summary>
    IReadOnlyList<(string Name, optim.Optimizer Optimizer)> Optimizers { get; }

    /// <summary>One training step (0-based <paramref name="step"/> of <paramref name="totalSteps"/>). Returns the
    /// losses (and scalars worth logging) by name, already read back from the device. Runs inside the
    /// trainer's dispose scope.</summary>
    IReadOnlyList<KeyValuePair<string, double>> Step(long step, long totalSteps, DeviceEpisodeBuffer data, Generator generator);

    /// <summary>πⁱ(·|oⁱ) for every agent: <paramref name="observations"/> K × N × O, <paramref name="available"/>
    /// K × N × A → probabilities K × N × A (no gradient).</summary>
    Tensor Policy(Tensor observations, Tensor available);
}

/// <summary>A learner whose options record is written into its run record (Runner), as JSON.</summary>
public interface IHasOptions
{
    /// <summary>The options record the learner was built with.</summary>
    object Options { get; }
}

/// <summary>Builds learners by name.</summary>
public static class Learners
{
    /// <summary>The algorithm names <see cref="Create"/> knows.</summary>
    public static IReadOnlyList<string> Known { get; } = new[] { "inspo", "bc", "omar", "alberdice", "cfcql", "omiga" };

    /// <summary>Creates one of <see cref="Known"/> for an environment, with hyperparameter overrides by option name;
    /// every initial weight is drawn from <paramref name="init"/>.</summary>
    public static IOfflineLearner Create(string algorithm, EnvSpec spec, IReadOnlyDictionary<string, double>? hyper,
                                         InSPO.Training.Profile profile, Device device, Generator init) =>
        algorithm.ToLowerInvariant() switch
        {
            "inspo" => new Inspo(spec, InspoOptions.For(spec.Name, hyper, profile), device, init),
            "bc" => new BehaviourCloning(spec, BehaviourCloningOptions.From(hyper, profile), device, init),
            "omar" => new Omar(spec, OmarOptions.For(spec.Name, hyper, profile), device, init),
            "alberdice" => new AlberDice(spec, AlberDiceOptions.For(spec.Name, hyper, profile), device, init),
            "cfcql" => new Cfcql(spec, CfcqlOptions.For(spec.Name, hyper, profile), device, init),
            "omiga" => new Omiga(spec, OmigaOptions.For(spec.Name, hyper, profile), device, init),
            _ => throw new ArgumentException($"unknown algorithm '{algorithm}' (known: {string.Join(", ", Known)})"),
        };

    /// <summary>Reads an option, rejecting names the algorithm does not know (a typo must not pass silently).</summary>
    internal static double Get(IReadOnlyDictionary<string, double>? hyper, string name, double fallback) =>
        hyper is not null && hyper.TryGetValue(name, out var v) ? v : fallback;

    internal static void CheckKnown(string algorithm, IReadOnlyDictionary<string, double>? hyper, IEnumerable<string> known)
    {
        if (hyper is null) return;
        var set = known.ToHashSet();
        foreach (var key in hyper.Keys)
            if (!set.Contains(key))
                throw new ArgumentException($"{algorithm}: unknown hyperparameter '{key}' (known: {string.Join(", ", set.Order())})");
    }
}
