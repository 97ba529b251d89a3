using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>log α as a module, so checkpoints save it with the networks (Eq. 25).</summary>
public sealed class LogAlpha : nn.Module
{
    public Parameter Value { get; }
    public LogAlpha(double alpha) : base("log_alpha")
    {
        Value = new Parameter(tensor(Math.Log(alpha), float32));
        RegisterComponents();
    }

    /// <summary>One log α per member of an ensemble, member s starting at log <paramref name="alphas"/>[s].</summary>
    public LogAlpha(IReadOnlyList<double> alphas, Device device) : base("log_alpha")
    {
        Value = new Parameter(tensor(alphas.Select(a => (float)Math.Log(a)).ToArray(), dtype: float32, device: device));
        RegisterComponents();
    }
}

/// <summary>
/// The practical InSPO (SPEC 3, paper Appendix B). Phase 1 (the first <see cref="InspoOptions.BehaviourSteps"/>
/// steps): μⁱ (Eq. 21) and μ^{-i} (Eq. 22) are fitted, then frozen. Phase 2, one round per step: draw a batch
/// uniformly, pick the order i₁..i_N, and for n = 1..N update agent iₙ on its importance-resampled batch —
/// critic (Eq. 24), Polyak target, policy (Eq. 20) — with teammates iₖ, k &lt; n, already at their NEW
/// policies (sequential) or all at OLD ones (`sequential off`); then α (Eq. 25) if auto-tuned.
/// Networks are per agent (not shared; SPEC 3's default for games): πⁱ(·|oⁱ), μⁱ(·|oⁱ), Qⁱ(s,·), Q̄ⁱ(s,·).
/// </summary>
public sealed class Inspo : InspoLearner
{
    public Inspo(EnvSpec spec, InspoOptions options, Device device, Generator init) : base(spec, options, AgentNetworkOptions.PerAgentMlp(options.Hidden), device, init)
    {
    }

    // ------------------------------------------------------------------ phase 1: μⁱ and μ^{-i}

    protected override IReadOnlyList<KeyValuePair<string, double>> BehaviourStep(DeviceEpisodeBuffer data, Generator generator)
    {
        var b = data.SampleTransitions(o.BatchSize, generator);
        var losses = new List<KeyValuePair<string, double>>();
        for (int i = 0; i < N; i++)
        {
            // Eq. 21: −E_D log μⁱ(aⁱ|oⁱ)
            var muLoss = -MaskedCategorical.Pick(LogMu(i, b.Observations, b.Available), b.Actions.select(1, i)).mean();
            // Eq. 22: −E_D Σ_{j≠i} log μ^{-i}(aʲ | s, aⁱ, a^{<j})
            var teamLoss = N > 1 ? muMinus[i].Loss(b.States, b.Actions, b.Available) : zeros(1).sum();
            muOpt[i].zero_grad();
            (muLoss + teamLoss).backward();
            muOpt[i].step();
            losses.Add(new($"loss/mu{i}", muLoss.item<float>()));
            losses.Add(new($"loss/mu_minus{i}", teamLoss.item<float>()));
        }
        return losses;
    }

    // ------------------------------------------------------------------ phase 2: one round of sequential updates

    protected override IReadOnlyList<KeyValuePair<string, double>> Round(long t, long total, DeviceEpisodeBuffer data, Generator generator)
    {
        double alpha = Alpha, beta = o.BetaAt(t, total);
        var losses = new List<KeyValuePair<string, double>>();
        // K inner steps per agent draw K batches' worth of rows, each step resampling its own batch from them.
        var batch = data.SampleTransitions((long)o.BatchSize * o.InnerSteps, generator);
        // With dataset-level resampling, ρ is evaluated on every transition and the agent's batch drawn from all.
        var pool = o.Resample == ResampleScope.Dataset ? data.All() : batch;

        // log πʲ(aʲ_D|oʲ) of every agent on the pool: OLD now, replaced by NEW as agents are updated.
        Tensor[] logPiOld, logPiNow, logMuMinus;
        using (no_grad())
        {
            logPiOld = Enumerable.Range(0, N).Select(j => MaskedCategorical.Pick(LogPi(j, pool.Observations, pool.Available), pool.Actions.select(1, j))).ToArray();
            logPiNow = (Tensor[])logPiOld.Clone();
            logMuMinus = Enumerable.Range(0, N).Select(i =>
                N > 1 ? muMinus[i].TeammateLogProbs(pool.States, pool.Actions, pool.Available).sum(1) : zeros(pool.Count, device: pool.Rewards.device)).ToArray();
        }

        var order = SequentialUpdateOrder.Next(o.Order, N, generator, () => SemiGreedyScores(batch));
        double rhoMean = 0;
        foreach (int i in order)
        {
            // Eq. 23: ρ = (π^{-i}(a^{-i}|s) / μ^{-i}(a^{-i}|s, aⁱ))^{1/(N−1)}, π^{-i} with NEW policies for agents already
            // updated this round (sequential) or OLD ones for all (simultaneous ablation); clamped at RhoMax.
            Tensor rho;
            using (no_grad())
            {
                var source = o.Sequential ? logPiNow : logPiOld;
                rho = InspoObjectives.ImportanceRatio(source, i, logMuMinus[i], o.RhoMax);
                rhoMean += rho.mean().item<float>() / N;
            }
            double criticLoss = 0, cql = 0, policyLoss = 0;
            for (int k = 0; k < o.InnerSteps; k++)
            {
                // Importance resampling (Schlegel et al. 2019): redraw the agent's rows ∝ ρ instead of weighting the loss.
                var b = pool.Select(DeviceEpisodeBuffer.ResampleIndices(rho, o.BatchSize, generator));
                (criticLoss, cql) = CriticStep(i, b, alpha, beta);
                Checked($"loss/critic{i}", criticLoss);
                Checked($"loss/cql{i}", cql);
                TargetNetwork.Polyak(qTarget.Member(i), q.Member(i), o.Tau);   // Q̄ ← τ Q + (1 − τ) Q̄
                policyLoss = Checked($"loss/policy{i}", PolicyStep(i, b, alpha, beta));
            }
            losses.Add(new($"loss/critic{i}", criticLoss));   // each already checked in its inner step
            losses.Add(new($"loss/cql{i}", cql));
            losses.Add(new($"loss/policy{i}", policyLoss));

            if (o.Sequential)
                using (no_grad())
                    logPiNow[i] = MaskedCategorical.Pick(LogPi(i, pool.Observations, pool.Available), pool.Actions.select(1, i));
        }

        losses.Add(new("train/rho_mean", rhoMean));
        losses.Add(new("train/beta", beta));
        if (o.AlphaAuto) losses.Add(new("loss/alpha", AlphaStep(batch)));
        losses.Add(new("train/alpha", Alpha));
        return losses;
    }

