// CFCQL on SMAC-lite as the authors' discrete code runs it (Shao et al., NeurIPS 2023; SPEC 8; `learners/cq_learner.py`,
// `config/algs/cql_qmix.yaml`, `run/run.py`; notes, reference-implementations §4.3): recurrent agents on batches of whole
// episodes. The objective is the one of Cfcql.cs, summed over the filled steps of the batch (mask = Filled):
//   L(θ) = Σ_{b,t} filled · [ ½ (Q_tot(s_t, a_t) − G_t)²
//                             + α_CQL (Σᵢ λᵢ · logsumexp_{j∈Aⁱ} Q_tot(s_t, (j, a^{-i}_t)) − Q_tot(s_t, a_t)) ] / Σ filled
//   Q_tot(s, a) = Mix_s(Q¹(τ¹, a¹), …, Qᴺ(τᴺ, aᴺ)),  Qⁱ(τⁱ, ·) one GRU agent shared by all agents (agent id and last
//                 action appended), Mix the QMIX monotone mixer                    (counterfactual CQL, Cfcql.Counterfactual)
//   G_t = TD(λ) target with double Q (Nets/EpisodeMixing.cs, shared with QMIX)
//   λ = softmax_i(τ · KLᵢ), KLᵢ = KL(softmax_j Q_tot(s, (j, a^{-i}_D)) ‖ βⁱ(·|τⁱ))   (detached; Cfcql.Divergences)
// β = a shared GRU behaviour-cloning model (BehaviourCloning's masked recurrent loss), trained first for the profile's
// behaviour steps and then frozen. Execution: each agent greedy on its own Qⁱ(τⁱ, ·) over available actions, its hidden
// state threaded through the episode.
//
// Choices the code leaves open or that differ from it, and what this file does:
// - λ and the behaviour model. The stored cq_learner.py trains β and uses λ = softmax(τ · KL) only when `sparse_lambda`
//   (or `cal_dcql`) is set; cql_qmix.yaml sets sparse_lambda False and the README's command passes `moderate_lambda=True`,
//   which that version never reads — run literally, it gives λᵢ = 1/n whatever softmax_temp says. This file follows the
//   paper and the README's table (a τ per dataset only means something with β): β is trained and λ = softmax(τ · KL).
//   softmax_temp = 0 reproduces the uniform λ.
// - softmax_temp = 100 is the code's one-hot argmax of KL (the README's 5m_vs_6m expert cell), kept here; the
//   feed-forward Cfcql does not special-case it.
// - Time-outs stop the bootstrap as terminations do: the code's data store a time-out as terminated and this engine's
//   offline learners bootstrap as their codes do on such data (TransitionBatch.Done); QMIX, online, bootstraps through.
// - Targets are copied every `target_update` = 25 updates: the code counts 8 episodes (`batch_size_run`) per offline
//   update against `target_update_interval` = 200 episodes, whatever its batch size.
// - Batches: AgentNetworks.EpisodeBatch episodes (the code: 128), drawn with replacement from the whole dataset (the
//   code draws without replacement within a batch from a fixed random subset of 5000 episodes) and cut to the longest.
// - The budget is the profile's (behaviour steps, then steps), not the code's 1e7 consumed transitions for each phase.
// - The behaviour model's initial last layer is near zero (BC's policy head here), the code's PyTorch default.
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>The parts of <see cref="CfcqlEpisodes"/>'s objective on one batch, over its K filled steps (row k = one
/// (episode, step) with filled = 1).</summary>
/// <param name="Loss">The objective (scalar, with graph).</param>
/// <param name="Td">½ mean (Q_tot − G)².</param>
/// <param name="Cql">mean (Σᵢ λᵢ logsumexp Q_tot(s, (j, a^{-i})) − Q_tot(s, a)), before α.</param>
/// <param name="Total">Q_tot(s, a_D), K.</param>
/// <param name="Counterfactual">Q_tot(s, (j, a^{-i}_D)), K × N × A (unavailable j at −1e10).</param>
/// <param name="Actions">The data's actions, K × N.</param>
/// <param name="Lambda">λ, K × N.</param>
public sealed record CfcqlEpisodeTerms(Tensor Loss, Tensor Td, Tensor Cql, Tensor Total, Tensor Counterfactual, Tensor Actions, Tensor Lambda);

