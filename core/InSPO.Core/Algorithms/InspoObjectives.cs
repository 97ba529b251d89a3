using InSPO.Nets;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// The equations of the practical InSPO (SPEC 3) on rows of transitions, shared by the feed-forward learner
/// (<see cref="Inspo"/>: policies on observations) and the recurrent one (<see cref="InspoEpisodes"/>: policies
/// unrolled over episodes, then gathered at the rows) and by the seed ensemble (<see cref="InspoEnsemble"/>: a leading
/// member dimension S on every argument, α one value per member, S × 1). Every argument is agent i's:
/// log-probabilities K × A, critic values K × A, actions K (int64), availability K × A (bool); batch means are over
/// the last row dimension, so an ensemble gets one per member.
/// </summary>
public static class InspoObjectives
{
    /// <summary>Eq. 23: ρ = (π^{-i}(a^{-i}) / μ^{-i}(a^{-i}|s, aⁱ))^{1/(N−1)}, the geometric mean over teammates, from
    /// every agent's log π at the rows (<paramref name="logPi"/>[j], agent <paramref name="agent"/>'s own ignored) and
    /// μ^{-i}'s summed log-probabilities; clamped at <paramref name="rhoMax"/>. 1 for a single agent.</summary>
    public static Tensor ImportanceRatio(IReadOnlyList<Tensor> logPi, int agent, Tensor logMuTeammates, double rhoMax)
    {
        int agents = logPi.Count;
        var logPiTeammates = Enumerable.Range(0, agents).Where(j => j != agent).Select(j => logPi[j])
            .Aggregate(zeros_like(logMuTeammates), (sum, x) => sum + x);
        var logRho = agents > 1 ? (logPiTeammates - logMuTeammates) / (agents - 1) : zeros_like(logMuTeammates);
        return logRho.clamp_max(Math.Log(rhoMax)).exp();
    }

    /// <summary>Eq. 23 for rows whose agent differs (a seed ensemble's members each update their own agent in a slot):
    /// <paramref name="logPi"/> … × N (every agent's log π at the rows), <paramref name="agent"/> … (int64), the
    /// teammates' sum taken by masking the agent's own column.</summary>
    public static Tensor ImportanceRatio(Tensor logPi, Tensor agent, Tensor logMuTeammates, double rhoMax)
    {
        long agents = logPi.shape[^1];
        if (agents == 1) return ones_like(logMuTeammates);
        var self = nn.functional.one_hot(agent, agents).to_type(ScalarType.Bool).expand_as(logPi);
        var logPiTeammates = logPi.masked_fill(self, 0).sum(-1);
        return ((logPiTeammates - logMuTeammates) / (agents - 1)).clamp_max(Math.Log(rhoMax)).exp();
    }

    /// <summary>Eq. 24's target y = r + γ(1−done)[E_{a'∼π} Q̄(s',a') − α KL(π(·|o')‖μ(·|o')) + β H(π(·|o'))].</summary>
    public static Tensor CriticTarget(Tensor rewards, Tensor done, double gamma, Tensor logPiNext, Tensor logMuNext, Tensor qTargetNext,
                                      double alpha, double beta) =>
        CriticTarget(rewards, done, gamma, logPiNext, logMuNext, qTargetNext, Scalar(alpha), Scalar(beta));

    /// <summary>Eq. 24's target with α and β per member (S × 1, rows S × K).</summary>
    public static Tensor CriticTarget(Tensor rewards, Tensor done, double gamma, Tensor logPiNext, Tensor logMuNext, Tensor qTargetNext,
                                      Tensor alpha, Tensor beta)
    {
        var (qNext, soft) = SoftValue(logPiNext, logMuNext, qTargetNext, alpha, beta);
        return rewards + gamma * (1 - done) * (qNext + soft);
    }

    /// <summary>The two parts of Eq. 24's bootstrapped value at an observation: E_{a∼π} Q̄(s,a), and the soft terms
    /// −α KL(π‖μ) + β H(π). Arguments … × A → two tensors of shape ….</summary>
    static (Tensor Expected, Tensor Soft) SoftValue(Tensor logPi, Tensor logMu, Tensor qTarget, Tensor alpha, Tensor beta)
    {
        var pi = logPi.exp();
        var kl = (pi * (logPi - logMu)).sum(-1);
        var entropy = -(pi * logPi).sum(-1);
        return ((pi * qTarget).sum(-1), -alpha * kl + beta * entropy);
    }

    /// <summary>Eq. 24's target as a TD(λ) return over whole episodes (the SMAC-lite option `td_lambda`; λ = 0 is the
    /// one-step y of <see cref="CriticTarget(Tensor, Tensor, double, Tensor, Tensor, Tensor, Tensor, Tensor)"/>):
    ///   G_t = r_t + γ(1 − done_t)[R_{t+1} + (1 − λ_t) E_{a∼π} Q̄(s_{t+1}, a) + λ_t G_{t+1}],
    /// R the soft terms −α KL(π‖μ) + β H(π) at τ_{t+1}, λ_t = λ while step t + 1 is a real step and 0 at an episode's
    /// last step (<see cref="EpisodeMixing.LambdaReturns"/>). The λ part follows the data's later actions without an
    /// importance correction, as the λ-returns of the SMAC baselines' code (Peng's Q(λ)). Grids with any leading shape
    /// K and T slots: rewards, done, filled K × T; log π, log μ, Q̄ K × T × A; α, β broadcast against K × T → K × T,
    /// the last slot 0 (it is never a step).</summary>
    public static Tensor LambdaCriticTargets(Tensor rewards, Tensor done, Tensor filled, Tensor logPi, Tensor logMu, Tensor qTarget,
                                             double gamma, double lambda, double alpha, double beta) =>
        LambdaCriticTargets(rewards, done, filled, logPi, logMu, qTarget, gamma, lambda, Scalar(alpha), Scalar(beta));

