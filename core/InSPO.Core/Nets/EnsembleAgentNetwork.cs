using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>
/// S members of one recurrent <see cref="AgentNetwork"/> (seed ensembles on SMAC-lite), copied from the members' single
/// networks: a shared network is one <see cref="EnsembleRecurrentAgent"/> of S members; per-agent networks are one of
/// N·S members, row j·S + s holding agent j of member s (so a step that updates one agent per member gathers rows, as
/// the feed-forward InSPO ensemble does). Inputs get the single network's extras (last action, agent id) from the
/// single network's own code.
/// </summary>
public sealed class EnsembleAgentNetwork : nn.Module
{
    readonly EnsembleRecurrentAgent agents;
    // The members' single networks' shape and name (Member rebuilds one).
    readonly AgentNetworkLayout layout;
    readonly string memberName;

    public EnsembleAgentNetwork(string name, IReadOnlyList<AgentNetwork> members, Device device) : base(name)
    {
        var first = members[0];
        if (!first.Recurrent) throw new ArgumentException("the ensemble agent network is for recurrent agents (feed-forward ones use EnsembleMlp)");
        Members = members.Count;
        Agents = first.Agents;
        Options = first.Options;
        var rows = Options.Shared
            ? members.Select(m => (RecurrentAgent)m.Member(0))
            : Enumerable.Range(0, Agents).SelectMany(j => members.Select(m => (RecurrentAgent)m.Member(j)));   // row j·S + s
        agents = new EnsembleRecurrentAgent("agents", rows.ToArray(), device);
        layout = first.Layout;
        memberName = name;
        RegisterComponents();
    }

    public int Members { get; }
    public int Agents { get; }
    public AgentNetworkOptions Options { get; }

    /// <summary>Every member's agents over whole episodes: inputs S × B × T × N × in, last actions S × B × T × N →
    /// S × B × T × N × out (each member's <see cref="AgentNetwork.Unroll"/>).</summary>
    public Tensor Unroll(Tensor inputs, Tensor lastActions)
    {
        long s = inputs.shape[0], b = inputs.shape[1], t = inputs.shape[2];
        var perAgent = Enumerable.Range(0, Agents).Select(i => layout.Input(i, inputs.select(3, i), lastActions.select(3, i))).ToArray();
        if (Options.Shared)
        {
            var x = stack(perAgent, 2);                                                                        // S × B × N × T × w
            var y = agents.Unroll(x.reshape(s, b * Agents, t, x.shape[^1]));                                   // S × B·N × T × out
            return y.view(s, b, Agents, t, -1).permute(0, 1, 3, 2, 4);
        }
        var rows = stack(perAgent).reshape(Agents * s, b, t, perAgent[0].shape[^1]);                           // N·S × B × T × w
        return agents.Unroll(rows).view(Agents, s, b, t, -1).permute(1, 2, 3, 0, 4);
    }

    /// <summary>Per-agent networks, one agent per member: member s's agent <paramref name="agentOf"/>[s] over its
    /// episodes, inputs S × B × T × N × in, last actions S × B × T × N → S × B × T × out. Gradients reach those
    /// agents only.</summary>
    public Tensor UnrollAgents(IReadOnlyList<int> agentOf, Tensor inputs, Tensor lastActions)
    {
        if (Options.Shared) throw new InvalidOperationException("a shared network has no per-agent members");
        var x = stack(agentOf.Select((i, s) => layout.Input(i, inputs[s].select(2, i), lastActions[s].select(2, i))).ToArray());
        var rows = tensor(agentOf.Select((i, s) => (long)(i * Members + s)).ToArray(), device: inputs.device);
        return agents.UnrollRows(rows, x);
    }

    /// <summary>Member k as an ordinary <see cref="AgentNetwork"/> on <paramref name="device"/> (its weights copied):
    /// evaluation steps it through episodes as it steps a single run's network.</summary>
    public AgentNetwork Member(int k, Device device)
    {
        using var init = new Generator(0, CPU);
        var net = AgentNetwork.Create(memberName, layout.Agents, layout.Inputs, layout.Actions, layout.Outputs, layout.Options, init);
        for (int j = 0; j < (Options.Shared ? 1 : Agents); j++)
            agents.CopyMemberTo(j * Members + k, (RecurrentAgent)net.Member(j));
        return net.to(device);
    }
}
