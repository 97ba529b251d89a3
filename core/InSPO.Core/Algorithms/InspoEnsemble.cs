using InSPO.Actors;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// The feed-forward InSPO (<see cref="Inspo"/>: the equations and every choice are in its header) for S seeds at
/// once. Member s draws its batches, its update order and its resampled rows from its own generator, with exactly
/// the calls of its single run, so member s is the single run of seed s up to the rounding of batched matmuls.
/// <list type="bullet">
/// <item>πⁱ, μⁱ, Qⁱ, Q̄ⁱ of every agent and member are one <see cref="EnsembleMlp"/> per role with S·N members,
/// member j·S + s holding agent j of seed s. In slot n of a round each member updates its own agent iₙ (members'
/// random or semi-greedy orders differ), so the slot gathers row iₙ·S + s per member: one batched update per slot,
/// N per round, as a single run. Their Adam is <see cref="MemberAdam"/> (only the gathered rows step) and Q̄'s
/// Polyak step moves only those rows.</item>
/// <item>μ^{-i}: one <see cref="EnsembleAutoregressiveBehaviour"/> per agent; phase 1 trains every agent of every
/// member each step under one Adam (elementwise: the single run's per-agent Adams).</item>
/// <item>α: one log α per member (Eq. 25 on its own KL). Members may set their loss coefficients apart
/// (<see cref="InspoOptions.PerMember"/>: α fixed or auto-tuned towards its own D̄_KL, β₀ and its schedule), which
/// enter Eq. 20, 24 and 25 as S × 1 tensors.</item>
/// <item>A member whose loss is not finite ends the round at once and returns its losses so far; the group
/// runner then stops the whole group naming its seed (a NaN ρ would make the next resampling fail).</item>
/// </list>
/// Dataset-level resampling (<see cref="ResampleScope.Dataset"/>: members' datasets differ in size) is not batched;
/// such groups train seed after seed.
/// </summary>
public sealed class InspoEnsemble : InspoEnsembleLearner<EnsembleMlp>
{
    public static bool Supports(InspoOptions options) => options.Resample == ResampleScope.Batch;

    /// <summary>Member k has options <paramref name="members"/>[k] (they may differ in <see cref="InspoOptions.PerMember"/>)
    /// and initial weights from <paramref name="inits"/>[k].</summary>
    public InspoEnsemble(EnvSpec spec, IReadOnlyList<InspoOptions> members, Device device, IReadOnlyList<Generator> inits)
        : base(spec, members.All(Supports) ? Checked(members, inits) : throw new ArgumentException("the InSPO ensemble resamples within each member's batch only"),
               device, RolesOf(spec, members, device, inits))
    {
    }

    /// <summary>Each member's single learner, built from its own generator, draws the weights its single run starts from.</summary>
    static Roles RolesOf(EnvSpec spec, IReadOnlyList<InspoOptions> members, Device device, IReadOnlyList<Generator> inits)
    {
        var singles = inits.Select((g, k) => (InspoLearner)new Inspo(spec, members[k], CPU, g)).ToArray();
        return RolesOf(singles, spec, device, (name, net) => AgentMajor(name, singles, net, spec.Agents, device));
    }

    // ------------------------------------------------------------------ phase 1: μⁱ and μ^{-i}

    protected override IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> BehaviourStep(IReadOnlyList<DeviceEpisodeBuffer> data, IReadOnlyList<Generator> generators)
    {
        var b = Ensembles.DrawTransitions(data, generators, o.BatchSize);
        // Eq. 21 per member and agent: −E_D log μⁱ(aⁱ|oⁱ); Eq. 22: −E_D Σ_{j≠i} log μ^{-i}(aʲ | s, aⁱ, a^{<j})
        var muLoss = -MaskedCategorical.Pick(AllAgents(mu, b.Observations, b.Available), b.Actions).mean(new long[] { 1 });   // S × N
        var teamLoss = N > 1
            ? stack(muMinus.Select(m => m.Loss(b.States, b.Actions, b.Available)).ToArray(), 1)
            : zeros_like(muLoss);
        muOpt.zero_grad();
        (muLoss + teamLoss).sum().backward();
        muOpt.step();
        return BehaviourLosses(muLoss, teamLoss);
    }

    // ------------------------------------------------------------------ phase 2: one round of sequential updates

