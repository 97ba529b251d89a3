// CFCQL — Counterfactual Conservative Q-Learning (Shao et al., NeurIPS 2023; SPEC 8), discrete actions.
//
// Objective (the paper's counterfactual CQL regulariser added to the TD error; its practical form with the CQL
// sampling policy chosen by the entropy-regularised maximisation, which turns E_{aⁱ∼μⁱ} into a logsumexp, as in the
// authors' `cq_learner.py`; the paper's text was not available offline, so equations are named, not numbered):
//   L(θ) = ½ E_D[(Q_tot(s, a_D) − y)²]
//        + α_CQL · E_D[ Σᵢ λᵢ(s) · logsumexp_{j∈Aⁱ(s)} Q_tot(s, (j, a^{-i}_D)) − Q_tot(s, a_D) ]      (counterfactual CQL)
//   Q_tot(s, a) = Mix_s(Q¹(o¹,a¹), …, Qⁿ(oⁿ,aⁿ))            (QMIX monotone mixer, Nets/MonotoneMixer.cs)
//   y = r + γ (1 − done) · Mix̄_{s'}(Q̄ⁱ(o'ⁱ, a*ⁱ)),  a*ⁱ = argmax_{j available} Qⁱ(o'ⁱ, j)   (double-Q target)
//   λ(s) = softmax_i(τ · KL(softmax_j Q_tot(s, (j, a^{-i}_D)) ‖ βⁱ(·|oⁱ)))  (detached; the "CFCQL with τ" weights;
//          τ = 0 gives λᵢ = 1/n)
// β = per-agent behaviour cloning −log βⁱ(aⁱ|oⁱ), fitted first (the profile's behaviour steps), then frozen.
// Execution: each agent acts greedily on its own Qⁱ(oⁱ, ·) over available actions (deterministic one-hot policy).
//
// Choices the paper (or its code) leaves open, and what this file does:
// - Agent networks: per-agent 3-layer ReLU MLPs on the observation, not shared, no RNN (the code's GRU agent with
//   last-action and id inputs serves partially observed SMAC; the games and Bridge are fully observed, SPEC 3).
//   On SMAC-lite maps "cfcql" is CfcqlEpisodes instead: the code's GRU agents on episode batches with TD(λ).
// - One-step TD on uniformly drawn transitions instead of the code's TD(λ = 0.6) over whole episodes: the engine's
//   MLP learners sample transitions (DeviceEpisodeBuffer.SampleTransitions); the fixed point is the same.
// - Target networks: hard copy every `target_update` = 25 policy-phase steps (the code's 200 episodes / 8 per step),
//   not Polyak averaging, to stay with the authors' scheme.
// - Unavailable counterfactual actions get Q_tot = −1e10 in the logsumexp (the code does the same) and no mass in
//   the softmax that defines λ; the KL sums only over available actions with the code's 1e-5 smoothing.
// - The code's special case softmax_temp = 100 (one-hot argmax λ) is not reproduced: softmax at 100 is already
//   nearly one-hot.
// - Batch and hidden sizes come from the profile like every other learner (the code: 128 episodes, 64 units).
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

public sealed class Cfcql : IOfflineLearner, IHasOptions
{
    readonly CfcqlOptions o;
    readonly int N, A;
    readonly AgentNetwork q, qTarget, beta;
    readonly MonotoneMixer mixer, mixerTarget;
    readonly optim.Optimizer qOpt, betaOpt;

    public Cfcql(EnvSpec spec, CfcqlOptions options, Device device, Generator init)
    {
        o = options;
        N = spec.Agents;
        A = spec.Actions;
        int h = o.Hidden;
        q = AgentNetwork.Create("q", N, spec.ObservationSize, A, A, AgentNetworkOptions.PerAgentMlp(h), init);
        qTarget = AgentNetwork.Create("q_target", N, spec.ObservationSize, A, A, AgentNetworkOptions.PerAgentMlp(h), init);
        beta = AgentNetwork.Create("beta", N, spec.ObservationSize, A, A, AgentNetworkOptions.PerAgentMlp(h), init, smallOutput: true);
        mixer = new MonotoneMixer("mixer", N, spec.StateSize, o.MixerEmbed, o.Hypernet, init);
        mixerTarget = new MonotoneMixer("mixer_target", N, spec.StateSize, o.MixerEmbed, o.Hypernet, init);
        foreach (var m in new nn.Module[] { q, qTarget, beta, mixer, mixerTarget }) m.to(device);
        SyncTargets();
        foreach (var p in qTarget.parameters().Concat(mixerTarget.parameters())) p.requires_grad = false;
        qOpt = optim.Adam(q.parameters().Concat(mixer.parameters()), o.LearningRate);
        betaOpt = optim.Adam(beta.parameters(), o.LearningRate);

        var modules = new List<(string, nn.Module)>();
        for (int i = 0; i < N; i++)
            modules.AddRange(new (string, nn.Module)[] { ($"q{i}", q.Member(i)), ($"q_target{i}", qTarget.Member(i)), ($"beta{i}", beta.Member(i)) });
        modules.Add(("mixer", mixer));
        modules.Add(("mixer_target", mixerTarget));
        Modules = modules;
        Optimizers = new (string, optim.Optimizer)[] { ("q", qOpt), ("beta", betaOpt) };
    }

