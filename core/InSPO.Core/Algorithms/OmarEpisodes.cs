// OMAR on SMAC-lite (Pan, Huang, Li, Xu, ICML 2022; SPEC 8) as the discrete OMAR of the CFCQL repository runs it
// (`discrete/src/learners/omar_learner.py`, `modules/critics/discrete_critic.py`, `config/algs/baseline_omar.yaml`;
// notes, reference-implementations §4.2): the learner behind the OMAR column of the InSPO paper's Table 4. Games and
// Bridge keep the transition learner of Omar.cs.
//
// Networks (parameters shared by all agents, told apart by a one-hot agent id):
// - actor πⁱ(·|τⁱ): PyMARL's RNNAgent (Linear → ReLU → GRUCell(64) → Linear) on [oⁱ_t, aⁱ_{t−1}, id], unrolled over
//   whole episodes; unavailable actions masked before the softmax.
// - critic: two heads Q₁, Q₂, each a 3-layer ReLU MLP of 256 units on [s_t, oⁱ_t, id] with a dueling output
//   Q_h(a) = A_h(a) + V_h (DoubleMLPNetwork). Targets π̄, Q̄₁, Q̄₂ are hard copies.
//
// Losses, per batch of B episodes, every (b, t, i) weighted by filled_{b,t} (masked means Σ filled·x / Σ filled):
// - Critic target, TD(λ) at the target actor's greedy available action āⁱ_{t+1} = argmax π̄ⁱ(·|τⁱ_{t+1}), per head:
//     G_{h,t} = r_t + γ (1 − done_t) [(1 − λ_t) Q̄_h(s_{t+1}, oⁱ_{t+1}, āⁱ_{t+1}) + λ_t G_{h,t+1}],
//     λ_t = λ while step t + 1 is real, 0 at an episode's last step (the recursion of EpisodeMixing.LambdaReturns),
//   and y = min(G₁, G₂): the minimum of the two heads' λ-returns (the code takes the minimum after the recursion).
// - Critic (CQL), per head h, summed over the heads:
//     L_Q = Σ_h [ (Q_h(aⁱ_D) − y)² + α_CQL (logsumexp_a Q_h(a) − Q_h(aⁱ_D)) ],  α_CQL = cql_alpha = 5.
// - Actor (OMAR's rectified objective with exact discrete search, critic head 1 detached, as the code):
//     L_π = (1 − c) · [−(Q₁(aⁱ_D) − Σ_a πⁱ(a) Q₁(a)) · log πⁱ(aⁱ_D)] + c · (1/|A|) Σ_a (πⁱ(a) − onehot(argmax_a Q₁)(a))²,
//   c = omar_coe = 0.5.
// - Order per batch as the code: critic updates, target copy when due, then one actor update. Adam lr 1e-3 for both,
//   gradient-norm clip 10.
//
// Where this differs from the code, and why:
// - The code's second head reuses the first head's output layers (fc3, fc3_v instead of fc6, fc6_v: a bug that ties
//   the heads' last layers). Not reproduced: each head has its own layers, as the class's design (fc6, fc6_v exist,
//   unused) intends.
// - The critic is stepped once per time step t of the batch (T − 1 updates per batch), as the code does; the option
//   critic_per_step = 0 takes one step on the whole batch instead.
// - "done" is terminated or truncated (the offline convention of every learner here, PyMARL data storing a time-out
//   as terminated): the last step of every episode bootstraps from nothing.
// - The CQL logsumexp, the argmax of Q₁ in the regression target and the target actor's argmax run over available
//   actions (the code masks only the last). The code's regression target can be an unavailable action, which the
//   masked policy can never reach.
// - Every loss is masked by filled; the code's MSE term averages over padding slots too. log π is exact (log-softmax),
//   where the code adds 1e-5 inside the log.
// - Episodes per batch: AgentNetworks.EpisodeBatch (128 at paper, 32 at quick, 8 at smoke) instead of 128 everywhere.
// - Target copies every 25 updates: the code's "200 episodes" counted by its offline loop at 8 per update (see
//   OmarEpisodesOptions.TargetInterval).
// - Execution: Act returns πⁱ; the SMAC-lite evaluator plays its argmax (the code's greedy test mode).
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using InSPO.Online;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// OMAR on episode batches with a shared recurrent actor and a twin dueling critic on [s, oⁱ, id] (see the file
/// header for every equation and every difference from the CFCQL code). Used on SMAC-lite maps.
/// </summary>
public sealed class OmarEpisodes : IOfflineLearner, IHasOptions
{
    readonly OmarEpisodesOptions o;
    readonly int N, A;
    readonly Device device;
    readonly AgentNetwork pi, piTarget;
    readonly TwinDuelingCritic critic, criticTarget;
    readonly optim.Optimizer piOpt, criticOpt;
    // Scalars the per-time-step loop reuses, held for the learner's life: an implicitly converted one can be freed by a
    // garbage collection during the native call under TorchSharp 0.107 (see Qmix.Unavailable).
    readonly Scalar cqlWeight;
    static readonly Scalar MaskedLogit = MaskedCategorical.MaskedLogit.ToScalar(), Unavailable = float.NegativeInfinity.ToScalar();