    protected override IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> Round(long t, long total, IReadOnlyList<DeviceEpisodeBuffer> data,
                                                                                        IReadOnlyList<Generator> generators)
    {
        var (beta, betaValues) = BetaPerMember(t, total);
        var alpha = AlphaPerMember();
        var pool = Ensembles.DrawTransitions(data, generators, (long)o.BatchSize * o.InnerSteps);
        long k = pool.Rewards.shape[1];

        // log πʲ(aʲ_D|oʲ) of every agent on each member's pool (S × K × N): OLD now, NEW columns as agents are updated.
        Tensor logPiOld, logPiNow, logMuMinus;
        using (no_grad())
        {
            logPiOld = MaskedCategorical.Pick(AllAgents(pi, pool.Observations, pool.Available), pool.Actions);
            logPiNow = logPiOld;
            logMuMinus = N > 1
                ? stack(muMinus.Select(m => m.TeammateLogProbs(pool.States, pool.Actions, pool.Available).sum(-1)).ToArray(), 2)
                : zeros_like(logPiOld);
        }
        double[][]? scores = null;
        var orders = Enumerable.Range(0, S).Select(s =>
            SequentialUpdateOrder.Next(o.Order, N, generators[s], () => (scores ??= SemiGreedyScores(pool))[s])).ToArray();

        var losses = Enumerable.Range(0, S).Select(_ => new List<KeyValuePair<string, double>>()).ToArray();
        var rhoMean = zeros(S, device: device);
        for (int n = 0; n < N; n++)
        {
            var agents = tensor(orders.Select(order => (long)order[n]).ToArray(), device: device);   // S: iₙ of each member
            var rows = agents * S + memberIndex;
            Tensor rho;
            using (no_grad())
            {
                // Eq. 23 with each member's NEW teammates (or OLD ones for all: simultaneous ablation)
                rho = InspoObjectives.ImportanceRatio(o.Sequential ? logPiNow : logPiOld, agents.view(S, 1).expand(S, k), OfAgents(logMuMinus, agents), o.RhoMax);
                rhoMean += rho.mean(new long[] { 1 }) / N;
            }
            float[] td = Array.Empty<float>(), cql = td, policy = td;
            for (int inner = 0; inner < o.InnerSteps; inner++)
            {
                // Importance resampling within each member's batch, from its own generator.
                var drawn = stack(Enumerable.Range(0, S).Select(s => DeviceEpisodeBuffer.ResampleIndices(rho[s], o.BatchSize, generators[s])).ToArray());
                var b = pool.SelectPerMember(drawn);
                (td, cql) = CriticStep(rows, agents, b, alpha, beta);
                if (Diverged(losses, agents, ("critic", td), ("cql", cql))) return losses;
                TargetNetwork.PolyakRows(qTarget, q, rows, o.Tau);   // Q̄ ← τ Q + (1 − τ) Q̄, the updated rows only
                policy = PolicyStep(rows, agents, b, alpha, beta);
                if (Diverged(losses, agents, ("policy", policy))) return losses;
            }
            AddSlotLosses(losses, orders.Select(order => order[n]).ToArray(), td, cql, policy);
            if (o.Sequential)
                using (no_grad())
                {
                    var updated = MaskedCategorical.Pick(LogProbs(pi, rows, OfAgents(pool.Observations, agents), OfAgents(pool.Available, agents)),
                        OfAgents(pool.Actions, agents));
                    logPiNow = logPiNow.scatter(2, agents.view(S, 1, 1).expand(S, k, 1), updated.unsqueeze(2));
                }
        }

        EndRound(losses, rhoMean, betaValues, () => KlGap(pool));
        return losses;
    }

    /// <summary>Eq. 24 for each member's agent iₙ (its rows of the role ensembles): the TD error and CQL gap per member.</summary>
    (float[] Td, float[] Cql) CriticStep(Tensor rows, Tensor agents, TransitionBatch b, Tensor alpha, Tensor beta)
    {
        Tensor y, muProbs;
        using (no_grad())
        {
            var nextObservations = OfAgents(b.NextObservations, agents);
            var nextAvailable = OfAgents(b.NextAvailable, agents);
            y = InspoObjectives.CriticTarget(b.Rewards, b.Done, o.Gamma, LogProbs(pi, rows, nextObservations, nextAvailable),
                LogProbs(mu, rows, nextObservations, nextAvailable), qTarget.ForwardRows(rows, b.NextStates), alpha, beta);
            muProbs = LogProbs(mu, rows, OfAgents(b.Observations, agents), OfAgents(b.Available, agents)).exp();
        }
        var (td, cql) = InspoObjectives.CriticTerms(q.ForwardRows(rows, b.States), OfAgents(b.Actions, agents), y, OfAgents(b.Available, agents), muProbs);
        qOpt.ZeroGrad();
        (td + o.CqlWeight * cql).sum().backward();
        qOpt.Step(rows);
        return (td.detach().cpu().data<float>().ToArray(), cql.detach().cpu().data<float>().ToArray());
    }

