// OMIGA — offline MARL with implicit global-to-local value regularisation (Wang et al., NeurIPS 2023; SPEC 8),
// discrete actions as in the authors' SMAC branch.
//
// Objective (the paper's global behaviour-regularised objective with a reverse-KL regulariser at temperature α,
// decomposed through a mixer LINEAR in the local values; the paper's text was not available offline, so its
// equations are named here, not numbered; the losses are those of the authors' trainer, notes §4):
//   Q_tot(s, a) = Σᵢ wᵢ(s) Qⁱ(oⁱ, aⁱ) + b(s),  V_tot(s) = Σᵢ wᵢ(s) Vⁱ(oⁱ) + b(s),  w ≥ 0   (Nets/OmigaMixer.cs)
//   Q and mixer (global TD, target V and target mixer at s'):
//     L_Q = E_D[(Q_tot(s, a_D) − r − γ(1 − done) V̄_tot(s'))²]
//   local residual with the target Q̄ and target weights w̄:
//     zᵢ = clip((w̄ᵢ(s) Q̄ⁱ(oⁱ, aⁱ_D) − w̄ᵢ(s) Vⁱ(oⁱ)) / α, −10, 10)
//   V (the implicit local value regulariser, exponential form, stabilised by m = max(max zᵢ over the batch, −1)):
//     L_V = E_D Σᵢ[exp(zᵢ − m) + exp(−m) w̄ᵢ(s) Vⁱ(oⁱ) / α]
//     (its minimiser satisfies E_{aⁱ∼D}[exp(zᵢ)] = 1: w̄ᵢVⁱ is the α-soft maximum of w̄ᵢQ̄ⁱ over in-sample actions)
//   policy (in-sample weighted behaviour cloning):  L_π = −E_D Σᵢ exp(zᵢ) · log πⁱ(aⁱ_D|oⁱ)   (weights detached)
//   so πⁱ ∝ μⁱ · exp(w̄ᵢ Q̄ⁱ / α): large α stays near behaviour cloning, small α ("relaxed") approaches the
//   greedy action of the linear decomposition — on XOR (b) the OOD (B, B).
//
// Choices the paper (or its code) leaves open, and what this file does:
// - Games and Bridge: per-agent networks (not shared, no agent-id input; SPEC 3's default for games) on the observation:
//   Qⁱ(oⁱ, ·) with one output per action, Vⁱ(oⁱ), πⁱ(·|oⁱ) logits (policy head starts near uniform like every policy
//   here). SMAC-lite: the SMAC branch's networks, each one 3-layer MLP shared by all agents on [oⁱ, id] (context
//   length 1: no recurrence), 256 units (OmigaOptions.Network).
// - The mixer reads the global state s (the SMAC branch feeds agent-specific MAPPO states; the games and Bridge
//   have one global state, SPEC 5).
// - Update order per step as in the code: policy, then Q + mixer, then V, then Polyak (τ) on Q, V and mixer. The
//   actor's target copy that the SMAC branch also averages is never read, so it is not kept.
// - "done" is the dataset's terminated flag, not the SMAC branch's s == s' test; the reward is the step reward,
//   not the SMAC branch's reward-to-go overwrite (notes §4.2 quirks).
// - Unavailable actions are masked out of πⁱ in training and execution (the code masks only at execution).
// - Execution is stochastic: Policy returns πⁱ itself, which is what the games' exact expected return evaluates
//   (the SMAC branch's greedy evaluation is commented out there).
// - The exponentiated weight exp(zᵢ) is bounded by e¹⁰ only through the clip of zᵢ, as in the code.
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

public sealed class Omiga : IOfflineLearner, IHasOptions
{
    readonly OmigaOptions o;
    readonly int N, A;
    readonly AgentNetwork pi, q, qTarget, v, vTarget;
    readonly OmigaMixer mixer, mixerTarget;
    readonly optim.Optimizer piOpt, qOpt, vOpt;