    public OmarEpisodes(EnvSpec spec, OmarEpisodesOptions options, Device device, Generator init)
    {
        o = options;
        this.device = device;
        cqlWeight = options.CqlWeight.ToScalar();
        N = spec.Agents;
        A = spec.Actions;
        if (!options.Actor.Shared || !options.Actor.AgentId || !options.Actor.Recurrent)
            throw new ArgumentException("omar on episodes: the actor must be a shared recurrent network with the agent id");
        pi = AgentNetwork.Create("pi", N, spec.ObservationSize, A, A, options.Actor, init, smallOutput: true);
        piTarget = AgentNetwork.Create("pi", N, spec.ObservationSize, A, A, options.Actor, init, smallOutput: true);
        int criticIn = spec.StateSize + spec.ObservationSize + N;
        critic = new TwinDuelingCritic("critic", criticIn, options.CriticHidden, A, init);
        criticTarget = new TwinDuelingCritic("critic", criticIn, options.CriticHidden, A, init);
        foreach (var m in new nn.Module[] { pi, piTarget, critic, criticTarget }) m.to(device);
        CopyTargets();
        foreach (var p in piTarget.parameters().Concat(criticTarget.parameters())) p.requires_grad = false;
        piOpt = optim.Adam(pi.parameters(), o.LearningRate);
        criticOpt = optim.Adam(critic.parameters(), o.LearningRate);
        Modules = new (string, nn.Module)[] { ("pi", pi), ("pi_target", piTarget), ("critic", critic), ("critic_target", criticTarget) };
        Optimizers = new (string, optim.Optimizer)[] { ("pi", piOpt), ("critic", criticOpt) };
    }

    public string Name => "omar";
    public OmarEpisodesOptions Options => o;
    object IHasOptions.Options => o;
    public IReadOnlyList<(string Name, nn.Module Module)> Modules { get; }
    public IReadOnlyList<(string Name, optim.Optimizer Optimizer)> Optimizers { get; }

    /// <summary>The networks, for the seed ensemble (<see cref="OmarEpisodesEnsemble"/>) to copy its members' initial weights from.</summary>
    internal (AgentNetwork Pi, AgentNetwork PiTarget, Mlp Critic1, Mlp Critic2, Mlp Critic1Target, Mlp Critic2Target) Networks =>
        (pi, piTarget, critic.Head1, critic.Head2, criticTarget.Head1, criticTarget.Head2);

    void CopyTargets()
    {
        TargetNetwork.Copy(piTarget, pi);
        TargetNetwork.Copy(criticTarget, critic);
    }

    /// <summary>One batch of episodes: the critic's updates, the target copy when due, one actor update (header).</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Step(long step, long totalSteps, DeviceEpisodeBuffer data, Generator generator)
    {
        var b = data.SampleEpisodes(o.EpisodeBatch, generator);
        var d = Prepare(b);

        Tensor td, cql;
        if (o.CriticUpdatePerTimeStep)
        {
            // The code's schedule: one optimiser step per time step, every (b, i) of that step in one masked mean.
            td = zeros(1, device: device);
            cql = zeros(1, device: device);
            for (long t = 0; t < d.Steps; t++)
            {
                var (tdT, cqlT) = CriticLoss(d.CriticInput.select(1, t), d.Actions.select(1, t), d.Available.select(1, t), d.Targets.select(1, t), d.Mask.select(1, t));
                Update(criticOpt, tdT + cqlWeight * cqlT, critic.parameters());
                td += tdT.detach();
                cql += cqlT.detach();
            }
            td /= d.Steps;
            cql /= d.Steps;
        }
        else
        {
            (td, cql) = CriticLoss(d.CriticInput.narrow(1, 0, d.Steps), d.Actions, d.Available, d.Targets, d.Mask);
            Update(criticOpt, td + o.CqlWeight * cql, critic.parameters());
        }
        if ((step + 1) % o.TargetInterval == 0) CopyTargets();

        var (actor, pg, rectification) = ActorLossOf(b, d);
        Update(piOpt, actor, pi.parameters());

        return new KeyValuePair<string, double>[]
        {
            new("loss/critic", td.item<float>()), new("loss/cql", cql.item<float>()),
            new("loss/pg", pg.item<float>()), new("loss/omar", rectification.item<float>()),
            new("train/target_mean", ((d.Targets * d.Mask).sum() / d.Mask.sum()).item<float>()),
        };
    }