    /// <summary>Eq. 20 for each member's agent iₙ: −E[w · log πⁱ(aⁱ|oⁱ)] per member.</summary>
    float[] PolicyStep(Tensor rows, Tensor agents, TransitionBatch b, Tensor alpha, Tensor beta)
    {
        var observations = OfAgents(b.Observations, agents);
        var available = OfAgents(b.Available, agents);
        var actions = OfAgents(b.Actions, agents);
        var logPi = LogProbs(pi, rows, observations, available);
        Tensor w;
        using (no_grad())
        {
            var logMuA = MaskedCategorical.Pick(LogProbs(mu, rows, observations, available), actions);
            w = InspoObjectives.PolicyWeight(qTarget.ForwardRows(rows, b.States), logPi.exp(), actions, logMuA, alpha, beta, o.WeightMax);
        }
        var loss = -(w * MaskedCategorical.Pick(logPi, actions)).mean(new long[] { 1 });   // S
        piOpt.ZeroGrad();
        loss.sum().backward();
        piOpt.Step(rows);
        return loss.detach().cpu().data<float>().ToArray();
    }

    /// <summary>Eq. 25's Σᵢ (KL(πⁱ‖μⁱ) − D̄_KL) per member on its batch, without gradient.</summary>
    Tensor KlGap(TransitionBatch b)
    {
        using var _ = no_grad();
        var logPi = AllAgents(pi, b.Observations, b.Available);
        var logMu = AllAgents(mu, b.Observations, b.Available);
        var klSum = zeros(S, device: device);
        for (int i = 0; i < N; i++)
            klSum = klSum + InspoObjectives.Kl(logPi.select(2, i), logMu.select(2, i)).mean(new long[] { 1 }) - klTarget;
        return klSum;
    }

    /// <summary>A2PO's score of every agent of every member (target critics, current policies), [s][i].</summary>
    double[][] SemiGreedyScores(TransitionBatch b)
    {
        using var _ = no_grad();
        var probs = AllAgents(pi, b.Observations, b.Available).exp();                                   // S × K × N × A
        var states = b.States.unsqueeze(0).expand(new[] { (long)N }.Concat(b.States.shape).ToArray());   // N × S × K × state
        var values = ByMember(qTarget.forward(states.reshape(N * S, b.States.shape[1], -1)));            // S × K × N × A
        return Enumerable.Range(0, S).Select(s => Enumerable.Range(0, N).Select(i =>
            InspoObjectives.SemiGreedyScore(values[s].select(1, i), probs[s].select(1, i), b.Actions[s].select(1, i))).ToArray()).ToArray();
    }

    /// <summary>Masked log-probabilities of chosen rows of a role ensemble: inputs S × K × O, availability S × K × A.</summary>
    static Tensor LogProbs(EnsembleMlp net, Tensor rows, Tensor observations, Tensor available) =>
        MaskedCategorical.LogProbs(net.ForwardRows(rows, observations), available);

    /// <summary>Every agent of every member through a role ensemble: S × K × N × O → masked log-probabilities S × K × N × A.</summary>
    Tensor AllAgents(EnsembleMlp net, Tensor observations, Tensor available)
    {
        var agentMajor = observations.permute(2, 0, 1, 3).reshape(N * S, observations.shape[1], -1);   // (N·S) × K × O
        return MaskedCategorical.LogProbs(ByMember(net.forward(agentMajor)), available);
    }

    /// <summary>(N·S) × K × A in agent-major order → S × K × N × A.</summary>
    Tensor ByMember(Tensor agentMajor) => agentMajor.view(N, S, agentMajor.shape[1], -1).permute(1, 2, 0, 3);

    /// <summary>Each member's own agent: x S × K × N × … and agents S (int64) → S × K × ….</summary>
    static Tensor OfAgents(Tensor x, Tensor agents) => OfAgents(x, agents, 2);

    /// <summary>Member k's decentralised policy: πⁱ(·|oⁱ) of its rows, every agent.</summary>
    public override IDecentralisedPolicy Member(int member) => Ensembles.MemberPolicy((observations, available) =>
        stack(Enumerable.Range(0, N).Select(j => MaskedCategorical.LogProbs(pi.ForwardMember(j * S + member, observations.select(1, j)),
            available.select(1, j)).exp()).ToArray(), 1));

}
