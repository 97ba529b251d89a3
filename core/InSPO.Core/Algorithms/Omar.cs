// OMAR (Pan, Huang, Li, Xu: "Plan Better Amid Conservatism: Offline Multi-Agent Reinforcement Learning with
// Actor Rectification", ICML 2022), discrete-action form (SPEC 8; notes §3.4).
//
// Independent learners: agent i treats its teammates as part of the environment. Per agent:
// Equation numbers: the paper's own numbering could not be checked here, so the terms are named instead: "CQL"
// is the conservative critic of its §3 (the discrete CQL(H) of Kumar et al. 2020), "rectification" its actor
// objective of §4 (policy gradient mixed with a regression towards the best action found by zeroth-order search).
// - Critic, CQL:
//     L_Q = E_D[(Qⁱ(s,oⁱ,aⁱ) − y)²] + α_CQL · E_D[logsumexp_a Qⁱ(s,oⁱ,a) − Qⁱ(s,oⁱ,aⁱ_D)],
//     y = r + γ (1 − done) Q̄ⁱ(s',o'ⁱ, argmax_{a' available} π̄ⁱ(a'|o'ⁱ)).
// - Actor, OMAR's rectification ((1 − τ)·[policy-gradient term] + τ·E‖π(o) − â‖², τ = omar_coe,
//   â the best action found by zeroth-order search over Qⁱ). With discrete actions the search is exact: â is the
//   one-hot of argmax_a Qⁱ(s,oⁱ,a) over the available actions (SPEC 8). The policy-gradient term of a stochastic
//   discrete actor is the advantage actor-critic of the discrete code:
//     L_π = (1 − c)·(−E_D[(Qⁱ(aⁱ_D) − Σ_a πⁱ(a|oⁱ) Qⁱ(a)) · log πⁱ(aⁱ_D|oⁱ)]) + c · MSE(πⁱ(·|oⁱ), onehot(argmax Qⁱ)),
//   c = omar_coe = 0.5, Q from the current critic, detached.
//
// Choices the paper leaves open (and where they come from):
// - Critic input [s, oⁱ] with one output per action (the discrete code's [state, obsᵢ, id]; networks are per agent
//   here, so no id). On the matrix games and Bridge s and oⁱ carry the same information.
// - One critic, not two: the discrete code's "double" critic shares its output layers between the heads (a bug,
//   notes §3.4), and the paper's method needs only one conservative Q.
// - One-step TD on transitions (the discrete code uses TD(λ = 0.6) over episodes with one optimiser step per
//   time step; the engine's learners train on uniformly drawn transitions).
// - Targets: the next action is the target actor's greedy action (as the discrete code); target critic and target
//   actor follow by Polyak averaging τ = 0.01 (the original continuous OMAR) rather than the discrete code's hard copy
//   every 200 episodes, which in that code is thousands of optimiser steps, more than the quick profile has.
// - The CQL logsumexp and the argmax are over available actions (the discrete code masks neither; every action is
//   available in the matrix games and Bridge, so the results are unaffected).
// - No behaviour phase: OMAR learns no behaviour model, so it trains for the profile's whole budget
//   (BehaviourSteps + Steps), as BC does.
// - Evaluation: Act() returns the stochastic πⁱ(·|oⁱ) and the shared evaluator reports the exact expected
//   return under it (SPEC 4). The regulariser drives πⁱ to a near one-hot, so greedy execution (the discrete code's
//   test mode) gives the same joint action whenever πⁱ has converged.
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// OMAR with discrete actions: per agent a CQL critic Qⁱ([s, oⁱ], ·) and an actor πⁱ(·|oⁱ) rectified towards
/// argmax_a Qⁱ (see the file header for the objective and every choice). Networks are per agent (not shared).
/// </summary>
public sealed class Omar : IOfflineLearner, IHasOptions
{
    readonly OmarOptions o;
    readonly int N, A;
    readonly AgentNetwork pi, piTarget, q, qTarget;
    readonly optim.Optimizer[] piOpt, qOpt;

    public Omar(EnvSpec spec, OmarOptions options, Device device, Generator init)
    {
        o = options;
        N = spec.Agents;
        A = spec.Actions;
        int h = o.Hidden, criticIn = spec.StateSize + spec.ObservationSize;
        pi = AgentNetwork.Create("pi", N, spec.ObservationSize, A, A, AgentNetworkOptions.PerAgentMlp(h), init, smallOutput: true);
        piTarget = AgentNetwork.Create("pi_target", N, spec.ObservationSize, A, A, AgentNetworkOptions.PerAgentMlp(h), init, smallOutput: true);
        q = AgentNetwork.Create("q", N, criticIn, A, A, AgentNetworkOptions.PerAgentMlp(h), init);
        qTarget = AgentNetwork.Create("q_target", N, criticIn, A, A, AgentNetworkOptions.PerAgentMlp(h), init);
        foreach (var m in new nn.Module[] { pi, piTarget, q, qTarget }) m.to(device);
        for (int i = 0; i < N; i++)
        {
            piTarget.Member(i).load_state_dict(pi.Member(i).state_dict());
            qTarget.Member(i).load_state_dict(q.Member(i).state_dict());
            foreach (var p in piTarget.Member(i).parameters().Concat(qTarget.Member(i).parameters())) p.requires_grad = false;
        }
        piOpt = Enumerable.Range(0, N).Select(i => (optim.Optimizer)optim.Adam(pi.Member(i).parameters(), o.LearningRate)).ToArray();
        qOpt = Enumerable.Range(0, N).Select(i => (optim.Optimizer)optim.Adam(q.Member(i).parameters(), o.LearningRate)).ToArray();
        var modules = new List<(string, nn.Module)>();
        for (int i = 0; i < N; i++)
            modules.AddRange(new (string, nn.Module)[] { ($"pi{i}", pi.Member(i)), ($"pi_target{i}", piTarget.Member(i)), ($"q{i}", q.Member(i)), ($"q_target{i}", qTarget.Member(i)) });
        Modules = modules;
        Optimizers = Enumerable.Range(0, N).SelectMany(i => new[] { ($"pi{i}", piOpt[i]), ($"q{i}", qOpt[i]) }).ToArray();
    }