    /// <summary>The networks an ensemble copies its members' initial weights from.</summary>
    internal (AgentNetwork Q, AgentNetwork QTarget, AgentNetwork Beta, MonotoneMixer Mixer, MonotoneMixer MixerTarget) Networks =>
        (q, qTarget, beta, mixer, mixerTarget);

    public string Name => "cfcql";
    public CfcqlOptions Options => o;
    object IHasOptions.Options => o;
    public IReadOnlyList<(string Name, nn.Module Module)> Modules { get; }
    public IReadOnlyList<(string Name, optim.Optimizer Optimizer)> Optimizers { get; }

    public IReadOnlyList<KeyValuePair<string, double>> Step(long step, long totalSteps, DeviceEpisodeBuffer data, Generator generator) =>
        step < o.BehaviourSteps ? BehaviourStep(data, generator) : QStep(step - o.BehaviourSteps, data, generator);

    /// <summary>β: −E_D Σᵢ log βⁱ(aⁱ|oⁱ).</summary>
    IReadOnlyList<KeyValuePair<string, double>> BehaviourStep(DeviceEpisodeBuffer data, Generator generator)
    {
        var b = data.SampleTransitions(o.BatchSize, generator);
        var loss = -Enumerable.Range(0, N)
            .Select(i => MaskedCategorical.Pick(LogBeta(i, b.Observations, b.Available), b.Actions.select(1, i)).mean())
            .Aggregate((x, y) => x + y);
        betaOpt.zero_grad();
        loss.backward();
        betaOpt.step();
        return new[] { new KeyValuePair<string, double>("loss/beta", loss.item<float>()) };
    }

    /// <summary>One step of the objective in the header: TD (double-Q target) + counterfactual CQL.</summary>
    IReadOnlyList<KeyValuePair<string, double>> QStep(long t, DeviceEpisodeBuffer data, Generator generator)
    {
        var b = data.SampleTransitions(o.BatchSize, generator);
        Tensor y;
        using (no_grad())
        {
            // double-Q: a* from the online agents (available actions only), valued by the target agents and mixer
            var nextOnline = AgentValues(q, b.NextObservations).masked_fill(b.NextAvailable.logical_not(), MaskedCategorical.MaskedLogit);
            var best = nextOnline.argmax(-1);                                                   // K × N
            var nextTarget = MaskedCategorical.Pick(AgentValues(qTarget, b.NextObservations), best);
            y = b.Rewards + o.Gamma * (1 - b.Done) * mixerTarget.forward(nextTarget, b.NextStates);
        }
        var qAll = AgentValues(q, b.Observations);                                               // K × N × A
        var qTaken = MaskedCategorical.Pick(qAll, b.Actions);                                    // K × N
        var qTot = mixer.forward(qTaken, b.States);                                              // K
        var td = 0.5 * (qTot - y).pow(2).mean();

        var cf = CounterfactualValues(qAll, qTaken, b.States, b.Available);                      // K × N × A
        var negative = cf.logsumexp(-1);                                                          // Nᵢ(s), K × N
        Tensor lambda;
        using (no_grad())
        {
            var logBeta = stack(Enumerable.Range(0, N).Select(i => LogBeta(i, b.Observations, b.Available)).ToArray(), 1);
            lambda = AgentWeights(cf, logBeta, b.Available, o.SoftmaxTemperature);
        }
        var cql = ((lambda * negative).sum(1) - qTot).mean();
        var loss = td + o.CqlAlpha * cql;
        qOpt.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(q.parameters().Concat(mixer.parameters()), o.GradClip);
        qOpt.step();
        if ((t + 1) % o.TargetUpdate == 0) SyncTargets();

        var lambdaMax = lambda.max(1).values.mean().item<float>();
        return new KeyValuePair<string, double>[]
        {
            new("loss/td", td.item<float>()), new("loss/cql", cql.item<float>()),
            new("train/q_tot", qTot.mean().item<float>()), new("train/lambda_max", lambdaMax),
        };
    }

    /// <summary>Q_tot(s, (j, a^{-i}_D)) for every agent i and action j: only agent i's action is replaced, the
    /// others keep the dataset's. <paramref name="qAll"/> K × N × A, <paramref name="qTaken"/> K × N (Qⁱ at the
    /// dataset actions), <paramref name="available"/> K × N × A → K × N × A, unavailable (i, j) at −1e10.</summary>
    public Tensor CounterfactualValues(Tensor qAll, Tensor qTaken, Tensor states, Tensor available) =>
        Counterfactual(mixer, qAll, qTaken, states, available);

