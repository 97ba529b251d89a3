using InSPO.Actors;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// One offline MARL algorithm as the shared trainer and evaluator see it (DESIGN "the flow"): a gradient
/// step on the device buffer, the decentralised policy πⁱ(·|τⁱ) (<see cref="IDecentralisedPolicy"/>, which the
/// evaluator drives through a <see cref="PolicyActor"/>), and the state a checkpoint must hold.
/// All randomness comes from the generator the trainer passes, so the trainer's checkpoint (modules,
/// optimisers, generator state, step) determines the rest of a run.
/// </summary>
public interface IOfflineLearner : ICheckpointable, IDecentralisedPolicy, IDisposable
{

    /// <summary>One training step (0-based <paramref name="step"/> of <paramref name="totalSteps"/>). Returns the
    /// losses (and scalars worth logging) by name, already read back from the device. Runs inside the
    /// trainer's dispose scope.</summary>
    IReadOnlyList<KeyValuePair<string, double>> Step(long step, long totalSteps, DeviceEpisodeBuffer data, Generator generator);
}

/// <summary>What a checkpoint saves of a learner (offline or online), besides the trainer's counters.</summary>
public interface ICheckpointable
{
    /// <summary>"inspo", "bc", "qmix", ….</summary>
    string Name { get; }

    /// <summary>Every module whose parameters or buffers change during training (networks, target networks,
    /// log α), by a stable name: what a checkpoint saves.</summary>
    IReadOnlyList<(string Name, nn.Module Module)> Modules { get; }

    /// <summary>Every optimiser, by a stable name: a checkpoint saves their moments and step counts.</summary>
    IReadOnlyList<(string Name, optim.Optimizer Optimizer)> Optimizers { get; }
}

/// <summary>A learner whose options record is written into its run record (Runner), as JSON.</summary>
public interface IHasOptions
{
    /// <summary>The options record the learner was built with.</summary>
    object Options { get; }
}

/// <summary>Builds learners by name. Adding an algorithm: its file (the learner, with its equations and choices in
/// the header), its options record, and one line in <see cref="Registry"/>.</summary>
public static class Learners
{
    delegate IOfflineLearner Factory(EnvSpec spec, IReadOnlyDictionary<string, double>? hyper, InSPO.Training.Profile profile, Device device, Generator init);

    /// <summary>Every algorithm: its name and how it is built from the environment, the overrides, the budget, the
    /// device and the initialisation generator.</summary>
    static readonly (string Name, Factory Create)[] Registry =
    {
        ("inspo", (s, h, p, d, g) => AgentNetworks.IsSmac(s)
            ? new InspoEpisodes(s, InspoOptions.For(s.Name, h, p), d, g)
            : new Inspo(s, InspoOptions.For(s.Name, h, p), d, g)),
        ("bc", (s, h, p, d, g) => new BehaviourCloning(s, BehaviourCloningOptions.For(s, h, p), d, g)),
        // SMAC-lite: the CFCQL code's episode learner (recurrent actor, TD(λ)); games and Bridge: the transition learner
        ("omar", (s, h, p, d, g) => AgentNetworks.IsSmac(s)
            ? new OmarEpisodes(s, OmarEpisodesOptions.For(s, h, p), d, g)
            : new Omar(s, OmarOptions.For(s.Name, h, p), d, g)),
        ("alberdice", (s, h, p, d, g) => new AlberDice(s, AlberDiceOptions.For(s.Name, h, p), d, g)),
        ("cfcql", (s, h, p, d, g) => AgentNetworks.IsSmac(s)
            ? new CfcqlEpisodes(s, CfcqlOptions.ForEpisodes(h, p), d, g) : new Cfcql(s, CfcqlOptions.For(s.Name, h, p), d, g)),
        ("omiga", (s, h, p, d, g) => new Omiga(s, OmigaOptions.For(s, h, p), d, g)),
    };

    /// <summary>The algorithm names <see cref="Create"/> knows.</summary>
    public static IReadOnlyList<string> Known { get; } = Registry.Select(r => r.Name).ToArray();

    /// <summary>Creates one of <see cref="Known"/> for an environment, with hyperparameter overrides by option name;
    /// every initial weight is drawn from <paramref name="init"/>.</summary>
    public static IOfflineLearner Create(string algorithm, EnvSpec spec, IReadOnlyDictionary<string, double>? hyper,
                                         InSPO.Training.Profile profile, Device device, Generator init)
    {
        foreach (var (name, create) in Registry)
            if (string.Equals(name, algorithm, StringComparison.OrdinalIgnoreCase)) return create(spec, hyper, profile, device, init);
        throw new ArgumentException($"unknown algorithm '{algorithm}' (known: {string.Join(", ", Known)})");
    }

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
