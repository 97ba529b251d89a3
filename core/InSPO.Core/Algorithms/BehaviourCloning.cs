using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>Options of BC. Every default is named in <see cref="For"/>.</summary>
/// <param name="Network">The policy network (<see cref="AgentNetworks.DefaultFor"/>).</param>
/// <param name="EpisodeBatch">Episodes per batch of a recurrent policy (transition batches: <paramref name="BatchSize"/>).</param>
/// <param name="GradClip">Gradient-norm clip (0: none).</param>
public sealed record BehaviourCloningOptions(int Hidden, double LearningRate, int BatchSize, AgentNetworkOptions Network, int EpisodeBatch, double GradClip)
{
    public static readonly string[] Names = { "hidden", "lr", "recurrent", "shared", "episode_batch", "grad_clip" };

    /// <summary>Games and Bridge: one MLP per agent, hidden 256 (SPEC 3's policy size for games; the CPU profiles' size),
    /// lr 1e-3, no clip: SPEC is silent, CFCQL's BC uses 5e-4 over millions of steps, and the quick profile's few
    /// thousand steps need the faster rate (measured: the marginals are reached within a few hundred steps, see the
    /// report). SMAC-lite maps: CFCQL's BC (notes, reference-implementations §4.1) — one GRU agent shared by all
    /// agents with agent id and last action, 64 units, lr 5e-4, gradient clip 10, batches of whole episodes (CFCQL:
    /// 128; here AgentNetworks.EpisodeBatch).
    /// "recurrent" and "shared" (0/1) override the network's kind and sharing.</summary>
    public static BehaviourCloningOptions For(EnvSpec spec, IReadOnlyDictionary<string, double>? hyper, InSPO.Training.Profile profile)
    {
        Learners.CheckKnown("bc", hyper, Names);
        bool smac = AgentNetworks.IsSmac(spec);
        int hidden = (int)Learners.Get(hyper, "hidden", smac ? 64 : profile.Hidden);
        var network = AgentNetworks.DefaultFor(spec, hidden, shared: true);
        bool recurrent = Learners.Get(hyper, "recurrent", network.Recurrent ? 1 : 0) != 0;
        bool shared = Learners.Get(hyper, "shared", network.Shared ? 1 : 0) != 0;
        // a shared network tells agents apart by their id; a recurrent one sees its last action (PyMARL's inputs)
        network = new AgentNetworkOptions(recurrent ? AgentNetworkKind.Recurrent : AgentNetworkKind.Mlp, shared, shared, recurrent, hidden);
        int episodes = AgentNetworks.EpisodeBatch(profile);
        return new(hidden, Learners.Get(hyper, "lr", smac ? 5e-4 : 1e-3), profile.BatchSize, network,
            (int)Learners.Get(hyper, "episode_batch", episodes), Learners.Get(hyper, "grad_clip", smac ? 10 : 0));
    }
}

/// <summary>
/// Behaviour cloning (SPEC 8): minimise −log πⁱ(aⁱ|τⁱ) over dataset actions (the same loss as InSPO's μⁱ, Eq. 21).
/// A feed-forward policy learns from transition batches, one optimiser per agent when not shared (games and Bridge);
/// a recurrent one unrolls over whole episodes, masking the loss with the filled steps (SMAC-lite, as CFCQL's BC).
/// </summary>
public sealed class BehaviourCloning : IOfflineLearner, IHasOptions
{
    readonly AgentNetwork policy;
    readonly optim.Optimizer[] optimizers;
    readonly BehaviourCloningOptions options;
    readonly Device device;
    readonly int agents;

    public BehaviourCloning(EnvSpec spec, BehaviourCloningOptions options, Device device, Generator init)
    {
        this.options = options;
        this.device = device;
        agents = spec.Agents;
        policy = AgentNetwork.Create("pi", agents, spec.ObservationSize, spec.Actions, spec.Actions, options.Network, init, smallOutput: true);
        policy.to(device);
        int groups = options.Network.Shared ? 1 : agents;
        optimizers = Enumerable.Range(0, groups).Select(i => (optim.Optimizer)optim.Adam(policy.Member(i).parameters(), options.LearningRate)).ToArray();
        Modules = policy.NamedMembers("pi").ToArray();
        Optimizers = optimizers.Select((o, i) => (groups == 1 && options.Network.Shared ? "pi" : $"pi{i}", o)).ToArray();
    }