    public Omiga(EnvSpec spec, OmigaOptions options, Device device, Generator init)
    {
        o = options;
        N = spec.Agents;
        A = spec.Actions;
        int obs = spec.ObservationSize;
        var network = o.Network ?? AgentNetworkOptions.PerAgentMlp(o.Hidden);
        if (network.Recurrent || network.LastAction) throw new ArgumentException("omiga: the networks are feed-forward on the observation (and id)");
        pi = AgentNetwork.Create("pi", N, obs, A, A, network, init, smallOutput: true);
        q = AgentNetwork.Create("q", N, obs, A, A, network, init);
        qTarget = AgentNetwork.Create("q_target", N, obs, A, A, network, init);
        v = AgentNetwork.Create("v", N, obs, A, 1, network, init);
        vTarget = AgentNetwork.Create("v_target", N, obs, A, 1, network, init);
        mixer = new OmigaMixer("mixer", N, spec.StateSize, o.MixerHidden, init);
        mixerTarget = new OmigaMixer("mixer_target", N, spec.StateSize, o.MixerHidden, init);
        foreach (var m in new nn.Module[] { pi, q, qTarget, v, vTarget, mixer, mixerTarget })
            m.to(device);
        using (no_grad())
        {
            for (int i = 0; i < (network.Shared ? 1 : N); i++)
            {
                qTarget.Member(i).load_state_dict(q.Member(i).state_dict());
                vTarget.Member(i).load_state_dict(v.Member(i).state_dict());
            }
            mixerTarget.load_state_dict(mixer.state_dict());
        }
        foreach (var p in Targets.SelectMany(t => t.Target.parameters())) p.requires_grad = false;
        piOpt = optim.Adam(pi.parameters(), o.LearningRate);
        qOpt = optim.Adam(q.parameters().Concat(mixer.parameters()), o.LearningRate);
        vOpt = optim.Adam(v.parameters(), o.LearningRate);

        var modules = new List<(string, nn.Module)>();
        if (network.Shared)
            modules.AddRange(new (string, nn.Module)[]
                { ("pi", pi.Member(0)), ("q", q.Member(0)), ("q_target", qTarget.Member(0)), ("v", v.Member(0)), ("v_target", vTarget.Member(0)) });
        else
            for (int i = 0; i < N; i++)
                modules.AddRange(new (string, nn.Module)[]
                    { ($"pi{i}", pi.Member(i)), ($"q{i}", q.Member(i)), ($"q_target{i}", qTarget.Member(i)), ($"v{i}", v.Member(i)), ($"v_target{i}", vTarget.Member(i)) });
        modules.Add(("mixer", mixer));
        modules.Add(("mixer_target", mixerTarget));
        Modules = modules;
        Optimizers = new (string, optim.Optimizer)[] { ("pi", piOpt), ("q", qOpt), ("v", vOpt) };
    }

    /// <summary>The networks, from which a seed ensemble (<see cref="OmigaEnsemble"/>) copies its members' initial weights.</summary>
    internal (AgentNetwork Pi, AgentNetwork Q, AgentNetwork QTarget, AgentNetwork V, AgentNetwork VTarget, OmigaMixer Mixer, OmigaMixer MixerTarget) Networks =>
        (pi, q, qTarget, v, vTarget, mixer, mixerTarget);

    public string Name => "omiga";
    public OmigaOptions Options => o;
    object IHasOptions.Options => o;
    public IReadOnlyList<(string Name, nn.Module Module)> Modules { get; }
    public IReadOnlyList<(string Name, optim.Optimizer Optimizer)> Optimizers { get; }

    /// <summary>(online, target) pairs that Polyak averaging couples.</summary>
    IEnumerable<(nn.Module Online, nn.Module Target)> Targets =>
        new (nn.Module, nn.Module)[] { (q, qTarget), (v, vTarget), (mixer, mixerTarget) };

