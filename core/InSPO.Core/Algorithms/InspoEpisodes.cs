using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// The practical InSPO on whole episodes with recurrent policies (SPEC 3, paper Appendix B): the SMAC-lite learner.
/// The equations are <see cref="Inspo"/>'s (shared in <see cref="InspoObjectives"/>); what changes is where a policy's
/// probabilities come from: πⁱ(·|τⁱ_t) and μⁱ(·|τⁱ_t) are GRU agents unrolled over each episode of the batch, and
/// every per-row quantity is gathered from those unrolls at the batch's filled steps (<see cref="EpisodeSteps"/>).
/// <list type="bullet">
/// <item>Networks: πⁱ and μⁱ one GRU agent per agent (Linear 64 → ReLU → GRUCell 64 → Linear, last action appended;
/// not shared, so a round stays sequential — SPEC 3; the `feedforward` ablation makes them MLPs of the same width on
/// the observation alone); Qⁱ(s,·), Q̄ⁱ and μ^{-i}(·|s, aⁱ) MLPs on the global state, as on
/// the games (the state is Markov for them, so they need no memory); hidden units from the options (the profile's).</item>
/// <item>Phase 1 (<see cref="InspoOptions.BehaviourSteps"/>): μⁱ by Eq. 21 masked with the filled steps, μ^{-i} by
/// Eq. 22 on the batch's filled steps; then frozen.</item>
/// <item>Phase 2, one round per step on one batch of B episodes (M filled steps): every πʲ is unrolled once (OLD);
/// for n = 1..N, agent iₙ's ρ (Eq. 23) uses NEW πʲ for the agents already updated this round (sequential) or OLD
/// ones (`sequential off`); M rows are redrawn ∝ ρ from the batch's filled steps (importance resampling within the
/// episode batch); the critic (Eq. 24; with `td_lambda`, its target is the TD(λ) return over the batch's episodes,
/// <c>InspoObjectives.LambdaCriticTargets</c>) and the policy (Eq. 20) take those rows, the policy's log-probabilities
/// gathered from an unroll with gradient; Polyak target; agent iₙ's NEW πⁱ is unrolled again. Then α (Eq. 25) on
/// the mean KL over the filled steps.</item>
/// </list>
/// Choices the paper leaves open: the resampled rows are individual steps, not whole episodes (ρ is per step, and a
/// step's policy input is its history, which the unroll already holds); a time-out ends the bootstrap as on the
/// CFCQL data (Done = terminated or truncated, as every offline learner here); the target's E_{a'∼π} uses agent i's
/// current policy at τⁱ_{t+1} from the same unroll; gradients clipped at <see cref="InspoOptions.GradClip"/>.
/// </summary>
public sealed class InspoEpisodes : InspoLearner
{
    public InspoEpisodes(EnvSpec spec, InspoOptions options, Device device, Generator init)
        : base(spec, options, options.FeedForward ? AgentNetworkOptions.PerAgentMlp(AgentNetworkOptions.SmacAgentHidden) : AgentNetworkOptions.PerAgentRecurrent(), device, init)
    {
    }

    // ------------------------------------------------------------------ phase 1: μⁱ and μ^{-i}

    protected override IReadOnlyList<KeyValuePair<string, double>> BehaviourStep(DeviceEpisodeBuffer data, Generator generator)
    {
        var b = data.SampleEpisodes(o.EpisodeBatch, generator);
        var steps = EpisodeSteps.Of(b);
        // Eq. 21 over whole episodes: −Σ_{b,t} filled · log μⁱ(aⁱ_t|τⁱ_t) / Σ filled, all agents in one unroll
        var picked = MaskedCategorical.Pick(LogProbs(mu, b), b.Actions);   // B × T × N
        var filled = b.Filled.sum();
        var losses = new List<KeyValuePair<string, double>>();
        var total = new List<Tensor>();
        for (int i = 0; i < N; i++)
        {
            var muLoss = -(picked.select(2, i) * b.Filled).sum() / filled;
            // Eq. 22 on the batch's filled steps: −E Σ_{j≠i} log μ^{-i}(aʲ | s, aⁱ, a^{<j})
            var rows = steps.Rows;
            var teamLoss = N > 1 ? muMinus[i].Loss(rows.States, rows.Actions, rows.Available) : zeros(1, device: device).sum();
            total.Add(muLoss + teamLoss);
            losses.Add(new($"loss/mu{i}", muLoss.item<float>()));
            losses.Add(new($"loss/mu_minus{i}", teamLoss.item<float>()));
        }
        // agents share no parameter: one backward of the sum gives each its own loss's gradient
        foreach (var opt in muOpt) opt.zero_grad();
        stack(total).sum().backward();
        for (int i = 0; i < N; i++)
        {
            Clip(mu.Member(i).parameters().Concat(muMinus[i].parameters()));
            muOpt[i].step();
        }
        return losses;
    }

    // ------------------------------------------------------------------ phase 2: one round of sequential updates

