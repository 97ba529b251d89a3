using InSPO.Actors;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// S seeds of one algorithm trained as one ensemble (seed ensembles): member k has its own initial weights (those
/// of the single run of seed k), its own dataset draw, its own sampling generator and its own policy; one
/// <see cref="Step"/> advances every member by one training step of the single algorithm, with the members'
/// networks batched. Checkpoints save the ensemble's modules and optimisers like a learner's.
/// </summary>
public interface IEnsembleLearner : ICheckpointable, IDisposable
{
    int Members { get; }

    /// <summary>One training step of every member: member k samples from <paramref name="data"/>[k] with
    /// <paramref name="generators"/>[k], exactly the calls its single run makes. Returns each member's losses.</summary>
    IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> Step(long step, long totalSteps, IReadOnlyList<DeviceEpisodeBuffer> data,
                                                                    IReadOnlyList<Generator> generators);

    /// <summary>Member k's decentralised policy (evaluation).</summary>
    IDecentralisedPolicy Member(int k);

    /// <summary>The options record the members share (member 0's).</summary>
    object Options { get; }

    /// <summary>Member k's options record (what its run record stores): <see cref="Options"/>, except in an ensemble
    /// whose members may set loss coefficients apart (<see cref="InspoOptions.PerMember"/>).</summary>
    object MemberOptions(int k);
}

/// <summary>What every seed ensemble shares: its name, member count and options, the modules and optimisers its
/// checkpoint saves (set by the constructor), and disposing them.</summary>
public abstract class EnsembleLearner(string name, object options, int members) : IEnsembleLearner
{
    public string Name => name;
    public int Members => members;
    public object Options => options;
    public virtual object MemberOptions(int k) => options;
    public IReadOnlyList<(string Name, nn.Module Module)> Modules { get; protected init; } = Array.Empty<(string, nn.Module)>();
    public IReadOnlyList<(string Name, optim.Optimizer Optimizer)> Optimizers { get; protected init; } = Array.Empty<(string, optim.Optimizer)>();

    public abstract IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> Step(long step, long totalSteps, IReadOnlyList<DeviceEpisodeBuffer> data,
                                                                                    IReadOnlyList<Generator> generators);

    public abstract IDecentralisedPolicy Member(int k);

    public virtual void Dispose()
    {
        foreach (var m in Modules) m.Module.Dispose();
    }
}

/// <summary>Builds ensembles by algorithm name, where the algorithm has one for the environment's networks.</summary>
public static class Ensembles
{
    /// <summary>The ensemble of <paramref name="algorithm"/>, or null where it has none (the group's seeds then train
    /// one after another). Member k's weights are drawn from <paramref name="inits"/>[k] as the single run draws them.</summary>
    public static IEnsembleLearner? TryCreate(string algorithm, EnvSpec spec, IReadOnlyDictionary<string, double>? hyper,
                                              InSPO.Training.Profile profile, Device device, IReadOnlyList<Generator> inits) =>
        TryCreateMembers(algorithm, spec, inits.Select(_ => hyper).ToArray(), profile, device, inits);

