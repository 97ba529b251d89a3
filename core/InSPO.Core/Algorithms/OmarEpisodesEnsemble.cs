using InSPO.Actors;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// OMAR on SMAC-lite (<see cref="OmarEpisodes"/>: the objective and every choice are in its header) for S seeds at
/// once: the shared GRU actor and its target are <see cref="EnsembleAgentNetwork"/>s, each critic head and its target
/// an <see cref="EnsembleMlp"/>. Each member draws its own episodes (the batches padded to the longest, which the causal
/// unroll and the λ-return recursion leave unchanged at a member's own steps) and every loss is a mean over its own
/// filled rows. The critic's per-time-step updates run t = 0 … T − 2 over the padded batch and step only the members
/// whose own batch reaches step t (<see cref="MemberAdam"/>): a member takes as many critic updates per batch as its
/// single run, with its own Adam step count. Gradient norms are clipped per member; targets are copied for every
/// member at once, as every member copies at the same step.
/// </summary>
public sealed class OmarEpisodesEnsemble : EnsembleLearner
{
    readonly OmarEpisodesOptions o;
    readonly int N, A;
    readonly Device device;
    readonly EnsembleAgentNetwork pi, piTarget;
    readonly EnsembleMlp critic1, critic2, critic1Target, critic2Target;
    readonly optim.Optimizer piOpt;
    readonly MemberAdam criticOpt;
    readonly Scalar cqlWeight;

    public OmarEpisodesEnsemble(EnvSpec spec, OmarEpisodesOptions options, Device device, IReadOnlyList<Generator> inits) : base("omar", options, inits.Count)
    {
        o = options;
        N = spec.Agents;
        A = spec.Actions;
        this.device = device;
        cqlWeight = options.CqlWeight.ToScalar();
        // Each member's single learner, built from its own generator, draws the weights its single run starts from.
        var singles = inits.Select(g => new OmarEpisodes(spec, options, CPU, g)).ToArray();
        pi = new EnsembleAgentNetwork("pi", singles.Select(s => s.Networks.Pi).ToArray(), device);
        piTarget = new EnsembleAgentNetwork("pi", singles.Select(s => s.Networks.PiTarget).ToArray(), device);
        EnsembleMlp Head(string name, Func<OmarEpisodes, Mlp> head) => new(name, singles.Select(head).ToArray(), device);
        critic1 = Head("head1", s => s.Networks.Critic1);
        critic2 = Head("head2", s => s.Networks.Critic2);
        critic1Target = Head("head1", s => s.Networks.Critic1Target);
        critic2Target = Head("head2", s => s.Networks.Critic2Target);
        foreach (var s in singles) s.Dispose();
        foreach (var p in new nn.Module[] { piTarget, critic1Target, critic2Target }.SelectMany(m => m.parameters())) p.requires_grad = false;
        piOpt = optim.Adam(pi.parameters(), o.LearningRate);
        criticOpt = new MemberAdam("critic_adam", CriticParameters(), o.LearningRate);
        Modules = new (string, nn.Module)[]
        {
            ("pi", pi), ("pi_target", piTarget), ("critic1", critic1), ("critic2", critic2), ("critic1_target", critic1Target),
            ("critic2_target", critic2Target), ("critic_adam", criticOpt),
        };
        Optimizers = new (string, optim.Optimizer)[] { ("pi", piOpt) };
    }

    IEnumerable<TorchSharp.Modules.Parameter> CriticParameters() => critic1.parameters().Concat(critic2.parameters());

    /// <summary>Both dueling heads' Q(·) on … × W inputs: the online critic, or the target one.</summary>
    (Tensor Q1, Tensor Q2) Critic(Tensor input, bool target = false) =>
        (OmarEpisodes.Dueling((target ? critic1Target : critic1).forward(input), A), OmarEpisodes.Dueling((target ? critic2Target : critic2).forward(input), A));