/// <summary>CFCQL with recurrent agents over episode batches: the learner of "cfcql" on SMAC-lite maps (the header above).</summary>
public sealed class CfcqlEpisodes : IOfflineLearner, IHasOptions
{
    readonly CfcqlOptions o;
    readonly int N;
    readonly AgentNetwork q, qTarget;
    readonly BehaviourCloning beta;
    readonly MonotoneMixer mixer, mixerTarget;
    readonly optim.Optimizer qOpt;
    readonly Device device;

    public CfcqlEpisodes(EnvSpec spec, CfcqlOptions options, Device device, Generator init)
    {
        if (options.EpisodeBatch is not int episodes || options.TdLambda is null)
            throw new ArgumentException("cfcql: the episode learner needs episode options (CfcqlOptions.ForEpisodes)");
        o = options;
        this.device = device;
        N = spec.Agents;
        var network = AgentNetworkOptions.SharedRecurrent(o.Hidden);
        q = AgentNetwork.Create("q", N, spec.ObservationSize, spec.Actions, spec.Actions, network, init);
        qTarget = AgentNetwork.Create("q", N, spec.ObservationSize, spec.Actions, spec.Actions, network, init);
        // β as CFCQL's behaviour model: the same agent, cross-entropy over whole episodes, Adam at the Q's rate, clip 10.
        beta = new BehaviourCloning(spec, new BehaviourCloningOptions(o.Hidden, o.LearningRate, o.BatchSize, network, episodes, o.GradClip), device, init);
        mixer = new MonotoneMixer("mixer", N, spec.StateSize, o.MixerEmbed, o.Hypernet, init);
        mixerTarget = new MonotoneMixer("mixer", N, spec.StateSize, o.MixerEmbed, o.Hypernet, init);
        foreach (var m in new nn.Module[] { q, qTarget, mixer, mixerTarget }) m.to(device);
        SyncTargets();
        foreach (var p in qTarget.parameters().Concat(mixerTarget.parameters())) p.requires_grad = false;
        qOpt = optim.Adam(q.parameters().Concat(mixer.parameters()), o.LearningRate);
        Modules = new (string, nn.Module)[]
        {
            ("q", q), ("q_target", qTarget), ("beta", beta.Policy), ("mixer", mixer), ("mixer_target", mixerTarget),
        };
        Optimizers = new (string, optim.Optimizer)[] { ("q", qOpt), ("beta", beta.Optimizers.Single().Optimizer) };
    }

    /// <summary>The networks (an ensemble copies its members' initial weights from them).</summary>
    internal (AgentNetwork Q, AgentNetwork QTarget, BehaviourCloning Beta, MonotoneMixer Mixer, MonotoneMixer MixerTarget) Networks =>
        (q, qTarget, beta, mixer, mixerTarget);

    public string Name => "cfcql";
    public CfcqlOptions Options => o;
    object IHasOptions.Options => o;
    public IReadOnlyList<(string Name, nn.Module Module)> Modules { get; }
    public IReadOnlyList<(string Name, optim.Optimizer Optimizer)> Optimizers { get; }

    public IReadOnlyList<KeyValuePair<string, double>> Step(long step, long totalSteps, DeviceEpisodeBuffer data, Generator generator) =>
        step < o.BehaviourSteps
            ? beta.Step(step, totalSteps, data, generator).Select(l => new KeyValuePair<string, double>("loss/beta", l.Value)).ToArray()
            : QStep(step - o.BehaviourSteps, data, generator);