    protected override IReadOnlyList<KeyValuePair<string, double>> Round(long t, long total, DeviceEpisodeBuffer data, Generator generator)
    {
        double alpha = Alpha, beta = o.BetaAt(t, total);
        var losses = new List<KeyValuePair<string, double>>();
        var b = data.SampleEpisodes(o.EpisodeBatch, generator);
        var steps = EpisodeSteps.Of(b);
        var rows = steps.Rows;

        // Per agent, over the batch's B·T grid: log μⁱ (frozen) and log πⁱ — OLD now, replaced by NEW as agents are updated.
        Tensor[] logMu, logPiOld, logPiNow, pickedOld, pickedNow, logMuMinus;
        using (no_grad())
        {
            var muAll = LogProbs(mu, b);
            var piAll = LogProbs(pi, b);
            logMu = Enumerable.Range(0, N).Select(j => Grid(muAll.select(2, j))).ToArray();
            logPiOld = Enumerable.Range(0, N).Select(j => Grid(piAll.select(2, j))).ToArray();
            logPiNow = (Tensor[])logPiOld.Clone();
            pickedOld = Enumerable.Range(0, N).Select(j => PickRows(logPiOld[j], steps, j)).ToArray();
            pickedNow = (Tensor[])pickedOld.Clone();
            logMuMinus = Enumerable.Range(0, N).Select(i =>
                N > 1 ? muMinus[i].TeammateLogProbs(rows.States, rows.Actions, rows.Available).sum(1) : zeros(steps.Count, device: device)).ToArray();
        }

        var order = SequentialUpdateOrder.Next(o.Order, N, generator, () => SemiGreedyScores(steps, logPiNow));
        double rhoMean = 0;
        foreach (int i in order)
        {
            // Eq. 23 with NEW policies for the agents already updated this round (OLD for all when not sequential)
            Tensor rho;
            using (no_grad())
            {
                var source = o.Sequential ? pickedNow : pickedOld;
                rho = InspoObjectives.ImportanceRatio(source, i, logMuMinus[i], o.RhoMax);
                rhoMean += rho.mean().item<float>() / N;
            }
            double criticLoss = 0, cql = 0, policyLoss = 0;
            var actions = rows.Actions.select(1, i);
            for (int k = 0; k < o.InnerSteps; k++)
            {
                // Importance resampling within the episode batch: M rows redrawn ∝ ρ from its M filled steps.
                var drawn = DeviceEpisodeBuffer.ResampleIndices(rho, steps.Count, generator);
                var slots = steps.Slots.index_select(0, drawn);
                var logPiGrid = Grid(LogProbs(pi, b, i));   // (B·T) × A, with gradient
                var logPiDetached = logPiGrid.detach();
                (criticLoss, cql) = CriticStep(i, b, rows.Select(drawn), slots, steps.NextSlots.index_select(0, drawn), logPiDetached, logMu[i], alpha, beta);
                Checked($"loss/critic{i}", criticLoss);
                Checked($"loss/cql{i}", cql);
                TargetNetwork.Polyak(qTarget.Member(i), q.Member(i), o.Tau);   // Q̄ ← τ Q + (1 − τ) Q̄
                policyLoss = Checked($"loss/policy{i}", PolicyStep(i, rows.Select(drawn), actions.index_select(0, drawn), logPiGrid.index_select(0, slots),
                    logMu[i].index_select(0, slots), alpha, beta));
            }
            losses.Add(new($"loss/critic{i}", criticLoss));
            losses.Add(new($"loss/cql{i}", cql));
            losses.Add(new($"loss/policy{i}", policyLoss));

            if (o.Sequential)
                using (no_grad())
                {
                    logPiNow[i] = Grid(LogProbs(pi, b, i));
                    pickedNow[i] = PickRows(logPiNow[i], steps, i);
                }
        }

        losses.Add(new("train/rho_mean", rhoMean));
        losses.Add(new("train/beta", beta));
        if (o.AlphaAuto) losses.Add(new("loss/alpha", AlphaStep(b, steps, o.Sequential ? logPiNow : null, logMu)));
        losses.Add(new("train/alpha", Alpha));
        return losses;
    }

    /// <summary>Eq. 24 on the resampled rows, π and μ at τⁱ_{t+1} gathered from the unrolls; with `td_lambda` the target
    /// is the TD(λ) return over the batch's episodes, taken at the rows.</summary>
    (double Loss, double Cql) CriticStep(int i, EpisodeBatch b, TransitionBatch r, Tensor slots, Tensor nextSlots, Tensor logPiGrid, Tensor logMuGrid,
                                         double alpha, double beta)
    {
        Tensor y, muProbs;
        using (no_grad())
        {
            if (o.TdLambda > 0)
            {
                Tensor Episodes(Tensor grid) => grid.view(b.Count, b.Slots, -1);   // (B·T) × A → B × T × A
                y = InspoObjectives.LambdaCriticTargets(b.Rewards, b.Terminated + b.Truncated, b.Filled, Episodes(logPiGrid), Episodes(logMuGrid),
                    qTarget.Forward(i, b.States), o.Gamma, o.TdLambda, alpha, beta).reshape(-1).index_select(0, slots);
            }
            else
                y = InspoObjectives.CriticTarget(r.Rewards, r.Done, o.Gamma, logPiGrid.index_select(0, nextSlots), logMuGrid.index_select(0, nextSlots),
                    qTarget.Forward(i, r.NextStates), alpha, beta);
            muProbs = logMuGrid.index_select(0, slots).exp();
        }
        var (td, cql) = InspoObjectives.CriticTerms(q.Forward(i, r.States), r.Actions.select(1, i), y, r.Available.select(1, i), muProbs);
        var loss = td + o.CqlWeight * cql;
        qOpt[i].zero_grad();
        loss.backward();
        Clip(q.Member(i).parameters());
        qOpt[i].step();
        return (td.item<float>(), cql.item<float>());
    }