    /// <summary><see cref="LambdaCriticTargets(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, double, double, double, double)"/>
    /// with α and β per member (S × 1 × 1 against S × B × T grids).</summary>
    public static Tensor LambdaCriticTargets(Tensor rewards, Tensor done, Tensor filled, Tensor logPi, Tensor logMu, Tensor qTarget,
                                             double gamma, double lambda, Tensor alpha, Tensor beta)
    {
        using var _ = no_grad();
        long slots = rewards.shape[^1];
        var (expected, soft) = SoftValue(logPi, logMu, qTarget, alpha, beta);
        // r_t + γ(1 − done_t) R_{t+1} is the reward of the recursion G_t = r'_t + γ(1 − done_t)[(1 − λ_t) V_{t+1} + λ_t G_{t+1}]
        var softNext = cat(new[] { soft.narrow(-1, 1, slots - 1), zeros_like(soft.narrow(-1, 0, 1)) }, -1);
        var shaped = rewards + gamma * (1 - done) * softNext;
        Tensor Rows(Tensor x) => x.expand(rewards.shape).reshape(-1, slots);
        var g = EpisodeMixing.LambdaReturns(Rows(shaped), Rows(done), Rows(filled), Rows(expected), gamma, lambda);   // K' × (T − 1)
        return cat(new[] { g, zeros(g.shape[0], 1, device: g.device) }, 1).view(rewards.shape);
    }

    /// <summary>Eq. 24's two terms: the TD error (Q(s,aⁱ) − y)² and the CQL gap logsumexp_a Q(s,a) − E_{a∼μ} Q(s,a)
    /// over available actions, each a batch mean (or, with <paramref name="rowWeights"/>, Σ w · term over the rows: a
    /// seed ensemble's members whose batches were padded to a common length).</summary>
    public static (Tensor Td, Tensor Cql) CriticTerms(Tensor qAll, Tensor actions, Tensor y, Tensor available, Tensor muProbs, Tensor? rowWeights = null)
    {
        var td = BatchMean((MaskedCategorical.Pick(qAll, actions) - y).pow(2), rowWeights);
        var cql = BatchMean(qAll.masked_fill(available.logical_not(), MaskedCategorical.MaskedLogit).logsumexp(-1) - (muProbs * qAll).sum(-1), rowWeights);
        return (td, cql);
    }

    /// <summary>The mean over the last (row) dimension, or the weighted sum Σ w · x when weights are given.</summary>
    public static Tensor BatchMean(Tensor perRow, Tensor? rowWeights) =>
        rowWeights is null ? perRow.mean(new long[] { -1 }) : (perRow * rowWeights).sum(-1);

    /// <summary>Eq. 20's weight on log π(aⁱ|·) (no gradient): A = Q̄(s,aⁱ) − E_{a∼π} Q̄(s,a), then
    /// min(exp((A − β log μ(aⁱ)) / (α+β)), max).</summary>
    public static Tensor PolicyWeight(Tensor qBar, Tensor piProbs, Tensor actions, Tensor logMuA, double alpha, double beta, double max) =>
        PolicyWeight(qBar, piProbs, actions, logMuA, Scalar(alpha), Scalar(beta), max);

    /// <summary>Eq. 20's weight with α and β per member (S × 1, rows S × K).</summary>
    public static Tensor PolicyWeight(Tensor qBar, Tensor piProbs, Tensor actions, Tensor logMuA, Tensor alpha, Tensor beta, double max)
    {
        var advantage = MaskedCategorical.Pick(qBar, actions) - (piProbs * qBar).sum(-1);
        return ClippedWeight(advantage, logMuA, alpha, beta, max);
    }

    /// <summary>Eq. 20's weight exp((A − β log μ)/(α+β)), clipped at <paramref name="max"/>. The exponent is
    /// clamped at log max before exponentiating, which is the same as min(exp(·), max) without overflow.</summary>
    public static Tensor ClippedWeight(Tensor advantage, Tensor logMu, Tensor alpha, Tensor beta, double max) =>
        ((advantage - beta * logMu) / (alpha + beta)).clamp_max(Math.Log(max)).exp().clamp_max(max);

    /// <summary>α or β as a 0-dimensional tensor, so one formula serves a single run and an ensemble.</summary>
    static Tensor Scalar(double value) => tensor((float)value);

    /// <summary>KL(π‖μ) per row from log-probabilities (masked actions contribute 0).</summary>
    public static Tensor Kl(Tensor logPi, Tensor logMu) => (logPi.exp() * (logPi - logMu)).sum(-1);

    /// <summary>A2PO's semi-greedy score of one agent: mean |A(s,aⁱ)| / |V(s)| with V = E_{a∼π} Q̄(s,a).</summary>
    public static double SemiGreedyScore(Tensor qBar, Tensor piProbs, Tensor actions)
    {
        var v = (piProbs * qBar).sum(1);
        var adv = MaskedCategorical.Pick(qBar, actions) - v;
        return (adv.abs() / (v.abs() + 1e-6)).mean().item<float>();
    }
}