    /// <summary>Eq. 24: (Qⁱ(s,aⁱ) − y)² + α_CQL (logsumexp_a Qⁱ(s,a) − E_{a∼μⁱ} Qⁱ(s,a)),
    /// y = r + γ(1−done)[E_{a'∼πⁱ_old} Q̄ⁱ(s',a') − α KL(πⁱ(·|o')‖μⁱ(·|o')) + β H(πⁱ(·|o'))].</summary>
    (double Loss, double Cql) CriticStep(int i, TransitionBatch b, double alpha, double beta)
    {
        Tensor y;
        using (no_grad())
        {
            y = InspoObjectives.CriticTarget(b.Rewards, b.Done, o.Gamma, LogPi(i, b.NextObservations, b.NextAvailable),
                LogMu(i, b.NextObservations, b.NextAvailable), qTarget.Forward(i, b.NextStates), alpha, beta);
        }
        var qAll = q.Forward(i, b.States);
        Tensor muProbs;
        using (no_grad()) muProbs = LogMu(i, b.Observations, b.Available).exp();
        var (td, cql) = InspoObjectives.CriticTerms(qAll, b.Actions.select(1, i), y, b.Available.select(1, i), muProbs);
        var loss = td + o.CqlWeight * cql;
        qOpt[i].zero_grad();
        loss.backward();
        qOpt[i].step();
        return (td.item<float>(), cql.item<float>());
    }

    /// <summary>Eq. 20: −E_D[w · log π_θⁱ(aⁱ|oⁱ)], w = min(exp((A(s,aⁱ) − β log μⁱ(aⁱ|oⁱ)) / (α+β)), WeightMax),
    /// A = Q̄ⁱ(s,aⁱ) − E_{a∼π_θⁱ}[Q̄ⁱ(s,a)], in-sample (dataset actions only).</summary>
    double PolicyStep(int i, TransitionBatch b, double alpha, double beta)
    {
        var actions = b.Actions.select(1, i);
        var logPi = LogPi(i, b.Observations, b.Available);
        Tensor w;
        using (no_grad())
        {
            var logMuA = MaskedCategorical.Pick(LogMu(i, b.Observations, b.Available), actions);
            w = InspoObjectives.PolicyWeight(qTarget.Forward(i, b.States), logPi.exp(), actions, logMuA, alpha, beta, o.WeightMax);
        }
        var loss = -(w * MaskedCategorical.Pick(logPi, actions)).mean();
        piOpt[i].zero_grad();
        loss.backward();
        piOpt[i].step();
        return loss.item<float>();
    }

    /// <summary>Eq. 25: minimise E_s[Σᵢ α (KL(πⁱ‖μⁱ) − D̄_KL)] over log α.</summary>
    double AlphaStep(TransitionBatch b)
    {
        Tensor klSum;
        using (no_grad())
        {
            klSum = zeros(1, device: b.Rewards.device).sum();
            for (int i = 0; i < N; i++)
            {
                var kl = InspoObjectives.Kl(LogPi(i, b.Observations, b.Available), LogMu(i, b.Observations, b.Available)).mean();
                klSum = klSum + kl - o.KlTarget;
            }
        }
        var loss = logAlpha.Value.exp() * klSum;
        alphaOpt.zero_grad();
        loss.backward();
        alphaOpt.step();
        return loss.item<float>();
    }

    /// <summary>A2PO's score per agent: mean over the batch of |Aⁱ(s,aⁱ_D)| / |Vⁱ(s)| with the target critics.</summary>
    double[] SemiGreedyScores(TransitionBatch b)
    {
        using var _ = no_grad();
        return Enumerable.Range(0, N).Select(i =>
            InspoObjectives.SemiGreedyScore(qTarget.Forward(i, b.States), LogPi(i, b.Observations, b.Available).exp(), b.Actions.select(1, i))).ToArray();
    }

    Tensor LogPi(int i, Tensor obs, Tensor avail) => MaskedCategorical.AgentLogProbs(pi, i, obs, avail);
    Tensor LogMu(int i, Tensor obs, Tensor avail) => MaskedCategorical.AgentLogProbs(mu, i, obs, avail);

    public override (Tensor Probabilities, Tensor? Hidden) Act(Tensor observations, Tensor available, Tensor lastActions, Tensor? hidden) =>
        (MaskedCategorical.JointProbabilities(pi, observations, available), null);

}