    public string Name => "bc";
    public BehaviourCloningOptions Options => options;
    object IHasOptions.Options => options;

    /// <summary>The policy networks (an ensemble copies its members' initial weights from them).</summary>
    internal AgentNetwork Policy => policy;
    public IReadOnlyList<(string Name, nn.Module Module)> Modules { get; }
    public IReadOnlyList<(string Name, optim.Optimizer Optimizer)> Optimizers { get; }

    public IReadOnlyList<KeyValuePair<string, double>> Step(long step, long totalSteps, DeviceEpisodeBuffer data, Generator generator) =>
        policy.Recurrent ? EpisodeStep(data, generator) : TransitionStep(data, generator);

    IReadOnlyList<KeyValuePair<string, double>> TransitionStep(DeviceEpisodeBuffer data, Generator generator)
    {
        var batch = data.SampleTransitions(options.BatchSize, generator);
        var losses = new List<KeyValuePair<string, double>>();
        var perAgent = new Tensor[agents];
        for (int i = 0; i < agents; i++)
        {
            // Eq. 21: −E_D log πⁱ(aⁱ|oⁱ)
            var logp = MaskedCategorical.AgentLogProbs(policy, i, batch.Observations, batch.Available);
            perAgent[i] = -MaskedCategorical.Pick(logp, batch.Actions.select(1, i)).mean();
            if (options.Network.Shared) continue;
            Update(optimizers[i], perAgent[i], policy.Member(i));
            losses.Add(new($"loss/bc{i}", perAgent[i].item<float>()));
        }
        if (options.Network.Shared)
        {
            var loss = stack(perAgent).mean();
            Update(optimizers[0], loss, policy);
            losses.Add(new("loss/bc", loss.item<float>()));
        }
        return losses;
    }

    /// <summary>Eq. 21 over whole episodes: −Σ_{b,t,i} filled · log πⁱ(aⁱ_t|τⁱ_t) / Σ filled, τⁱ_t the agent's
    /// observations and last actions up to t.</summary>
    IReadOnlyList<KeyValuePair<string, double>> EpisodeStep(DeviceEpisodeBuffer data, Generator generator)
    {
        var b = data.SampleEpisodes(options.EpisodeBatch, generator);
        var logp = MaskedCategorical.LogProbs(policy.Unroll(b.Observations, b.LastActions), b.Available);   // B × T × N × A
        var picked = MaskedCategorical.Pick(logp, b.Actions);                                               // B × T × N
        var mask = b.Filled.unsqueeze(-1).expand_as(picked);
        if (options.Network.Shared)
        {
            var loss = -(picked * mask).sum() / mask.sum();
            Update(optimizers[0], loss, policy);
            return new[] { new KeyValuePair<string, double>("loss/bc", loss.item<float>()) };
        }
        // Per-agent networks share no parameter: one backward of the sum gives each agent its own loss's gradient.
        var perAgent = Enumerable.Range(0, agents).Select(i => -(picked.select(2, i) * b.Filled).sum() / b.Filled.sum()).ToArray();
        foreach (var o in optimizers) o.zero_grad();
        stack(perAgent).sum().backward();
        for (int i = 0; i < agents; i++)
        {
            if (options.GradClip > 0) nn.utils.clip_grad_norm_(policy.Member(i).parameters(), options.GradClip);
            optimizers[i].step();
        }
        return perAgent.Select((l, i) => new KeyValuePair<string, double>($"loss/bc{i}", l.item<float>())).ToArray();
    }

    void Update(optim.Optimizer optimizer, Tensor loss, nn.Module module)
    {
        optimizer.zero_grad();
        loss.backward();
        if (options.GradClip > 0) nn.utils.clip_grad_norm_(module.parameters(), options.GradClip);
        optimizer.step();
    }

    public Tensor? InitialState(long episodes) => policy.InitialState(episodes, device);

    public (Tensor Probabilities, Tensor? Hidden) Act(Tensor observations, Tensor available, Tensor lastActions, Tensor? hidden)
    {
        if (!policy.Recurrent) return (MaskedCategorical.JointProbabilities(policy, observations, available), null);
        return MaskedCategorical.RecurrentStep(policy, observations, available, lastActions, hidden);
    }

    public void Dispose() => policy.Dispose();
}
