using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// The networks and optimisers of the practical InSPO (SPEC 3), shared by the feed-forward learner (<see cref="Inspo"/>)
/// and the recurrent one (<see cref="InspoEpisodes"/>), which differ only in the policy networks' kind: πⁱ and μⁱ per
/// agent (<paramref name="policy"/>), μ^{-i} (autoregressive, on the state), Qⁱ and its Polyak target Q̄ⁱ on the state,
/// log α; one Adam per agent and role (μⁱ with μ^{-i}), one for log α. Built in this order from the initialisation
/// generator, and checkpointed under the names pi{i}, mu{i}, mu_minus{i}, q{i}, q_target{i}, log_alpha.
/// </summary>
internal sealed class InspoNetworks : IDisposable
{
    public InspoNetworks(EnvSpec spec, InspoOptions o, AgentNetworkOptions policy, Device device, Generator init)
    {
        int n = spec.Agents, a = spec.Actions, h = o.Hidden;
        Pi = AgentNetwork.Create("pi", n, spec.ObservationSize, a, a, policy, init, smallOutput: true);
        Mu = AgentNetwork.Create("mu", n, spec.ObservationSize, a, a, policy, init, smallOutput: true);
        MuMinus = Enumerable.Range(0, n).Select(i => new AutoregressiveBehaviour($"mu_minus{i}", i, n, a, spec.StateSize, h, init)).ToArray();
        Q = AgentNetwork.Create("q", n, spec.StateSize, a, a, AgentNetworkOptions.PerAgentMlp(h), init);
        QTarget = AgentNetwork.Create("q_target", n, spec.StateSize, a, a, AgentNetworkOptions.PerAgentMlp(h), init);
        LogAlpha = new LogAlpha(o.Alpha);
        foreach (var m in new nn.Module[] { Pi, Mu, Q, QTarget }.Concat(MuMinus).Append(LogAlpha)) m.to(device);
        for (int i = 0; i < n; i++)
        {
            QTarget.Member(i).load_state_dict(Q.Member(i).state_dict());
            foreach (var p in QTarget.Member(i).parameters()) p.requires_grad = false;
        }
        PiOpt = Enumerable.Range(0, n).Select(i => (optim.Optimizer)optim.Adam(Pi.Member(i).parameters(), o.LearningRate)).ToArray();
        MuOpt = Enumerable.Range(0, n).Select(i =>
            (optim.Optimizer)optim.Adam(Mu.Member(i).parameters().Concat(MuMinus[i].parameters()), o.LearningRate)).ToArray();
        QOpt = Enumerable.Range(0, n).Select(i => (optim.Optimizer)optim.Adam(Q.Member(i).parameters(), o.LearningRate)).ToArray();
        AlphaOpt = optim.Adam(LogAlpha.parameters(), o.AlphaLearningRate);

        var modules = new List<(string, nn.Module)>();
        for (int i = 0; i < n; i++)
            modules.AddRange(new (string, nn.Module)[] { ($"pi{i}", Pi.Member(i)), ($"mu{i}", Mu.Member(i)), ($"mu_minus{i}", MuMinus[i]), ($"q{i}", Q.Member(i)), ($"q_target{i}", QTarget.Member(i)) });
        modules.Add(("log_alpha", LogAlpha));
        Modules = modules;
        var optimizers = new List<(string, optim.Optimizer)>();
        for (int i = 0; i < n; i++) optimizers.AddRange(new[] { ($"pi{i}", PiOpt[i]), ($"mu{i}", MuOpt[i]), ($"q{i}", QOpt[i]) });
        optimizers.Add(("log_alpha", AlphaOpt));
        Optimizers = optimizers;
    }

    public AgentNetwork Pi { get; }
    public AgentNetwork Mu { get; }
    public AutoregressiveBehaviour[] MuMinus { get; }
    public AgentNetwork Q { get; }
    public AgentNetwork QTarget { get; }
    public LogAlpha LogAlpha { get; }
    public optim.Optimizer[] PiOpt { get; }
    public optim.Optimizer[] MuOpt { get; }
    public optim.Optimizer[] QOpt { get; }
    public optim.Optimizer AlphaOpt { get; }
    public IReadOnlyList<(string Name, nn.Module Module)> Modules { get; }
    public IReadOnlyList<(string Name, optim.Optimizer Optimizer)> Optimizers { get; }

    public void Dispose()
    {
        foreach (var m in Modules) m.Module.Dispose();
    }
}
