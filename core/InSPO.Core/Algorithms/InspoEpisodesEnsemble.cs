using InSPO.Actors;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// The recurrent InSPO on SMAC-lite (<see cref="InspoEpisodes"/>: the equations and every choice are in its header) for
/// S seeds at once, laid out as the feed-forward ensemble (<see cref="InspoEnsemble"/>):
/// <list type="bullet">
/// <item>πⁱ and μⁱ of every agent and member are one <see cref="EnsembleAgentNetwork"/> each (GRU agents, row j·S + s =
/// agent j of seed s); Qⁱ and Q̄ⁱ one <see cref="EnsembleMlp"/> each in the same order; μ^{-i} one
/// <see cref="EnsembleAutoregressiveBehaviour"/> per agent; one log α per member.</item>
/// <item>Each member draws its own episodes (the batches padded to the longest: the unroll is causal) and its own
/// update order; its per-step quantities are taken at its own filled steps (<see cref="MemberSteps"/>: rows padded to
/// the member with most, weight 0 on the padding, so every batch mean is the member's own). Its importance resampling
/// draws its Mₖ rows among its own Mₖ with its own generator, the single run's call.</item>
/// <item>In slot n of a round each member updates its own agent iₙ: the slot unrolls and steps rows iₙ·S + s
/// (<see cref="EnsembleAgentNetwork.UnrollAgents"/>, <see cref="MemberAdam"/>, Q̄'s Polyak step on those rows only).</item>
/// <item>Gradient clipping as the single run: per (agent, member) row for π and Q, and μⁱ together with μ^{-i} per
/// (agent, member).</item>
/// <item>A member whose loss is not finite ends the round at once and returns its losses so far; the group runner then
/// stops the whole group naming its seed.</item>
/// </list>
/// </summary>
public sealed class InspoEpisodesEnsemble : InspoEnsembleLearner<EnsembleAgentNetwork>
{
    /// <summary>Member k has options <paramref name="members"/>[k] (they may differ in <see cref="InspoOptions.PerMember"/>)
    /// and initial weights from <paramref name="inits"/>[k].</summary>
    public InspoEpisodesEnsemble(EnvSpec spec, IReadOnlyList<InspoOptions> members, Device device, IReadOnlyList<Generator> inits)
        : base(spec, Checked(members, inits), device, RolesOf(spec, members, device, inits))
    {
    }

    /// <summary>Each member's single learner, built from its own generator, draws the weights its single run starts from.</summary>
    static Roles RolesOf(EnvSpec spec, IReadOnlyList<InspoOptions> members, Device device, IReadOnlyList<Generator> inits)
    {
        var singles = inits.Select((g, k) => (InspoLearner)new InspoEpisodes(spec, members[k], CPU, g)).ToArray();
        return RolesOf(singles, spec, device, (name, net) => new EnsembleAgentNetwork(name, singles.Select(net).ToArray(), device));
    }

    // ------------------------------------------------------------------ phase 1: μⁱ and μ^{-i}

    protected override IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> BehaviourStep(IReadOnlyList<DeviceEpisodeBuffer> data, IReadOnlyList<Generator> generators)
    {
        var b = Ensembles.DrawEpisodes(data, generators, o.EpisodeBatch);
        var rows = MemberSteps.Of(b);
        // Eq. 21 over whole episodes per member and agent: −Σ_{b,t} filled · log μⁱ(aⁱ_t|τⁱ_t) / Σ filled
        var picked = MaskedCategorical.Pick(LogProbs(mu, b), b.Actions);                                        // S × B × T × N
        var muLoss = -(picked * b.Filled.unsqueeze(-1)).sum(new long[] { 1, 2 }) / b.Filled.sum(new long[] { 1, 2 }).unsqueeze(-1);   // S × N
        // Eq. 22 on each member's filled steps
        var (states, actions, available) = (rows.Take(b.States), rows.Take(b.Actions), rows.Take(b.Available));
        var teamLoss = N > 1
            ? stack(muMinus.Select(m => rows.Mean(-m.TeammateLogProbs(states, actions, available).sum(-1))).ToArray(), 1)
            : zeros_like(muLoss);
        muOpt.zero_grad();
        (muLoss + teamLoss).sum().backward();
        // the single run clips μⁱ with μ^{-i}, agent by agent: one clip row per (agent, member)
        if (o.GradClip > 0)
            EnsembleLinear.ClipGradNorm(muMinus.Select((m, i) => ((IEnumerable<Tensor>)m.parameters(), memberIndex + i * S))
                .Prepend((mu.parameters(), arange(N * S, dtype: int64, device: device))).ToArray(), N * S, o.GradClip);
        muOpt.step();
        return BehaviourLosses(muLoss, teamLoss);
    }

    // ------------------------------------------------------------------ phase 2: one round of sequential updates