    /// <summary>One gradient step of the objective in the header on a fresh batch of episodes.</summary>
    IReadOnlyList<KeyValuePair<string, double>> QStep(long t, DeviceEpisodeBuffer data, Generator generator)
    {
        var terms = Terms(data.SampleEpisodes(o.EpisodeBatch!.Value, generator));
        qOpt.zero_grad();
        terms.Loss.backward();
        nn.utils.clip_grad_norm_(q.parameters().Concat(mixer.parameters()), o.GradClip);
        qOpt.step();
        if ((t + 1) % o.TargetUpdate == 0) SyncTargets();
        return new KeyValuePair<string, double>[]
        {
            new("loss/td", terms.Td.item<float>()), new("loss/cql", terms.Cql.item<float>()),
            new("train/q_tot", terms.Total.mean().item<float>()), new("train/lambda_max", terms.Lambda.max(1).values.mean().item<float>()),
        };
    }

    /// <summary>The objective of the header on <paramref name="b"/>, over its filled steps only (padding never enters a
    /// term: the recurrent unroll is causal, the target reads a slot past an episode's end only through its last step's
    /// end, and every per-step term is taken on the filled rows).</summary>
    public CfcqlEpisodeTerms Terms(EpisodeBatch b)
    {
        long steps = b.Slots - 1;
        var qAll = q.Unroll(b.Observations, b.LastActions);                                                   // B × T × N × A
        var targets = EpisodeMixing.DoubleQTargets(qAll, qTarget, mixerTarget, b, b.Terminated + b.Truncated, o.Gamma, o.TdLambda!.Value);
        var rows = b.Filled.narrow(1, 0, steps).reshape(-1).nonzero().squeeze(-1);                             // K
        Tensor Rows(Tensor x) => x.narrow(1, 0, steps).flatten(0, 1).index_select(0, rows);
        var (values, actions, states, available) = (Rows(qAll), Rows(b.Actions), Rows(b.States), Rows(b.Available));
        var taken = MaskedCategorical.Pick(values, actions);                                                   // K × N
        var total = mixer.forward(taken, states);                                                              // K
        var td = 0.5 * (total - targets.reshape(-1).index_select(0, rows)).pow(2).mean();
        var counterfactual = Cfcql.Counterfactual(mixer, values, taken, states, available);                    // K × N × A
        Tensor lambda;
        using (no_grad())
        {
            var logBeta = MaskedCategorical.LogProbs(beta.Policy.Unroll(b.Observations, b.LastActions), b.Available);
            lambda = Weights(Cfcql.Divergences(counterfactual, Rows(logBeta), available), o.SoftmaxTemperature);
        }
        var cql = ((lambda * counterfactual.logsumexp(-1)).sum(1) - total).mean();
        return new CfcqlEpisodeTerms(td + o.CqlAlpha * cql, td, cql, total, counterfactual, actions, lambda);
    }

    /// <summary>λ from the divergences KL (… × N): softmax_i(τ · KLᵢ), or the one-hot argmax at the code's τ = 100.</summary>
    public static Tensor Weights(Tensor divergences, double temperature) =>
        temperature == CfcqlOptions.ArgmaxTemperature
            ? nn.functional.one_hot(divergences.argmax(-1), divergences.shape[^1]).to_type(divergences.dtype)
            : nn.functional.softmax(temperature * divergences, -1);

    void SyncTargets()
    {
        TargetNetwork.Copy(qTarget, q);
        TargetNetwork.Copy(mixerTarget, mixer);
    }

    public Tensor? InitialState(long episodes) => q.InitialState(episodes, device);

    /// <summary>Greedy per-agent execution: the one-hot of each agent's best available action under Qⁱ(τⁱ, ·).</summary>
    public (Tensor Probabilities, Tensor? Hidden) Act(Tensor observations, Tensor available, Tensor lastActions, Tensor? hidden)
    {
        using var _ = no_grad();
        var (values, next) = q.Step(observations, lastActions, hidden);
        var best = values.masked_fill(available.logical_not(), EpisodeMixing.Unavailable).argmax(-1);
        return (nn.functional.one_hot(best, values.shape[^1]).to_type(float32), next);
    }

    public void Dispose()
    {
        foreach (var (_, m) in Modules) m.Dispose();
    }
}
