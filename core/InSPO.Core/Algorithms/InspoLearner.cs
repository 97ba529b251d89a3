using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// What the feed-forward InSPO (<see cref="Inspo"/>) and the recurrent one (<see cref="InspoEpisodes"/>) share: the
/// networks and optimisers, the options, α, the NaN guard and the two phases (SPEC 3: μⁱ and μ^{-i} trained first,
/// then one round of sequential updates per step). They differ in the policy networks' kind and in where a batch's
/// rows and their probabilities come from. Networks: πⁱ and μⁱ per agent (the subclass's kind), μ^{-i}
/// (autoregressive, on the state), Qⁱ and its Polyak target Q̄ⁱ on the state, log α; one Adam per agent and role (μⁱ
/// with μ^{-i}), one for log α; built in this order from the initialisation generator and checkpointed as pi{i}, mu{i},
/// mu_minus{i}, q{i}, q_target{i}, log_alpha.
/// </summary>
public abstract class InspoLearner : IOfflineLearner, IHasOptions
{
    protected readonly InspoOptions o;
    protected readonly int N, A;
    protected readonly Device device;
    protected readonly AgentNetwork pi, mu, q, qTarget;
    protected readonly AutoregressiveBehaviour[] muMinus;
    protected readonly LogAlpha logAlpha;
    protected readonly optim.Optimizer[] piOpt, muOpt, qOpt;
    protected readonly optim.Optimizer alphaOpt;

    protected InspoLearner(EnvSpec spec, InspoOptions options, AgentNetworkOptions policy, Device device, Generator init)
    {
        o = options;
        this.device = device;
        N = spec.Agents;
        A = spec.Actions;
        int n = N, a = A, h = o.Hidden;
        pi = AgentNetwork.Create("pi", n, spec.ObservationSize, a, a, policy, init, smallOutput: true);
        mu = AgentNetwork.Create("mu", n, spec.ObservationSize, a, a, policy, init, smallOutput: true);
        muMinus = Enumerable.Range(0, n).Select(i => new AutoregressiveBehaviour($"mu_minus{i}", i, n, a, spec.StateSize, h, init)).ToArray();
        q = AgentNetwork.Create("q", n, spec.StateSize, a, a, AgentNetworkOptions.PerAgentMlp(h), init);
        qTarget = AgentNetwork.Create("q_target", n, spec.StateSize, a, a, AgentNetworkOptions.PerAgentMlp(h), init);
        logAlpha = new LogAlpha(o.Alpha);
        foreach (var m in new nn.Module[] { pi, mu, q, qTarget }.Concat(muMinus).Append(logAlpha)) m.to(device);
        for (int i = 0; i < n; i++)
        {
            qTarget.Member(i).load_state_dict(q.Member(i).state_dict());
            foreach (var p in qTarget.Member(i).parameters()) p.requires_grad = false;
        }
        piOpt = Enumerable.Range(0, n).Select(i => (optim.Optimizer)optim.Adam(pi.Member(i).parameters(), o.LearningRate)).ToArray();
        muOpt = Enumerable.Range(0, n).Select(i =>
            (optim.Optimizer)optim.Adam(mu.Member(i).parameters().Concat(muMinus[i].parameters()), o.LearningRate)).ToArray();
        qOpt = Enumerable.Range(0, n).Select(i => (optim.Optimizer)optim.Adam(q.Member(i).parameters(), o.LearningRate)).ToArray();
        alphaOpt = optim.Adam(logAlpha.parameters(), o.AlphaLearningRate);

        var modules = new List<(string, nn.Module)>();
        for (int i = 0; i < n; i++)
            modules.AddRange(new (string, nn.Module)[] { ($"pi{i}", pi.Member(i)), ($"mu{i}", mu.Member(i)), ($"mu_minus{i}", muMinus[i]), ($"q{i}", q.Member(i)), ($"q_target{i}", qTarget.Member(i)) });
        modules.Add(("log_alpha", logAlpha));
        Modules = modules;
        var optimizers = new List<(string, optim.Optimizer)>();
        for (int i = 0; i < n; i++) optimizers.AddRange(new[] { ($"pi{i}", piOpt[i]), ($"mu{i}", muOpt[i]), ($"q{i}", qOpt[i]) });
        optimizers.Add(("log_alpha", alphaOpt));
        Optimizers = optimizers;
    }


    public string Name => "inspo";
    public InspoOptions Options => o;
    object IHasOptions.Options => o;
    public IReadOnlyList<(string Name, nn.Module Module)> Modules { get; }
    public IReadOnlyList<(string Name, optim.Optimizer Optimizer)> Optimizers { get; }

    /// <summary>The networks, from which a seed ensemble (<see cref="InspoEnsemble"/>) copies its members' initial weights.</summary>
    internal (AgentNetwork Pi, AgentNetwork Mu, AgentNetwork Q, AgentNetwork QTarget, AutoregressiveBehaviour[] MuMinus) Networks =>
        (pi, mu, q, qTarget, muMinus);

    /// <summary>Diagnostics: every agent's target critic Q̄ⁱ(s,·) — the values Eq. 20's advantage is taken from — at
    /// global states K × state → K × N × A.</summary>
    public Tensor TargetActionValues(Tensor states)
    {
        using var _ = no_grad();
        return stack(Enumerable.Range(0, N).Select(i => qTarget.Forward(i, states)).ToArray(), 1);
    }

    /// <summary>Current α (fixed, or exp(log α) when auto-tuned).</summary>
    public double Alpha => o.AlphaAuto ? Math.Exp(logAlpha.Value.item<float>()) : o.Alpha;

    long currentStep;

    /// <summary>The NaN guard inside a round: a later agent's resampling would fail on a NaN ρ before the
    /// trainer sees the losses, so each loss is checked as soon as it is known.</summary>
    protected double Checked(string name, double value) => InSPO.Training.TrainingDivergedException.ThrowIfNotFinite(name, currentStep, value);

    public IReadOnlyList<KeyValuePair<string, double>> Step(long step, long totalSteps, DeviceEpisodeBuffer data, Generator generator) =>
        (currentStep = step) < o.BehaviourSteps
            ? BehaviourStep(data, generator)
            : Round(step - o.BehaviourSteps, Math.Max(1, totalSteps - o.BehaviourSteps), data, generator);

    /// <summary>Phase 1: one step of μⁱ (Eq. 21) and μ^{-i} (Eq. 22) for every agent.</summary>
    protected abstract IReadOnlyList<KeyValuePair<string, double>> BehaviourStep(DeviceEpisodeBuffer data, Generator generator);

    /// <summary>Phase 2: round <paramref name="t"/> of <paramref name="total"/>.</summary>
    protected abstract IReadOnlyList<KeyValuePair<string, double>> Round(long t, long total, DeviceEpisodeBuffer data, Generator generator);

    public virtual Tensor? InitialState(long episodes) => null;

    public abstract (Tensor Probabilities, Tensor? Hidden) Act(Tensor observations, Tensor available, Tensor lastActions, Tensor? hidden);

    public void Dispose()
    {
        foreach (var m in Modules) m.Module.Dispose();
    }
}