    /// <summary>The ensemble of members with their own hyperparameters, <paramref name="memberHyper"/>[k] for member k:
    /// InSPO's members may differ in <see cref="InspoOptions.PerMember"/> (its α and β sweeps as one ensemble); every
    /// other algorithm's members share all of theirs (an ArgumentException otherwise, as for any other InSPO option).</summary>
    public static IEnsembleLearner? TryCreateMembers(string algorithm, EnvSpec spec, IReadOnlyList<IReadOnlyDictionary<string, double>?> memberHyper,
                                              InSPO.Training.Profile profile, Device device, IReadOnlyList<Generator> inits)
    {
        if (memberHyper.Count != inits.Count) throw new ArgumentException($"{algorithm}: {memberHyper.Count} members' hyperparameters for {inits.Count} members");
        if (algorithm.Equals("inspo", StringComparison.OrdinalIgnoreCase))
        {
            var members = memberHyper.Select(h => InspoOptions.For(spec.Name, h, profile)).ToArray();
            // the feed-forward ablation trains seed after seed (the recurrent ensemble's networks are GRU agents)
            if (InSPO.Nets.AgentNetworks.IsSmac(spec)) return members.Any(m => m.FeedForward) ? null : new InspoEpisodesEnsemble(spec, members, device, inits);
            return members.All(InspoEnsemble.Supports) ? new InspoEnsemble(spec, members, device, inits) : null;
        }
        var hyper = memberHyper.Count > 0 ? memberHyper[0] : null;
        if (memberHyper.Any(h => !SameHyperparameters(h, hyper)))
            throw new ArgumentException($"{algorithm}: the members of one ensemble must share every hyperparameter (only InSPO's members may differ, in {string.Join(", ", InspoOptions.PerMember)})");
        switch (algorithm.ToLowerInvariant())
        {
            case "cfcql":
                return InSPO.Nets.AgentNetworks.IsSmac(spec)
                    ? new CfcqlEpisodesEnsemble(spec, CfcqlOptions.ForEpisodes(hyper, profile), device, inits)
                    : new CfcqlEnsemble(spec, CfcqlOptions.For(spec.Name, hyper, profile), device, inits);
            case "alberdice":
                return InSPO.Nets.AgentNetworks.IsSmac(spec) ? null : new AlberDiceEnsemble(spec, AlberDiceOptions.For(spec.Name, hyper, profile), device, inits);
            case "omar":
                // OMAR on SMAC-lite is the recurrent episode learner; games and Bridge use the transition learner
                return InSPO.Nets.AgentNetworks.IsSmac(spec)
                    ? new OmarEpisodesEnsemble(spec, OmarEpisodesOptions.For(spec, hyper, profile), device, inits)
                    : new OmarEnsemble(spec, OmarOptions.For(spec.Name, hyper, profile), device, inits);
            case "omiga":
                var omiga = OmigaOptions.For(spec, hyper, profile);
                return OmigaEnsemble.Supports(omiga) ? new OmigaEnsemble(spec, omiga, device, inits) : null;
            case "bc":
                var options = BehaviourCloningOptions.For(spec, hyper, profile);
                return BehaviourCloningEnsemble.Supports(options) ? new BehaviourCloningEnsemble(spec, options, device, inits) : null;
            default:
                return null;
        }
    }