    /// <summary>The losses of the current networks on a batch, without any update (the critic loss over the whole batch
    /// at once): what the tests check masking and the actor's objective on.</summary>
    public (Tensor Critic, Tensor Actor, Tensor PolicyGradient, Tensor Rectification) Losses(EpisodeBatch b)
    {
        var d = Prepare(b);
        var (td, cql) = CriticLoss(d.CriticInput.narrow(1, 0, d.Steps), d.Actions, d.Available, d.Targets, d.Mask);
        var (actor, pg, rectification) = ActorLossOf(b, d);
        return (td + o.CqlWeight * cql, actor, pg, rectification);
    }

    /// <summary>What every loss of a batch reads: critic inputs at every slot, the steps' actions, availability, mask
    /// (filled per agent) and the critic targets y.</summary>
    sealed record Prepared(Tensor CriticInput, Tensor Actions, Tensor Available, Tensor Mask, Tensor Targets, long Steps);

    Prepared Prepare(EpisodeBatch b)
    {
        long steps = b.Slots - 1;
        var input = CriticInput(b.States, b.Observations, N);                                          // B × T × N × W
        Tensor targets;
        using (no_grad())
        {
            // āⁱ_t = argmax over available actions of the target actor, at every slot (t + 1 reads slot t + 1)
            var targetLogits = piTarget.Unroll(b.Observations, b.LastActions);                          // B × T × N × A
            var nextActions = targetLogits.masked_fill(b.Available.logical_not(), Unavailable).argmax(-1);
            var (q1, q2) = criticTarget.forward(input);
            var done = b.Terminated + b.Truncated;
            targets = CriticTargets(b.Rewards, done, b.Filled, MaskedCategorical.Pick(q1, nextActions),
                MaskedCategorical.Pick(q2, nextActions), o.Gamma, o.Lambda);                           // B × (T−1) × N
        }
        var mask = b.Filled.narrow(1, 0, steps).unsqueeze(-1).expand(b.Count, steps, N);
        return new Prepared(input, b.Actions.narrow(1, 0, steps), b.Available.narrow(1, 0, steps), mask, targets, steps);
    }

    /// <summary>[s, oⁱ, id] for every slot and agent: states … × T × S, observations … × T × N × O → … × T × N × (S + O + N).</summary>
    public static Tensor CriticInput(Tensor states, Tensor observations, int agents)
    {
        var rows = observations.shape[..^1];                                                           // … × T × N
        var s = states.unsqueeze(-2).expand(rows.Append(states.shape[^1]).ToArray());
        var id = eye(agents, dtype: observations.dtype, device: observations.device).expand(rows.Append((long)agents).ToArray());
        return cat(new[] { s, observations, id }, -1);
    }

    /// <summary>Σ mask · x / Σ mask: over everything, or (<paramref name="perMember"/>) per member of a seed ensemble over
    /// all but the leading member dimension, a member with no row giving 0.</summary>
    static Tensor MaskedMean(Tensor x, Tensor mask, bool perMember) =>
        perMember ? (x * mask).flatten(1).sum(1) / mask.flatten(1).sum(1).clamp_min(1) : (x * mask).sum() / mask.sum();

    /// <summary>The CQL critic loss of both heads on rows … × W (header): returns the summed TD and CQL terms.</summary>
    (Tensor Td, Tensor Cql) CriticLoss(Tensor input, Tensor actions, Tensor available, Tensor targets, Tensor mask)
    {
        var (q1, q2) = critic.forward(input);
        var (td1, cql1) = CriticHeadLoss(q1, actions, available, targets, mask);
        var (td2, cql2) = CriticHeadLoss(q2, actions, available, targets, mask);
        return (td1 + td2, cql1 + cql2);
    }

    /// <summary>One head's masked terms: mean (Q(a_D) − y)² and mean (logsumexp over available a of Q(a) − Q(a_D)).
    /// <paramref name="q"/> … × A, <paramref name="actions"/>, <paramref name="targets"/> and <paramref name="mask"/> …;
    /// <paramref name="perMember"/>: one mean per member of a seed ensemble (leading dimension S).</summary>
    public static (Tensor Td, Tensor Cql) CriticHeadLoss(Tensor q, Tensor actions, Tensor available, Tensor targets, Tensor mask, bool perMember = false)
    {
        var taken = MaskedCategorical.Pick(q, actions);
        var td = MaskedMean((taken - targets).square(), mask, perMember);
        var logSumExp = q.masked_fill(available.logical_not(), MaskedLogit).logsumexp(-1);
        var cql = MaskedMean(logSumExp - taken, mask, perMember);
        return (td, cql);
    }