    protected override IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> Round(long t, long total, IReadOnlyList<DeviceEpisodeBuffer> data,
                                                                                        IReadOnlyList<Generator> generators)
    {
        var (beta, betaValues) = BetaPerMember(t, total);
        var alpha = AlphaPerMember();
        var b = Ensembles.DrawEpisodes(data, generators, o.EpisodeBatch);
        var rows = MemberSteps.Of(b);
        var counts = rows.Counts;
        var (states, actions, available) = (rows.Take(b.States), rows.Take(b.Actions), rows.Take(b.Available));   // S × M × …

        // Per member and agent: log μⁱ over the B·T grid (frozen), and log πʲ at the member's rows — OLD now, the
        // updated agents' columns replaced by NEW as the round goes.
        Tensor muGrid, piRowsOld, piRowsNow, logMuMinus;
        using (no_grad())
        {
            muGrid = LogProbs(mu, b);                                                                            // S × B × T × N × A
            piRowsOld = rows.Take(LogProbs(pi, b));                                                              // S × M × N × A
            piRowsNow = piRowsOld;
            logMuMinus = N > 1
                ? stack(muMinus.Select(m => m.TeammateLogProbs(states, actions, available).sum(-1)).ToArray(), 2)  // S × M × N
                : zeros(S, rows.Count, N, device: device);
        }
        double[][]? scores = null;
        var orders = Enumerable.Range(0, S).Select(s =>
            SequentialUpdateOrder.Next(o.Order, N, generators[s], () => (scores ??= SemiGreedyScores(states, actions, piRowsNow, counts))[s])).ToArray();

        var losses = Enumerable.Range(0, S).Select(_ => new List<KeyValuePair<string, double>>()).ToArray();
        var rhoMean = zeros(S, device: device);
        for (int n = 0; n < N; n++)
        {
            var agentOf = orders.Select(order => order[n]).ToArray();
            var agents = tensor(agentOf.Select(i => (long)i).ToArray(), device: device);                        // S: iₙ of each member
            var agentRows = agents * S + memberIndex;
            var logMuGrid = OfAgents(muGrid, agents, 3);                                                          // S × B × T × A
            Tensor rho;
            using (no_grad())
            {
                // Eq. 23 with each member's NEW teammates (or OLD ones for all: simultaneous ablation)
                var source = MaskedCategorical.Pick(o.Sequential ? piRowsNow : piRowsOld, actions);              // S × M × N
                rho = InspoObjectives.ImportanceRatio(source, agents.view(S, 1).expand(S, rows.Count), OfAgents(logMuMinus, agents, 2), o.RhoMax);
                rhoMean += rows.Mean(rho) / N;
            }
            float[] td = Array.Empty<float>(), cql = td, policy = td;
            for (int inner = 0; inner < o.InnerSteps; inner++)
            {
                // Importance resampling within each member's batch: its Mₖ rows redrawn ∝ ρ among its own Mₖ.
                var drawn = rows.Select(stack(Enumerable.Range(0, S).Select(s =>
                {
                    var own = DeviceEpisodeBuffer.ResampleIndices(rho[s].narrow(0, 0, counts[s]), counts[s], generators[s]);
                    return cat(new[] { own, own.narrow(0, 0, 1).expand(rows.Count - counts[s]) });
                }).ToArray()));
                var logPiGrid = MaskedCategorical.LogProbs(pi.UnrollAgents(agentOf, b.Observations, b.LastActions), OfAgents(b.Available, agents, 3));   // S × B × T × A
                (td, cql) = CriticStep(agentRows, agents, b, drawn, logPiGrid.detach(), logMuGrid, alpha, beta);
                if (Diverged(losses, agents, ("critic", td), ("cql", cql))) return losses;
                TargetNetwork.PolyakRows(qTarget, q, agentRows, o.Tau);   // Q̄ ← τ Q + (1 − τ) Q̄, the updated rows only
                policy = PolicyStep(agentRows, agents, b, drawn, logPiGrid, logMuGrid, alpha, beta);
                if (Diverged(losses, agents, ("policy", policy))) return losses;
            }
            AddSlotLosses(losses, agentOf, td, cql, policy);
            if (o.Sequential)
                using (no_grad())
                {
                    var updated = rows.Take(MaskedCategorical.LogProbs(pi.UnrollAgents(agentOf, b.Observations, b.LastActions), OfAgents(b.Available, agents, 3)));
                    piRowsNow = piRowsNow.scatter(2, agents.view(S, 1, 1, 1).expand(S, rows.Count, 1, A), updated.unsqueeze(2));
                }
        }

        EndRound(losses, rhoMean, betaValues, () => KlGap(rows, o.Sequential ? piRowsNow : null, b, rows.Take(muGrid)));
        return losses;
    }

