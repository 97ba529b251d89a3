using InSPO.Actors;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// OMAR on transitions (<see cref="Omar"/>: the objective and every choice are in its header) for S seeds at once:
/// agent i's π, π̄, Q, Q̄ of the S members are one <see cref="EnsembleMlp"/> each; each member draws its own batch;
/// agent after agent, as the single run, the critic and then the actor take one Adam step on the sum over members of
/// each member's losses (means over its own batch), with each member's gradient clipped on its own norm
/// (<see cref="EnsembleLinear.ClipGradNorm(IEnumerable{Tensor}, int, double)"/>); targets are averaged for every member at once.
/// </summary>
public sealed class OmarEnsemble : EnsembleLearner
{
    readonly OmarOptions o;
    readonly int N, A;
    readonly EnsembleMlp[] pi, piTarget, q, qTarget;
    readonly optim.Optimizer[] piOpt, qOpt;

    public OmarEnsemble(EnvSpec spec, OmarOptions options, Device device, IReadOnlyList<Generator> inits) : base("omar", options, inits.Count)
    {
        o = options;
        N = spec.Agents;
        A = spec.Actions;
        // Each member's single learner, built from its own generator, draws the weights its single run starts from.
        var singles = inits.Select(g => new Omar(spec, options, CPU, g)).ToArray();
        EnsembleMlp[] PerAgent(string name, Func<Omar, AgentNetwork> net) => Ensembles.PerAgent(name, singles, net, N, device);
        pi = PerAgent("pi", s => s.Networks.Pi);
        piTarget = PerAgent("pi_target", s => s.Networks.PiTarget);
        q = PerAgent("q", s => s.Networks.Q);
        qTarget = PerAgent("q_target", s => s.Networks.QTarget);
        foreach (var s in singles) s.Dispose();
        foreach (var p in piTarget.Concat(qTarget).SelectMany(t => t.parameters())) p.requires_grad = false;
        piOpt = pi.Select(p => (optim.Optimizer)optim.Adam(p.parameters(), o.LearningRate)).ToArray();
        qOpt = q.Select(p => (optim.Optimizer)optim.Adam(p.parameters(), o.LearningRate)).ToArray();
        Modules = Enumerable.Range(0, N).SelectMany(i => new (string, nn.Module)[]
            { ($"pi{i}", pi[i]), ($"pi_target{i}", piTarget[i]), ($"q{i}", q[i]), ($"q_target{i}", qTarget[i]) }).ToArray();
        Optimizers = Enumerable.Range(0, N).SelectMany(i => new[] { ($"pi{i}", piOpt[i]), ($"q{i}", qOpt[i]) }).ToArray();
    }


    public override IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> Step(long step, long totalSteps, IReadOnlyList<DeviceEpisodeBuffer> data,
                                                                           IReadOnlyList<Generator> generators)
    {
        var b = Ensembles.DrawTransitions(data, generators, o.BatchSize);
        var values = new List<(string, Tensor)>();
        for (int i = 0; i < N; i++)
        {
            var (td, cql) = CriticStep(i, b);
            var (pg, reg) = ActorStep(i, b);
            TargetNetwork.Polyak(piTarget[i], pi[i], o.Tau);
            TargetNetwork.Polyak(qTarget[i], q[i], o.Tau);
            values.AddRange(new[] { ($"loss/critic{i}", td), ($"loss/cql{i}", cql), ($"loss/pg{i}", pg), ($"loss/omar{i}", reg) });
        }
        return Ensembles.PerMember(Members, values.ToArray());
    }

    /// <summary><see cref="Omar"/>'s CQL critic step of agent i, per member: (TD, CQL), each S.</summary>
    (Tensor Td, Tensor Cql) CriticStep(int i, TransitionBatch b)
    {
        Tensor y;
        using (no_grad())
        {
            var nextAction = LogProbs(piTarget[i], b.NextObservations.select(2, i), b.NextAvailable.select(2, i)).argmax(-1);
            var qNext = MaskedCategorical.Pick(qTarget[i].forward(CriticInput(b.NextStates, b.NextObservations, i)), nextAction);
            y = b.Rewards + o.Gamma * (1 - b.Done) * qNext;
        }
        var qAll = q[i].forward(CriticInput(b.States, b.Observations, i));
        var qData = MaskedCategorical.Pick(qAll, b.Actions.select(2, i));
        var td = (qData - y).pow(2).mean(new long[] { 1 });
        var available = b.Available.select(2, i);
        var cql = (qAll.masked_fill(available.logical_not(), MaskedCategorical.MaskedLogit).logsumexp(-1) - qData).mean(new long[] { 1 });
        Step(qOpt[i], td + o.CqlWeight * cql, q[i]);
        return (td.detach(), cql.detach());
    }

    /// <summary><see cref="Omar"/>'s rectified actor step of agent i, per member: (policy gradient, regression), each S.</summary>
    (Tensor Pg, Tensor Reg) ActorStep(int i, TransitionBatch b)
    {
        var available = b.Available.select(2, i);
        var actions = b.Actions.select(2, i);
        var logPi = LogProbs(pi[i], b.Observations.select(2, i), available);
        var probs = logPi.exp();
        Tensor qAll, best;
        using (no_grad())
        {
            qAll = q[i].forward(CriticInput(b.States, b.Observations, i));
            best = Omar.BestActionTarget(qAll, available);
        }
        var advantage = (MaskedCategorical.Pick(qAll, actions) - (probs * qAll).sum(-1)).detach();
        var pg = -(advantage * MaskedCategorical.Pick(logPi, actions)).mean(new long[] { 1 });
        var reg = (probs - best).pow(2).mean(new long[] { 1, 2 });   // mse_loss per member
        Step(piOpt[i], (1 - o.OmarCoe) * pg + o.OmarCoe * reg, pi[i]);
        return (pg.detach(), reg.detach());
    }

    void Step(optim.Optimizer optimizer, Tensor perMemberLoss, EnsembleMlp net)
    {
        optimizer.zero_grad();
        perMemberLoss.sum().backward();
        EnsembleLinear.ClipGradNorm(net.parameters(), Members, o.GradClip);
        optimizer.step();
    }

    static Tensor LogProbs(EnsembleMlp net, Tensor observations, Tensor available) =>
        MaskedCategorical.LogProbs(net.forward(observations), available);

    static Tensor CriticInput(Tensor states, Tensor observations, int i) => cat(new[] { states, observations.select(2, i) }, -1);

    /// <summary>Member k's stochastic per-agent policy πⁱ(·|oⁱ).</summary>
    public override IDecentralisedPolicy Member(int k) => Ensembles.MemberPolicy((observations, available) =>
        stack(Enumerable.Range(0, N).Select(i => MaskedCategorical.LogProbs(pi[i].ForwardMember(k, observations.select(1, i)),
            available.select(1, i)).exp()).ToArray(), 1));

}