    /// <summary>One step of the three losses in the header (no behaviour phase: OMIGA needs no behaviour model,
    /// so the profile's behaviour steps are ordinary steps here).</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Step(long step, long totalSteps, DeviceEpisodeBuffer data, Generator generator)
    {
        var b = data.SampleTransitions(o.BatchSize, generator);
        Tensor wBar, qBar, y, weight;
        using (no_grad())
        {
            (wBar, _) = mixerTarget.forward(b.States);                                           // w̄(s), K × N
            qBar = MaskedCategorical.Pick(AgentValues(qTarget, b.Observations), b.Actions);       // Q̄ⁱ(oⁱ, aⁱ_D), K × N
            var vNext = mixerTarget.Mix(StateValues(vTarget, b.NextObservations), b.NextStates);  // V̄_tot(s')
            y = b.Rewards + o.Gamma * (1 - b.Done) * vNext;
            weight = Residual(wBar, qBar, StateValues(v, b.Observations), o.Alpha).exp();        // exp(zᵢ), V before its step
        }

        // policy: −E Σᵢ exp(zᵢ) log πⁱ(aⁱ_D|oⁱ)
        var logPi = stack(Enumerable.Range(0, N).Select(i =>
            MaskedCategorical.Pick(LogPi(i, b.Observations, b.Available), b.Actions.select(1, i))).ToArray(), 1);
        var piLoss = -(weight * logPi).sum(1).mean();
        Update(piOpt, piLoss, pi.parameters());

        // Q and mixer: (Q_tot(s, a_D) − y)²
        var qTot = mixer.Mix(MaskedCategorical.Pick(AgentValues(q, b.Observations), b.Actions), b.States);
        var qLoss = (qTot - y).pow(2).mean();
        Update(qOpt, qLoss, q.parameters().Concat(mixer.parameters()));

        // V: exp(zᵢ − m) + exp(−m) w̄ᵢ Vⁱ / α
        var values = StateValues(v, b.Observations);
        var z = Residual(wBar, qBar, values, o.Alpha);
        var m = z.max().clamp_min(-1.0).detach();
        var vLoss = ((z - m).exp() + (-m).exp() * wBar * values / o.Alpha).sum(1).mean();
        Update(vOpt, vLoss, v.parameters());

        foreach (var (online, target) in Targets) TargetNetwork.Polyak(target, online, o.Tau);

        return new KeyValuePair<string, double>[]
        {
            new("loss/policy", piLoss.item<float>()), new("loss/q", qLoss.item<float>()), new("loss/v", vLoss.item<float>()),
            new("train/weight_max", weight.max().item<float>()), new("train/q_tot", qTot.mean().item<float>()),
        };
    }

    /// <summary>zᵢ = clip((w̄ᵢ Q̄ⁱ − w̄ᵢ Vⁱ) / α, −10, 10), all K × N.</summary>
    public static Tensor Residual(Tensor wBar, Tensor qBar, Tensor values, double alpha) =>
        ((wBar * qBar - wBar * values) / alpha).clamp(-10.0, 10.0);

    void Update(optim.Optimizer optimizer, Tensor loss, IEnumerable<TorchSharp.Modules.Parameter> parameters)
    {
        optimizer.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(parameters, o.GradClip);
        optimizer.step();
    }

    /// <summary>Qⁱ(oⁱ, ·): K × N × A.</summary>
    Tensor AgentValues(AgentNetwork nets, Tensor observations) =>
        stack(Enumerable.Range(0, N).Select(i => nets.Forward(i, observations.select(1, i))).ToArray(), 1);

    /// <summary>Vⁱ(oⁱ): K × N.</summary>
    Tensor StateValues(AgentNetwork nets, Tensor observations) =>
        cat(Enumerable.Range(0, N).Select(i => nets.Forward(i, observations.select(1, i))).ToArray(), 1);

    Tensor LogPi(int i, Tensor obs, Tensor avail) => MaskedCategorical.AgentLogProbs(pi, i, obs, avail);

    /// <summary>πⁱ(·|oⁱ) of every agent (stochastic execution, see the header).</summary>
    public (Tensor Probabilities, Tensor? Hidden) Act(Tensor observations, Tensor available, Tensor lastActions, Tensor? hidden) =>
        (MaskedCategorical.JointProbabilities(pi, observations, available), null);

    public void Dispose()
    {
        foreach (var m in Modules) m.Module.Dispose();
    }
}