    /// <summary>Eq. 24 for each member's agent iₙ on its resampled rows, π and μ at τⁱ_{t+1} gathered from the unrolls
    /// (with `td_lambda`, the TD(λ) return over the member's episodes, taken at its rows): the TD error and CQL gap per
    /// member.</summary>
    (float[] Td, float[] Cql) CriticStep(Tensor agentRows, Tensor agents, EpisodeBatch b, MemberSteps drawn, Tensor logPiGrid, Tensor logMuGrid,
                                         Tensor alpha, Tensor beta)
    {
        var next = drawn.Next;
        Tensor y, muProbs;
        using (no_grad())
        {
            y = o.TdLambda > 0
                ? drawn.Take(InspoObjectives.LambdaCriticTargets(b.Rewards, b.Terminated + b.Truncated, b.Filled, logPiGrid, logMuGrid,
                    qTarget.ForwardRows(agentRows, b.States), o.Gamma, o.TdLambda, alpha.unsqueeze(-1), beta.unsqueeze(-1)))
                : InspoObjectives.CriticTarget(drawn.Take(b.Rewards), drawn.Take(b.Terminated + b.Truncated), o.Gamma, next.Take(logPiGrid),
                    next.Take(logMuGrid), qTarget.ForwardRows(agentRows, next.Take(b.States)), alpha, beta);
            muProbs = drawn.Take(logMuGrid).exp();
        }
        var (td, cql) = InspoObjectives.CriticTerms(q.ForwardRows(agentRows, drawn.Take(b.States)), OfAgents(drawn.Take(b.Actions), agents, 2), y,
            OfAgents(drawn.Take(b.Available), agents, 2), muProbs, drawn.Weights);
        qOpt.ZeroGrad();
        (td + o.CqlWeight * cql).sum().backward();
        if (o.GradClip > 0) EnsembleLinear.ClipGradNorm(q.parameters(), N * S, o.GradClip);   // rows not updated have no gradient
        qOpt.Step(agentRows);
        return (td.detach().cpu().data<float>().ToArray(), cql.detach().cpu().data<float>().ToArray());
    }

    /// <summary>Eq. 20 for each member's agent iₙ on its resampled rows: −Σ w · log πⁱ(aⁱ|τⁱ) per member, log πⁱ
    /// gathered from an unroll with gradient.</summary>
    float[] PolicyStep(Tensor agentRows, Tensor agents, EpisodeBatch b, MemberSteps drawn, Tensor logPiGrid, Tensor logMuGrid, Tensor alpha, Tensor beta)
    {
        var logPi = drawn.Take(logPiGrid);                                                                       // S × M × A
        var actions = OfAgents(drawn.Take(b.Actions), agents, 2);
        Tensor w;
        using (no_grad())
            w = InspoObjectives.PolicyWeight(qTarget.ForwardRows(agentRows, drawn.Take(b.States)), logPi.exp(), actions,
                MaskedCategorical.Pick(drawn.Take(logMuGrid), actions), alpha, beta, o.WeightMax);
        var loss = -InspoObjectives.BatchMean(w * MaskedCategorical.Pick(logPi, actions), drawn.Weights);   // S
        piOpt.ZeroGrad();
        loss.sum().backward();
        if (o.GradClip > 0) EnsembleLinear.ClipGradNorm(pi.parameters(), N * S, o.GradClip);
        piOpt.Step(agentRows);
        return loss.detach().cpu().data<float>().ToArray();
    }

    /// <summary>Eq. 25's Σᵢ (KL(πⁱ‖μⁱ) − D̄_KL) per member, the KL averaged over its filled steps, without gradient.</summary>
    Tensor KlGap(MemberSteps rows, Tensor? piRowsNow, EpisodeBatch b, Tensor muRows)
    {
        using var _ = no_grad();
        var logPi = piRowsNow ?? rows.Take(LogProbs(pi, b));                                                     // S × M × N × A
        return (rows.Mean(InspoObjectives.Kl(logPi, muRows)) - klTarget.view(S, 1)).sum(-1);                      // S
    }

    /// <summary>A2PO's score of every agent of every member on its own rows (target critics, current policies), [s][i].</summary>
    double[][] SemiGreedyScores(Tensor states, Tensor actions, Tensor piRows, long[] counts)
    {
        using var _ = no_grad();
        var values = qTarget.forward(states.unsqueeze(0).expand(new[] { (long)N }.Concat(states.shape).ToArray()).reshape(N * S, states.shape[1], -1));
        var byMember = values.view(N, S, states.shape[1], -1);                                                   // N × S × M × A
        return Enumerable.Range(0, S).Select(s => Enumerable.Range(0, N).Select(i =>
        {
            long m = counts[s];
            return InspoObjectives.SemiGreedyScore(byMember[i][s].narrow(0, 0, m), piRows[s].select(1, i).narrow(0, 0, m).exp(),
                actions[s].select(1, i).narrow(0, 0, m));
        }).ToArray()).ToArray();
    }

    /// <summary>Every agent's masked log-probabilities over each member's episodes: S × B × T × N × A.</summary>
    static Tensor LogProbs(EnsembleAgentNetwork net, EpisodeBatch b) =>
        MaskedCategorical.LogProbs(net.Unroll(b.Observations, b.LastActions), b.Available);

    /// <summary>Member k's decentralised policy: its πⁱ, stepped through the episode as the single run's.</summary>
    public override IDecentralisedPolicy Member(int k) => Ensembles.RecurrentMemberPolicy(pi.Member(k, device), device,
        (logits, available) => MaskedCategorical.LogProbs(logits, available).exp());
}