    /// <summary><see cref="CounterfactualValues"/> for any monotone mixer (exposed for tests).</summary>
    public static Tensor Counterfactual(MonotoneMixer mix, Tensor qAll, Tensor qTaken, Tensor states, Tensor available)
    {
        long k = qAll.shape[0], n = qAll.shape[1], a = qAll.shape[2];
        // joint[k, i, j, l] = Qˡ(oˡ, aˡ_D) for l ≠ i, Qⁱ(oⁱ, j) for l = i
        var self = eye(n, dtype: ScalarType.Bool, device: qAll.device).view(1, n, 1, n);
        var joint = where(self, qAll.unsqueeze(-1).expand(k, n, a, n), qTaken.view(k, 1, 1, n).expand(k, n, a, n));
        var mixed = mix.Mix(joint.reshape(k, n * a, n), states).view(k, n, a);
        return mixed.masked_fill(available.logical_not(), MaskedCategorical.MaskedLogit);
    }

    /// <summary><see cref="Counterfactual(MonotoneMixer, Tensor, Tensor, Tensor, Tensor)"/> per member of a seed ensemble:
    /// S × K × N × A from S × K × N × A values, S × K × N taken values and S × K × state.</summary>
    public static Tensor Counterfactual(EnsembleMonotoneMixer mix, Tensor qAll, Tensor qTaken, Tensor states, Tensor available)
    {
        long s = qAll.shape[0], k = qAll.shape[1], n = qAll.shape[2], a = qAll.shape[3];
        var self = eye(n, dtype: ScalarType.Bool, device: qAll.device).view(1, 1, n, 1, n);
        var joint = where(self, qAll.unsqueeze(-1).expand(s, k, n, a, n), qTaken.view(s, k, 1, 1, n).expand(s, k, n, a, n));
        var mixed = mix.Mix(joint.reshape(s, k, n * a, n), states).view(s, k, n, a);
        return mixed.masked_fill(available.logical_not(), MaskedCategorical.MaskedLogit);
    }

    /// <summary>λ(s) = softmax_i(τ · KLᵢ), KLᵢ = Σ_{j available} (pᵢⱼ + 1e-5)(log(pᵢⱼ + 1e-5) − log(βᵢⱼ + 1e-5)),
    /// pᵢ = softmax_j of the counterfactual values (<paramref name="counterfactual"/> K × N × A, unavailable at
    /// −1e10), <paramref name="logBeta"/> K × N × A → K × N, rows summing to 1. τ = 0 gives 1/n.</summary>
    public static Tensor AgentWeights(Tensor counterfactual, Tensor logBeta, Tensor available, double temperature) =>
        nn.functional.softmax(temperature * Divergences(counterfactual, logBeta, available), -1);

    /// <summary>KLᵢ of <see cref="AgentWeights"/> (the code's smoothed `kl_div` summed over available actions):
    /// … × N × A → … × N.</summary>
    public static Tensor Divergences(Tensor counterfactual, Tensor logBeta, Tensor available)
    {
        var p = nn.functional.softmax(counterfactual, -1) + 1e-5;
        var betaP = logBeta.exp() + 1e-5;
        return (available.to_type(p.dtype) * p * (p.log() - betaP.log())).sum(-1);
    }

    void SyncTargets()
    {
        for (int i = 0; i < N; i++) TargetNetwork.Copy(qTarget.Member(i), q.Member(i));
        TargetNetwork.Copy(mixerTarget, mixer);
    }

    /// <summary>Qⁱ(oⁱ, ·) of every agent: K × N × A.</summary>
    Tensor AgentValues(AgentNetwork nets, Tensor observations) =>
        stack(Enumerable.Range(0, N).Select(i => nets.Forward(i, observations.select(1, i))).ToArray(), 1);

    Tensor LogBeta(int i, Tensor obs, Tensor avail) => MaskedCategorical.AgentLogProbs(beta, i, obs, avail);

    /// <summary>Greedy per-agent execution: one-hot argmax over available actions of Qⁱ(oⁱ, ·).</summary>
    public (Tensor Probabilities, Tensor? Hidden) Act(Tensor observations, Tensor available, Tensor lastActions, Tensor? hidden)
    {
        using var _ = no_grad();
        var values = AgentValues(q, observations).masked_fill(available.logical_not(), MaskedCategorical.MaskedLogit);
        return (nn.functional.one_hot(values.argmax(-1), A).to_type(float32), null);
    }

    public void Dispose()
    {
        foreach (var m in Modules) m.Module.Dispose();
    }
}