    /// <summary>The networks, from which a seed ensemble (<see cref="OmarEnsemble"/>) copies its members' initial weights.</summary>
    internal (AgentNetwork Pi, AgentNetwork PiTarget, AgentNetwork Q, AgentNetwork QTarget) Networks => (pi, piTarget, q, qTarget);

    public string Name => "omar";
    public OmarOptions Options => o;
    object IHasOptions.Options => o;
    public IReadOnlyList<(string Name, nn.Module Module)> Modules { get; }
    public IReadOnlyList<(string Name, optim.Optimizer Optimizer)> Optimizers { get; }

    /// <summary>One batch, then every agent independently: critic (CQL), actor (rectification), Polyak targets.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Step(long step, long totalSteps, DeviceEpisodeBuffer data, Generator generator)
    {
        var b = data.SampleTransitions(o.BatchSize, generator);
        var losses = new List<KeyValuePair<string, double>>();
        for (int i = 0; i < N; i++)
        {
            var (td, cql) = CriticStep(i, b);
            var (pg, reg) = ActorStep(i, b);
            TargetNetwork.Polyak(piTarget.Member(i), pi.Member(i), o.Tau);
            TargetNetwork.Polyak(qTarget.Member(i), q.Member(i), o.Tau);
            losses.Add(new($"loss/critic{i}", td));
            losses.Add(new($"loss/cql{i}", cql));
            losses.Add(new($"loss/pg{i}", pg));
            losses.Add(new($"loss/omar{i}", reg));
        }
        return losses;
    }

    /// <summary>CQL (discrete): (Qⁱ(aⁱ_D) − y)² + α_CQL (logsumexp_a Qⁱ(a) − Qⁱ(aⁱ_D)),
    /// y = r + γ(1 − done) Q̄ⁱ(s', o'ⁱ, argmax π̄ⁱ(·|o'ⁱ)).</summary>
    (double Td, double Cql) CriticStep(int i, TransitionBatch b)
    {
        Tensor y;
        using (no_grad())
        {
            var nextAction = MaskedCategorical.AgentLogProbs(piTarget, i, b.NextObservations, b.NextAvailable).argmax(1);
            var qNext = MaskedCategorical.Pick(qTarget.Forward(i, CriticInput(b.NextStates, b.NextObservations, i)), nextAction);
            y = b.Rewards + o.Gamma * (1 - b.Done) * qNext;
        }
        var qAll = q.Forward(i, CriticInput(b.States, b.Observations, i));
        var qData = MaskedCategorical.Pick(qAll, b.Actions.select(1, i));
        var td = (qData - y).pow(2).mean();
        var avail = b.Available.select(1, i);
        var cql = (qAll.masked_fill(avail.logical_not(), MaskedCategorical.MaskedLogit).logsumexp(1) - qData).mean();
        var loss = td + o.CqlWeight * cql;
        qOpt[i].zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(q.Member(i).parameters(), o.GradClip);
        qOpt[i].step();
        return (td.item<float>(), cql.item<float>());
    }

    /// <summary>Rectification with exact discrete search: (1 − c)·(−E[A(aⁱ_D) log πⁱ(aⁱ_D|oⁱ)]) + c·MSE(πⁱ, onehot(argmax Qⁱ)),
    /// A(a) = Qⁱ(a) − Σ_a' πⁱ(a') Qⁱ(a').</summary>
    (double Pg, double Reg) ActorStep(int i, TransitionBatch b)
    {
        var avail = b.Available.select(1, i);
        var actions = b.Actions.select(1, i);
        var logPi = MaskedCategorical.LogProbs(pi.Forward(i, b.Observations.select(1, i)), avail);
        var probs = logPi.exp();
        Tensor qAll, best;
        using (no_grad())
        {
            qAll = q.Forward(i, CriticInput(b.States, b.Observations, i));
            best = BestActionTarget(qAll, avail);
        }
        var advantage = (MaskedCategorical.Pick(qAll, actions) - (probs * qAll).sum(1)).detach();
        var pg = -(advantage * MaskedCategorical.Pick(logPi, actions)).mean();
        var reg = nn.functional.mse_loss(probs, best);
        var loss = (1 - o.OmarCoe) * pg + o.OmarCoe * reg;
        piOpt[i].zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(pi.Member(i).parameters(), o.GradClip);
        piOpt[i].step();
        return (pg.item<float>(), reg.item<float>());
    }

    /// <summary>OMAR's regression target with discrete actions: the one-hot of argmax_a Q(a) over the available
    /// actions (<paramref name="q"/> K × A, <paramref name="available"/> K × A bool, at least one true per row).</summary>
    public static Tensor BestActionTarget(Tensor q, Tensor available) =>
        nn.functional.one_hot(q.masked_fill(available.logical_not(), float.NegativeInfinity).argmax(-1), q.shape[^1]).to_type(q.dtype);

    static Tensor CriticInput(Tensor states, Tensor observations, int i) => cat(new[] { states, observations.select(1, i) }, 1);

    public (Tensor Probabilities, Tensor? Hidden) Act(Tensor observations, Tensor available, Tensor lastActions, Tensor? hidden) =>
        (MaskedCategorical.JointProbabilities(pi, observations, available), null);

    public void Dispose()
    {
        foreach (var m in Modules) m.Module.Dispose();
    }
}
