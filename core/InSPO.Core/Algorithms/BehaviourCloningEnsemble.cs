using InSPO.Actors;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// BC (<see cref="BehaviourCloning"/>) for S seeds at once, where its policy is one feed-forward network per agent
/// (games and Bridge): agent i's S networks are one <see cref="EnsembleMlp"/>, each member draws its own transition
/// batch, and the loss summed over members — each member's Eq. 21 loss, a mean over its batch — is minimised by one
/// Adam per agent over the stacked weights, which updates each member exactly as its own Adam would.
/// </summary>
public sealed class BehaviourCloningEnsemble : EnsembleLearner
{
    readonly BehaviourCloningOptions options;
    readonly EnsembleMlp[] policies;
    readonly optim.Optimizer[] optimizers;
    readonly int agents;

    /// <summary>Feed-forward, one network per agent, no extra inputs: the games' and Bridge's BC.</summary>
    public static bool Supports(BehaviourCloningOptions o) =>
        !o.Network.Recurrent && !o.Network.Shared && !o.Network.AgentId && !o.Network.LastAction;

    public BehaviourCloningEnsemble(EnvSpec spec, BehaviourCloningOptions options, Device device, IReadOnlyList<Generator> inits) : base("bc", options, inits.Count)
    {
        if (!Supports(options)) throw new ArgumentException("the BC ensemble takes per-agent feed-forward policies only");
        this.options = options;
        agents = spec.Agents;
        // Each member's single learner, built from its own generator, draws the weights its single run starts from.
        var singles = inits.Select(g => new BehaviourCloning(spec, options, CPU, g)).ToArray();
        policies = Ensembles.PerAgent("pi", singles, s => s.Policy, agents, device);
        foreach (var s in singles) s.Dispose();
        optimizers = policies.Select(p => (optim.Optimizer)optim.Adam(p.parameters(), options.LearningRate)).ToArray();
        Modules = policies.Select((p, i) => ($"pi{i}", (nn.Module)p)).ToArray();
        Optimizers = optimizers.Select((o, i) => ($"pi{i}", o)).ToArray();
    }


    public override IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> Step(long step, long totalSteps, IReadOnlyList<DeviceEpisodeBuffer> data,
                                                                           IReadOnlyList<Generator> generators)
    {
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

    /// <summary>Member k's stochastic per-agent policies.</summary>
    public override IDecentralisedPolicy Member(int k) => Ensembles.MemberPolicy((observations, available) =>
        stack(Enumerable.Range(0, agents).Select(i =>
            MaskedCategorical.LogProbs(policies[i].ForwardMember(k, observations.select(1, i)), available.select(1, i)).exp()).ToArray(), 1));

}