    /// <summary>Whether two hyperparameter sets are the same (null: none).</summary>
    internal static bool SameHyperparameters(IReadOnlyDictionary<string, double>? a, IReadOnlyDictionary<string, double>? b)
    {
        var x = a ?? new Dictionary<string, double>();
        var y = b ?? new Dictionary<string, double>();
        return x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var v) && v.Equals(kv.Value));
    }

    /// <summary>Whether a group of <paramref name="algorithm"/> should train as one ensemble on <paramref name="device"/>
    /// rather than seed after seed. Everywhere but the measured cases on SMAC-lite on a CPU (bench_ensembles.fsx,
    /// 5m_vs_6m, 32 episodes per batch, one thread), where five seeds as one ensemble ran no faster per seed than one
    /// seed alone — larger tensors, no fewer operations — and seed after seed writes each member's record as it ends:
    /// CFCQL 0.81 × (7.9 against 9.7 steps/s; InSPO 1.28 ×, BC 0.96 ×), OMAR 0.98 × (1.69 against 1.72 steps/s).</summary>
    public static bool PaysOff(string algorithm, EnvSpec spec, Device device) =>
        !(device.type == DeviceType.CPU && InSPO.Nets.AgentNetworks.IsSmac(spec) && SlowerAsEnsembleOnCpuSmac.Contains(algorithm));

    static readonly HashSet<string> SlowerAsEnsembleOnCpuSmac = new(StringComparer.OrdinalIgnoreCase) { "cfcql", "omar" };

    /// <summary>Agent i's network of every member as one <see cref="EnsembleMlp"/> per agent, named
    /// <c>{name}{i}</c>: <paramref name="singles"/> are the members' single learners (their weights are copied).</summary>
    public static EnsembleMlp[] PerAgent<T>(string name, IReadOnlyList<T> singles, Func<T, AgentNetwork> net, int agents, Device device) =>
        Enumerable.Range(0, agents)
            .Select(i => new EnsembleMlp($"{name}{i}", singles.Select(s => (Mlp)net(s).Member(i)).ToArray(), device)).ToArray();

    /// <summary>μ^{-i} of every member, one <see cref="EnsembleAutoregressiveBehaviour"/> per agent i named
    /// <c>mu_minus{i}</c>, copied from the members' single learners.</summary>
    public static EnsembleAutoregressiveBehaviour[] TeammateModels<T>(IReadOnlyList<T> singles, Func<T, AutoregressiveBehaviour[]> models,
                                                                      int agents, int actions, Device device) =>
        Enumerable.Range(0, agents).Select(i => new EnsembleAutoregressiveBehaviour($"mu_minus{i}",
            singles.Select(s => models(s)[i]).ToArray(), i, agents, actions, device)).ToArray();

    /// <summary>Member k's transitions from its own dataset and generator (the call its single run makes), stacked:
    /// every tensor S × <paramref name="count"/> × ….</summary>
    public static TransitionBatch DrawTransitions(IReadOnlyList<DeviceEpisodeBuffer> data, IReadOnlyList<Generator> generators, long count) =>
        TransitionBatch.Stack(Enumerable.Range(0, data.Count).Select(k => data[k].SampleTransitions(count, generators[k])).ToArray());

    /// <summary>Named per-member values (each a tensor of S) read back from the device at once → one list of
    /// losses per member, in the order given.</summary>
    public static IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> PerMember(int members, params (string Name, Tensor Values)[] values)
    {
        var host = stack(values.Select(v => v.Values.to_type(ScalarType.Float32)).ToArray(), 1).cpu().data<float>().ToArray();   // S × V
        return Enumerable.Range(0, members).Select(k => (IReadOnlyList<KeyValuePair<string, double>>)values
            .Select((v, j) => new KeyValuePair<string, double>(v.Name, host[k * values.Length + j])).ToArray()).ToArray();
    }

    /// <summary>Member k of a feed-forward ensemble as a decentralised policy: <paramref name="act"/> maps the K × N × O
    /// observations and K × N × A availability to K × N × A probabilities, without gradient.</summary>
    public static IDecentralisedPolicy MemberPolicy(Func<Tensor, Tensor, Tensor> act) => new FeedForwardMember(act);

    /// <summary>Member k of a recurrent ensemble as a decentralised policy: its own <paramref name="network"/> (copied out
    /// of the ensemble, <see cref="EnsembleAgentNetwork.Member"/>) stepped through the episode, its outputs and the
    /// K × N × A availability mapped to probabilities by <paramref name="act"/>, as the single learner's Act does.</summary>
    public static IDecentralisedPolicy RecurrentMemberPolicy(AgentNetwork network, Device device, Func<Tensor, Tensor, Tensor> act) =>
        new RecurrentMember(network, device, act);

    /// <remarks>Disposing it disposes the copied network (evaluations mid-run copy one each time).</remarks>
    sealed class RecurrentMember(AgentNetwork network, Device device, Func<Tensor, Tensor, Tensor> act) : IDecentralisedPolicy, IDisposable
    {
        public void Dispose() => network.Dispose();

        public Tensor? InitialState(long episodes) => network.InitialState(episodes, device);

        public (Tensor Probabilities, Tensor? Hidden) Act(Tensor observations, Tensor available, Tensor lastActions, Tensor? hidden)
        {
            using var _ = no_grad();
            var (outputs, next) = network.Step(observations, lastActions, hidden);
            return (act(outputs, available), next);
        }
    }

    /// <summary>Member k's episode batch from its own dataset and generator (the call its single run makes), the
    /// members' batches stacked (<see cref="EpisodeBatch.Stack"/>): every tensor S × B × T × ….</summary>
    public static EpisodeBatch DrawEpisodes(IReadOnlyList<DeviceEpisodeBuffer> data, IReadOnlyList<Generator> generators, long count) =>
        EpisodeBatch.Stack(Enumerable.Range(0, data.Count).Select(k => data[k].SampleEpisodes(count, generators[k])).ToArray());

    sealed class FeedForwardMember(Func<Tensor, Tensor, Tensor> act) : IDecentralisedPolicy
    {
        public (Tensor Probabilities, Tensor? Hidden) Act(Tensor observations, Tensor available, Tensor lastActions, Tensor? hidden)
        {
            using var _ = no_grad();
            return (act(observations, available), null);
        }
    }
}
