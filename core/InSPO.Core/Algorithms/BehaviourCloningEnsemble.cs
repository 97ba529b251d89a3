using InSPO.Actors;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// BC (<see cref="BehaviourCloning"/>) for S seeds at once. Feed-forward per-agent policies (games and Bridge): agent
/// i's S networks are one <see cref="EnsembleMlp"/> and each member draws its own transition batch. Recurrent policies
/// (SMAC-lite): one <see cref="EnsembleAgentNetwork"/>, each member draws its own episodes (the batches padded to the
/// longest, <see cref="EpisodeBatch.Stack"/>). Either way the loss summed over members — each member's Eq. 21 loss, a
/// mean over its own batch — is minimised by Adam over the stacked weights, which updates each member as its own Adam
/// would, after clipping each member's (and, per agent, each agent's) gradient norm on its own.
/// </summary>
public sealed class BehaviourCloningEnsemble : EnsembleLearner
{
    readonly BehaviourCloningOptions options;
    readonly EnsembleMlp[] policies;
    readonly EnsembleAgentNetwork? recurrent;
    readonly optim.Optimizer[] optimizers;
    readonly int agents;
    readonly Device device;

    /// <summary>Recurrent policies (shared or per agent), or feed-forward ones per agent without extra inputs: every BC
    /// the profiles build.</summary>
    public static bool Supports(BehaviourCloningOptions o) =>
        o.Network.Recurrent || (!o.Network.Shared && !o.Network.AgentId && !o.Network.LastAction);

    public BehaviourCloningEnsemble(EnvSpec spec, BehaviourCloningOptions options, Device device, IReadOnlyList<Generator> inits)
        // Each member's single learner, built from its own generator, draws the weights its single run starts from.
        : this(spec, options, device, inits.Select(g => new BehaviourCloning(spec, options, CPU, g)).ToArray())
    {
    }

    /// <summary>The ensemble of <paramref name="singles"/>' policies (their weights copied; the singles are disposed):
    /// a learner whose behaviour model is BC (CFCQL's β) builds its members' singles itself.</summary>
    internal BehaviourCloningEnsemble(EnvSpec spec, BehaviourCloningOptions options, Device device, IReadOnlyList<BehaviourCloning> singles)
        : base("bc", options, singles.Count)
    {
        if (!Supports(options)) throw new ArgumentException("the BC ensemble takes recurrent or per-agent feed-forward policies");
        this.options = options;
        this.device = device;
        agents = spec.Agents;
        if (options.Network.Recurrent)
        {
            recurrent = new EnsembleAgentNetwork("pi", singles.Select(s => s.Policy).ToArray(), device);
            policies = Array.Empty<EnsembleMlp>();
            optimizers = new optim.Optimizer[] { optim.Adam(recurrent.parameters(), options.LearningRate) };
            Modules = new (string, nn.Module)[] { ("pi", recurrent) };
            Optimizers = new (string, optim.Optimizer)[] { ("pi", optimizers[0]) };
            foreach (var s in singles) s.Dispose();
            return;
        }
        policies = Ensembles.PerAgent("pi", singles, s => s.Policy, agents, device);
        foreach (var s in singles) s.Dispose();
        optimizers = policies.Select(p => (optim.Optimizer)optim.Adam(p.parameters(), options.LearningRate)).ToArray();
        Modules = policies.Select((p, i) => ($"pi{i}", (nn.Module)p)).ToArray();
        Optimizers = optimizers.Select((o, i) => ($"pi{i}", o)).ToArray();
    }


    public override IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> Step(long step, long totalSteps, IReadOnlyList<DeviceEpisodeBuffer> data,
                                                                           IReadOnlyList<Generator> generators)
    {
        if (recurrent is not null) return EpisodeStep(data, generators);
        var b = Ensembles.DrawTransitions(data, generators, options.BatchSize);
        var (observations, available, actions) = (b.Observations, b.Available, b.Actions);   // S × B × N × O, S × B × N × A, S × B × N
        var perAgent = new Tensor[agents];
        for (int i = 0; i < agents; i++)
        {
            // Eq. 21 per member: −E_{D_k} log πⁱ_k(aⁱ|oⁱ), a mean over the member's own batch
            var logp = MaskedCategorical.LogProbs(policies[i].forward(observations.select(2, i)), available.select(2, i));
            perAgent[i] = -MaskedCategorical.Pick(logp, actions.select(2, i)).mean(new long[] { 1 });   // S
            optimizers[i].zero_grad();
            perAgent[i].sum().backward();
            if (options.GradClip > 0) EnsembleLinear.ClipGradNorm(policies[i].parameters(), Members, options.GradClip);
            optimizers[i].step();
        }
        return Ensembles.PerMember(Members, perAgent.Select((l, i) => ($"loss/bc{i}", l)).ToArray());
    }

    /// <summary>The recurrent policies (null when feed-forward).</summary>
    internal EnsembleAgentNetwork? Recurrent => recurrent;

    /// <summary>Eq. 21 over whole episodes per member (<see cref="BehaviourCloning"/>'s episode step): −Σ filled ·
    /// log πⁱ(aⁱ_t|τⁱ_t) / Σ filled over the member's own batch, per agent when the agents have their own networks.</summary>
    IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> EpisodeStep(IReadOnlyList<DeviceEpisodeBuffer> data, IReadOnlyList<Generator> generators)
    {
        var b = Ensembles.DrawEpisodes(data, generators, options.EpisodeBatch);
        var logp = MaskedCategorical.LogProbs(recurrent!.Unroll(b.Observations, b.LastActions), b.Available);   // S × B × T × N × A
        var picked = MaskedCategorical.Pick(logp, b.Actions);                                                 // S × B × T × N
        var filled = b.Filled.sum(new long[] { 1, 2 });                                                       // S
        var perAgent = (picked * b.Filled.unsqueeze(-1)).sum(new long[] { 1, 2 }).neg() / filled.unsqueeze(-1);   // S × N
        var shared = options.Network.Shared;
        var loss = shared ? perAgent.sum(1) / agents : perAgent.sum(1);   // shared: the mean over (t, i) of the single run
        optimizers[0].zero_grad();
        loss.sum().backward();
        // the single run clips the shared network's norm, or each agent's: the ensemble's rows are members (shared)
        // or (agent, member) pairs
        if (options.GradClip > 0) EnsembleLinear.ClipGradNorm(recurrent.parameters(), shared ? Members : Members * agents, options.GradClip);
        optimizers[0].step();
        return shared
            ? Ensembles.PerMember(Members, ("loss/bc", loss))
            : Ensembles.PerMember(Members, Enumerable.Range(0, agents).Select(i => ($"loss/bc{i}", perAgent.select(1, i))).ToArray());
    }

    /// <summary>Member k's stochastic per-agent policies.</summary>
    public override IDecentralisedPolicy Member(int k) => recurrent is not null
        ? Ensembles.RecurrentMemberPolicy(recurrent.Member(k, device), device, (logits, available) => MaskedCategorical.LogProbs(logits, available).exp())
        : Ensembles.MemberPolicy((observations, available) =>
        stack(Enumerable.Range(0, agents).Select(i =>
            MaskedCategorical.LogProbs(policies[i].ForwardMember(k, observations.select(1, i)), available.select(1, i)).exp()).ToArray(), 1));

}