    /// <summary>Eq. 20 on the resampled rows: −mean(w · log πⁱ(aⁱ|τⁱ)), log πⁱ gathered from an unroll with gradient.</summary>
    double PolicyStep(int i, TransitionBatch r, Tensor actions, Tensor logPi, Tensor logMu, double alpha, double beta)
    {
        Tensor w;
        using (no_grad())
            w = InspoObjectives.PolicyWeight(qTarget.Forward(i, r.States), logPi.exp(), actions, MaskedCategorical.Pick(logMu, actions),
                alpha, beta, o.WeightMax);
        var loss = -(w * MaskedCategorical.Pick(logPi, actions)).mean();
        piOpt[i].zero_grad();
        loss.backward();
        Clip(pi.Member(i).parameters());
        piOpt[i].step();
        return loss.item<float>();
    }

    /// <summary>Eq. 25: minimise Σᵢ α (KL(πⁱ‖μⁱ) − D̄_KL) over log α, the KL averaged over the batch's filled steps.</summary>
    double AlphaStep(EpisodeBatch b, EpisodeSteps steps, Tensor[]? logPiNow, Tensor[] logMu)
    {
        Tensor klSum;
        using (no_grad())
        {
            klSum = zeros(1, device: device).sum();
            for (int i = 0; i < N; i++)
            {
                var logPi = logPiNow?[i] ?? Grid(LogProbs(pi, b, i));
                var kl = InspoObjectives.Kl(logPi.index_select(0, steps.Slots), logMu[i].index_select(0, steps.Slots)).mean();
                klSum = klSum + kl - o.KlTarget;
            }
        }
        var loss = logAlpha.Value.exp() * klSum;
        alphaOpt.zero_grad();
        loss.backward();
        alphaOpt.step();
        return loss.item<float>();
    }

    /// <summary>A2PO's score per agent on the batch's filled steps, with the target critics and current policies.</summary>
    double[] SemiGreedyScores(EpisodeSteps steps, Tensor[] logPi)
    {
        using var _ = no_grad();
        return Enumerable.Range(0, N).Select(i => InspoObjectives.SemiGreedyScore(qTarget.Forward(i, steps.Rows.States),
            logPi[i].index_select(0, steps.Slots).exp(), steps.Rows.Actions.select(1, i))).ToArray();
    }

    /// <summary>All agents' masked log-probabilities over the episodes: B × T × N × A.</summary>
    static Tensor LogProbs(AgentNetwork net, EpisodeBatch b) =>
        MaskedCategorical.LogProbs(net.Unroll(b.Observations, b.LastActions), b.Available);

    /// <summary>Agent i's masked log-probabilities over the episodes: B × T × A.</summary>
    static Tensor LogProbs(AgentNetwork net, EpisodeBatch b, int i) =>
        MaskedCategorical.LogProbs(net.UnrollAgent(i, b.Observations.select(2, i), b.LastActions.select(2, i)), b.Available.select(2, i));

    /// <summary>B × T × A → (B·T) × A.</summary>
    static Tensor Grid(Tensor perStep) => EpisodeSteps.Flat(perStep, perStep.shape[0] * perStep.shape[1]);

    /// <summary>log πʲ(aʲ_t|τʲ_t) at the batch's filled steps: M.</summary>
    static Tensor PickRows(Tensor logPiGrid, EpisodeSteps steps, int j) =>
        MaskedCategorical.Pick(logPiGrid.index_select(0, steps.Slots), steps.Rows.Actions.select(1, j));

    void Clip(IEnumerable<TorchSharp.Modules.Parameter> parameters)
    {
        if (o.GradClip > 0) nn.utils.clip_grad_norm_(parameters, o.GradClip);
    }

    /// <summary>Every agent's log πⁱ(·|τⁱ_t) over whole episodes as training computes it (one unroll from the start of
    /// each episode), without gradient: B × T × N × A. Evaluation steps the same networks through <see cref="Act"/>.</summary>
    public Tensor PolicyLogProbs(EpisodeBatch b)
    {
        using var _ = no_grad();
        return LogProbs(pi, b);
    }

    public override Tensor? InitialState(long episodes) => pi.InitialState(episodes, device);

    public override (Tensor Probabilities, Tensor? Hidden) Act(Tensor observations, Tensor available, Tensor lastActions, Tensor? hidden)
        => MaskedCategorical.RecurrentStep(pi, observations, available, lastActions, hidden);

}
