using InSPO.Actors;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// CFCQL on SMAC-lite (<see cref="CfcqlEpisodes"/>: the objective and every choice are in its header) for S seeds at
/// once: the shared GRU agent and its target are <see cref="EnsembleAgentNetwork"/>s, the mixers
/// <see cref="EnsembleMonotoneMixer"/>s, β a recurrent <see cref="BehaviourCloningEnsemble"/>. Each member draws its own
/// episodes (the batches padded to the longest, which the causal unroll and the λ-return recursion leave unchanged at a
/// member's own steps) and its terms are means over its own filled steps (<see cref="MemberSteps"/>); the members'
/// objectives are summed before one backward, each member's gradient norm is clipped on its own, and targets are
/// copied for every member at once, as every member copies at the same step.
/// </summary>
public sealed class CfcqlEpisodesEnsemble : EnsembleLearner
{
    readonly CfcqlOptions o;
    readonly int A;
    readonly EnsembleAgentNetwork q, qTarget;
    readonly BehaviourCloningEnsemble beta;
    readonly EnsembleMonotoneMixer mixer, mixerTarget;
    readonly optim.Optimizer qOpt;
    readonly Device device;

    public CfcqlEpisodesEnsemble(EnvSpec spec, CfcqlOptions options, Device device, IReadOnlyList<Generator> inits) : base("cfcql", options, inits.Count)
    {
        o = options;
        A = spec.Actions;
        this.device = device;
        // Each member's single learner, built from its own generator, draws the weights its single run starts from.
        var singles = inits.Select(g => new CfcqlEpisodes(spec, options, CPU, g)).ToArray();
        q = new EnsembleAgentNetwork("q", singles.Select(s => s.Networks.Q).ToArray(), device);
        qTarget = new EnsembleAgentNetwork("q", singles.Select(s => s.Networks.QTarget).ToArray(), device);
        beta = new BehaviourCloningEnsemble(spec, singles[0].Networks.Beta.Options, device, singles.Select(s => s.Networks.Beta).ToArray());
        mixer = new EnsembleMonotoneMixer("mixer", singles.Select(s => s.Networks.Mixer).ToArray(), device);
        mixerTarget = new EnsembleMonotoneMixer("mixer", singles.Select(s => s.Networks.MixerTarget).ToArray(), device);
        foreach (var s in singles) s.Dispose();
        foreach (var p in qTarget.parameters().Concat(mixerTarget.parameters())) p.requires_grad = false;
        qOpt = optim.Adam(QParameters(), o.LearningRate);
        Modules = new (string, nn.Module)[]
        {
            ("q", q), ("q_target", qTarget), ("beta", beta.Recurrent!), ("mixer", mixer), ("mixer_target", mixerTarget),
        };
        Optimizers = new (string, optim.Optimizer)[] { ("q", qOpt), ("beta", beta.Optimizers.Single().Optimizer) };
    }

    IEnumerable<TorchSharp.Modules.Parameter> QParameters() => q.parameters().Concat(mixer.parameters());

    public override IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> Step(long step, long totalSteps, IReadOnlyList<DeviceEpisodeBuffer> data,
                                                                                    IReadOnlyList<Generator> generators) =>
        step < o.BehaviourSteps
            ? beta.Step(step, totalSteps, data, generators)
                .Select(l => (IReadOnlyList<KeyValuePair<string, double>>)l.Select(x => new KeyValuePair<string, double>("loss/beta", x.Value)).ToArray()).ToArray()
            : QStep(step - o.BehaviourSteps, Ensembles.DrawEpisodes(data, generators, o.EpisodeBatch!.Value));

    /// <summary>One gradient step of every member's objective (CfcqlEpisodes.Terms) on its own episodes.</summary>
    IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> QStep(long t, EpisodeBatch b)
    {
        long members = Members, episodes = b.Count, slots = b.Slots;
        var qAll = q.Unroll(b.Observations, b.LastActions);                                                   // S × B × T × N × A
        Tensor targets;
        using (no_grad())
        {
            // EpisodeMixing.DoubleQTargets per member; the λ-return recursion runs on the members' episodes as rows
            var greedy = qAll.detach().masked_fill(b.Available.logical_not(), EpisodeMixing.Unavailable).argmax(-1);
            var next = MaskedCategorical.Pick(qTarget.Unroll(b.Observations, b.LastActions), greedy);        // S × B × T × N
            var nextTotal = mixerTarget.forward(next.reshape(members, episodes * slots, -1), b.States.reshape(members, episodes * slots, -1));
            Tensor Rows(Tensor x) => x.reshape(members * episodes, slots);
            var g = EpisodeMixing.LambdaReturns(Rows(b.Rewards), Rows(b.Terminated + b.Truncated), Rows(b.Filled), Rows(nextTotal),
                o.Gamma, o.TdLambda!.Value);                                                                   // S·B × (T − 1)
            targets = cat(new[] { g, zeros(members * episodes, 1, device: g.device) }, 1).view(members, episodes, slots);
        }
        var rows = MemberSteps.Of(b);
        var (values, actions, states, available) = (rows.Take(qAll), rows.Take(b.Actions), rows.Take(b.States), rows.Take(b.Available));
        var taken = MaskedCategorical.Pick(values, actions);                                                  // S × M × N
        var total = mixer.forward(taken, states);                                                             // S × M
        var td = rows.Mean(0.5 * (total - rows.Take(targets)).pow(2));                                       // S
        var counterfactual = Cfcql.Counterfactual(mixer, values, taken, states, available);                   // S × M × N × A
        Tensor lambda;
        using (no_grad())
        {
            var logBeta = MaskedCategorical.LogProbs(beta.Recurrent!.Unroll(b.Observations, b.LastActions), b.Available);
            lambda = CfcqlEpisodes.Weights(Cfcql.Divergences(counterfactual, rows.Take(logBeta), available), o.SoftmaxTemperature);
        }
        var cql = rows.Mean((lambda * counterfactual.logsumexp(-1)).sum(-1) - total);                          // S
        var loss = td + o.CqlAlpha * cql;
        qOpt.zero_grad();
        loss.sum().backward();
        EnsembleLinear.ClipGradNorm(QParameters(), Members, o.GradClip);
        qOpt.step();
        if ((t + 1) % o.TargetUpdate == 0)
        {
            TargetNetwork.Copy(qTarget, q);
            TargetNetwork.Copy(mixerTarget, mixer);
        }
        return Ensembles.PerMember(Members, ("loss/td", td), ("loss/cql", cql), ("train/q_tot", rows.Mean(total)),
            ("train/lambda_max", rows.Mean(lambda.max(-1).values)));
    }

    /// <summary>Member k's greedy per-agent execution (CfcqlEpisodes.Act): the one-hot of each agent's best available
    /// action under its Qⁱ(τⁱ, ·).</summary>
    public override IDecentralisedPolicy Member(int k) => Ensembles.RecurrentMemberPolicy(q.Member(k, device), device, (values, available) =>
        nn.functional.one_hot(values.masked_fill(available.logical_not(), EpisodeMixing.Unavailable).argmax(-1), A).to_type(float32));
}