    /// <summary>One batch of episodes per member: the critic's updates, the target copy when due, one actor update
    /// (<see cref="OmarEpisodes.Step"/>).</summary>
    public override IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> Step(long step, long totalSteps, IReadOnlyList<DeviceEpisodeBuffer> data,
                                                                                    IReadOnlyList<Generator> generators)
    {
        var b = Ensembles.DrawEpisodes(data, generators, o.EpisodeBatch);                                    // S × B × T × …
        long members = Members, episodes = b.Count, slots = b.Slots, steps = slots - 1;
        var input = OmarEpisodes.CriticInput(b.States, b.Observations, N);                                  // S × B × T × N × W
        Tensor targets;
        using (no_grad())
        {
            // āⁱ_t = argmax over available actions of the target actor; y = min(G₁, G₂), the members' episodes as rows
            var nextActions = piTarget.Unroll(b.Observations, b.LastActions).masked_fill(b.Available.logical_not(), EpisodeMixing.Unavailable).argmax(-1);
            var (q1, q2) = Critic(input, target: true);
            Tensor Rows(Tensor x) => x.reshape(new[] { members * episodes }.Concat(x.shape.Skip(2)).ToArray());
            targets = OmarEpisodes.CriticTargets(Rows(b.Rewards), Rows(b.Terminated + b.Truncated), Rows(b.Filled),
                Rows(MaskedCategorical.Pick(q1, nextActions)), Rows(MaskedCategorical.Pick(q2, nextActions)), o.Gamma, o.Lambda)
                .view(members, episodes, steps, N);                                                          // S × B × (T−1) × N
        }
        var actions = b.Actions.narrow(2, 0, steps);
        var available = b.Available.narrow(2, 0, steps);
        var mask = b.Filled.narrow(2, 0, steps).unsqueeze(-1).expand(members, episodes, steps, N);
        // a member's own batch has as many steps as its longest episode
        var ownSteps = b.Filled.sum(2).max(1).values;                                                         // S

        Tensor td, cql;
        if (o.CriticUpdatePerTimeStep)
        {
            td = zeros(members, device: device);
            cql = zeros(members, device: device);
            var ownHost = ownSteps.cpu().data<float>().ToArray();
            for (long t = 0; t < steps; t++)
            {
                var active = Enumerable.Range(0, (int)members).Where(s => t < ownHost[s]).Select(s => (long)s).ToArray();
                var (tdT, cqlT) = CriticLoss(input.select(2, t), actions.select(2, t), available.select(2, t), targets.select(2, t), mask.select(2, t));
                UpdateCritic(tdT + cqlWeight * cqlT, tensor(active, device: device));
                td += tdT.detach();
                cql += cqlT.detach();
            }
            td /= ownSteps;
            cql /= ownSteps;
        }
        else
        {
            (td, cql) = CriticLoss(input.narrow(2, 0, steps), actions, available, targets, mask);
            UpdateCritic(td + o.CqlWeight * cql, arange(members, dtype: int64, device: device));
        }
        if ((step + 1) % o.TargetInterval == 0)
        {
            TargetNetwork.Copy(piTarget, pi);
            TargetNetwork.Copy(critic1Target, critic1);
            TargetNetwork.Copy(critic2Target, critic2);
        }

        var logPi = MaskedCategorical.LogProbs(pi.Unroll(b.Observations, b.LastActions).narrow(2, 0, steps), available);
        Tensor qActor;
        using (no_grad()) qActor = Critic(input.narrow(2, 0, steps)).Q1;                                    // the code's head 1
        var (actor, pg, rectification) = OmarEpisodes.ActorLoss(logPi, qActor, actions, available, mask, o.OmarCoe, perMember: true);
        piOpt.zero_grad();
        actor.sum().backward();
        EnsembleLinear.ClipGradNorm(pi.parameters(), Members, o.GradClip);
        piOpt.step();

        var targetMean = (targets * mask).flatten(1).sum(1) / mask.flatten(1).sum(1);
        return Ensembles.PerMember(Members, ("loss/critic", td), ("loss/cql", cql), ("loss/pg", pg), ("loss/omar", rectification),
            ("train/target_mean", targetMean));
    }

    /// <summary>Both heads' masked TD and CQL terms per member, summed over the heads.</summary>
    (Tensor Td, Tensor Cql) CriticLoss(Tensor input, Tensor actions, Tensor available, Tensor targets, Tensor mask)
    {
        var (q1, q2) = Critic(input);
        var (td1, cql1) = OmarEpisodes.CriticHeadLoss(q1, actions, available, targets, mask, perMember: true);
        var (td2, cql2) = OmarEpisodes.CriticHeadLoss(q2, actions, available, targets, mask, perMember: true);
        return (td1 + td2, cql1 + cql2);
    }

    /// <summary>One critic update of the members <paramref name="rows"/>, each member's gradient clipped on its own norm.</summary>
    void UpdateCritic(Tensor perMemberLoss, Tensor rows)
    {
        criticOpt.ZeroGrad();
        perMemberLoss.sum().backward();
        EnsembleLinear.ClipGradNorm(CriticParameters(), Members, o.GradClip);
        criticOpt.Step(rows);
    }

    /// <summary>Member k's decentralised policy: its πⁱ, stepped through the episode as the single run's.</summary>
    public override IDecentralisedPolicy Member(int k) => Ensembles.RecurrentMemberPolicy(pi.Member(k, device), device,
        (logits, available) => MaskedCategorical.LogProbs(logits, available).exp());
}