    (Tensor Loss, Tensor PolicyGradient, Tensor Rectification) ActorLossOf(EpisodeBatch b, Prepared d)
    {
        var logits = pi.Unroll(b.Observations, b.LastActions).narrow(1, 0, d.Steps);                // B × (T−1) × N × A
        var logPi = MaskedCategorical.LogProbs(logits, d.Available);
        Tensor q;
        using (no_grad()) q = critic.forward(d.CriticInput.narrow(1, 0, d.Steps)).Q1;              // the code's head 1
        return ActorLoss(logPi, q, d.Actions, d.Available, d.Mask, o.OmarCoe);
    }

    /// <summary>OMAR's actor objective (header): (1 − c)·policy gradient + c·rectification, each a masked mean.
    /// <paramref name="logPi"/> and <paramref name="q"/> (no gradient) … × A; <paramref name="actions"/> and <paramref name="mask"/> …;
    /// <paramref name="perMember"/>: one objective per member of a seed ensemble (leading dimension S).</summary>
    public static (Tensor Loss, Tensor PolicyGradient, Tensor Rectification) ActorLoss(Tensor logPi, Tensor q, Tensor actions, Tensor available,
                                                                                       Tensor mask, double coe, bool perMember = false)
    {
        var probs = logPi.exp();
        var advantage = (MaskedCategorical.Pick(q, actions) - (probs * q).sum(-1)).detach();
        var pg = MaskedMean(-(advantage * MaskedCategorical.Pick(logPi, actions)), mask, perMember);
        var best = nn.functional.one_hot(q.masked_fill(available.logical_not(), Unavailable).argmax(-1), q.shape[^1]).to_type(probs.dtype);
        var rectification = MaskedMean((probs - best).square().mean(new long[] { -1 }), mask, perMember);
        return ((1 - coe) * pg + coe * rectification, pg, rectification);
    }

    /// <summary>y = min(G₁, G₂), each head's TD(λ) return (header): rewards, done and filled B × T; the two target heads'
    /// values at the target actor's actions B × T × N → B × (T − 1) × N.</summary>
    public static Tensor CriticTargets(Tensor rewards, Tensor done, Tensor filled, Tensor next1, Tensor next2, double gamma, double lambda)
    {
        long batch = next1.shape[0], slots = next1.shape[1], agents = next1.shape[2];
        // Every agent's return runs the same recursion on the team reward: agents become rows of a (B·N) × T batch.
        Tensor PerAgent(Tensor x) => x.unsqueeze(1).expand(batch, agents, slots).reshape(batch * agents, slots);
        Tensor Returns(Tensor next) =>
            EpisodeMixing.LambdaReturns(PerAgent(rewards), PerAgent(done), PerAgent(filled), next.permute(0, 2, 1).reshape(batch * agents, slots), gamma, lambda)
                .view(batch, agents, slots - 1).permute(0, 2, 1);
        return minimum(Returns(next1), Returns(next2));
    }

    void Update(optim.Optimizer optimizer, Tensor loss, IEnumerable<Parameter> parameters)
    {
        optimizer.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(parameters, o.GradClip);
        optimizer.step();
    }

    public Tensor? InitialState(long episodes) => pi.InitialState(episodes, device);

    /// <summary>πⁱ(·|τⁱ_t) of every agent, one step of the recurrent actor (the evaluator plays its argmax).</summary>
    public (Tensor Probabilities, Tensor? Hidden) Act(Tensor observations, Tensor available, Tensor lastActions, Tensor? hidden)
        => MaskedCategorical.RecurrentStep(pi, observations, available, lastActions, hidden);

    public void Dispose()
    {
        foreach (var (_, m) in Modules) m.Dispose();
    }

    /// <summary>Q(a) = A(a) + V of a head's output … × (|A| + 1): its first |A| units are A, the last V.</summary>
    public static Tensor Dueling(Tensor output, long actions) => output.narrow(-1, 0, actions) + output.narrow(-1, actions, 1);

    /// <summary>The CFCQL code's DoubleMLPNetwork, each head with its own layers: Q_h(x, a) = A_h(x)(a) + V_h(x), A_h and
    /// V_h the two parts of one 3-layer MLP's output (|A| + 1 units).</summary>
    sealed class TwinDuelingCritic : nn.Module<Tensor, (Tensor Q1, Tensor Q2)>
    {
        readonly Mlp head1, head2;
        readonly long actions;

        public Mlp Head1 => head1;
        public Mlp Head2 => head2;

        public TwinDuelingCritic(string name, long inputs, int hidden, long actions, Generator init) : base(name)
        {
            this.actions = actions;
            head1 = new Mlp("head1", inputs, hidden, actions + 1, init);
            head2 = new Mlp("head2", inputs, hidden, actions + 1, init);
            RegisterComponents();
        }

        public override (Tensor Q1, Tensor Q2) forward(Tensor input) => (Dueling(head1.forward(input), actions), Dueling(head2.forward(input), actions));
    }
}
