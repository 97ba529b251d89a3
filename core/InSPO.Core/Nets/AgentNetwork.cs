using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>Feed-forward (<see cref="Mlp"/>) or recurrent over the episode (<see cref="RecurrentAgent"/>).</summary>
public enum AgentNetworkKind { Mlp, Recurrent }

/// <summary>
/// How a learner's per-agent networks are built (DESIGN "Agent networks from one factory").
/// </summary>
/// <param name="Kind">MLP (3 layers) or recurrent (Linear → ReLU → GRUCell → Linear).</param>
/// <param name="Shared">One network for all agents (then <paramref name="AgentId"/> tells them apart) instead of one each.</param>
/// <param name="AgentId">Append the agent's one-hot id to its input (PyMARL's obs_agent_id).</param>
/// <param name="LastAction">Append the one-hot of the agent's previous action (zeros at an episode's first step; PyMARL's obs_last_action).</param>
/// <param name="Hidden">Hidden units.</param>
public sealed record AgentNetworkOptions(AgentNetworkKind Kind, bool Shared, bool AgentId, bool LastAction, int Hidden)
{
    /// <summary>One MLP per agent on its own input: games and Bridge, every algorithm (as before the factory).</summary>
    public static AgentNetworkOptions PerAgentMlp(int hidden) => new(AgentNetworkKind.Mlp, false, false, false, hidden);

    /// <summary>Hidden units of a SMAC agent (PyMARL's rnn_hidden_dim; SPEC 3's "two linear layers of 64 and a GRU cell").</summary>
    public const int SmacAgentHidden = 64;

    /// <summary>PyMARL's RNNAgent as the SMAC baselines use it (BC, OMAR, CFCQL, OMIGA; SPEC 3): one GRU agent shared by
    /// all agents, agent id and last action appended, 64 units.</summary>
    public static AgentNetworkOptions SharedRecurrent(int hidden = SmacAgentHidden) => new(AgentNetworkKind.Recurrent, true, true, true, hidden);

    /// <summary>InSPO's SMAC policy (SPEC 3): a GRU agent per agent (a sequential round must not move teammates'
    /// policies), last action appended, 64 units.</summary>
    public static AgentNetworkOptions PerAgentRecurrent(int hidden = SmacAgentHidden) => new(AgentNetworkKind.Recurrent, false, false, true, hidden);

    public bool Recurrent => Kind == AgentNetworkKind.Recurrent;
}

/// <summary>
/// The networks of all N agents for one role (a policy, a critic, a behaviour model): per agent, or one shared
/// with the agent id in the input, feed-forward or recurrent. Every learner gets its agent networks here
/// (<see cref="Create"/>); per-agent members are built in agent order from the initialisation generator, so a
/// per-agent MLP family is drawn exactly as the learners drew it before the factory existed.
/// Member modules are registered as "agent{i}" (or "shared"), so two networks of the same shape (online and
/// target) have the same state-dict keys.
/// </summary>
public sealed class AgentNetwork : nn.Module
{
    readonly nn.Module[] members;

    AgentNetwork(string name, int agents, int inputs, int actions, int outputs, AgentNetworkOptions options, Generator init, bool smallOutput) : base(name)
    {
        Agents = agents;
        Options = options;
        Outputs = outputs;
        Layout = new AgentNetworkLayout(agents, inputs, actions, outputs, options);
        long width = Layout.Width;
        int count = options.Shared ? 1 : agents;
        members = new nn.Module[count];
        for (int i = 0; i < count; i++)
        {
            string member = options.Shared ? name : $"{name}{i}";
            members[i] = options.Recurrent
                ? new RecurrentAgent(member, width, options.Hidden, outputs, init, smallOutput)
                : new Mlp(member, width, options.Hidden, outputs, init, smallOutput);
            register_module(options.Shared ? "shared" : $"agent{i}", members[i]);
        }
    }

    /// <summary>N networks (or one shared) mapping an agent's input of <paramref name="inputs"/> features (plus the
    /// id and last action when <paramref name="options"/> asks) to <paramref name="outputs"/> values.</summary>
    /// <param name="actions">Actions per agent A (the width of the last-action one-hot).</param>
    /// <param name="smallOutput">Start the last layer near zero (policy heads: a near-uniform start, see <see cref="Mlp"/>).</param>
    public static AgentNetwork Create(string name, int agents, int inputs, int actions, int outputs, AgentNetworkOptions options,
                                      Generator init, bool smallOutput = false) =>
        new(name, agents, inputs, actions, outputs, options, init, smallOutput);

    public int Agents { get; }
    public int Outputs { get; }
    public AgentNetworkOptions Options { get; }
    public bool Recurrent => Options.Recurrent;

    /// <summary>The module holding agent i's parameters (the shared one when shared): per-agent optimisers and
    /// target updates take it.</summary>
    public nn.Module Member(int agent) => members[Options.Shared ? 0 : agent];

    /// <summary>The members by a stable name for checkpoints: "{prefix}{i}" per agent (the names learners used before the
    /// factory, so checkpoints keep their layout), or "{prefix}" for a shared network.</summary>
    public IEnumerable<(string Name, nn.Module Module)> NamedMembers(string prefix) =>
        Options.Shared ? [(prefix, members[0])] : members.Select((m, i) => ($"{prefix}{i}", m));

    /// <summary>The network's shape without its weights (it builds each agent's input).</summary>
    public AgentNetworkLayout Layout { get; }

    /// <summary>Agent i's input with the configured extras (<see cref="AgentNetworkLayout.Input"/>).</summary>
    internal Tensor Input(int agent, Tensor x, Tensor? lastAction) => Layout.Input(agent, x, lastAction);

    /// <summary>Feed-forward networks, agent i: input K × in → K × out.</summary>
    public Tensor Forward(int agent, Tensor input, Tensor? lastAction = null)
    {
        if (Recurrent) throw new InvalidOperationException("a recurrent agent network runs through Step or Unroll");
        return ((Mlp)Member(agent)).forward(Input(agent, input, lastAction));
    }

    /// <summary>The hidden state of K episodes at their start: zeros K × N × h (null when feed-forward).</summary>
    public Tensor? InitialState(long episodes, Device device) =>
        Recurrent ? zeros(episodes, Agents, Options.Hidden, device: device) : null;

    /// <summary>All agents, one step: inputs K × N × in, last actions K × N, hidden K × N × h (recurrent) →
    /// (outputs K × N × out, next hidden).</summary>
    public (Tensor Outputs, Tensor? Hidden) Step(Tensor inputs, Tensor? lastActions, Tensor? hidden)
    {
        if (!Recurrent)
            return (stack(Enumerable.Range(0, Agents).Select(i => Forward(i, inputs.select(1, i), lastActions?.select(1, i))).ToArray(), 1), null);
        hidden ??= InitialState(inputs.shape[0], inputs.device);
        var outs = new Tensor[Agents];
        var next = new Tensor[Agents];
        for (int i = 0; i < Agents; i++)
            (outs[i], next[i]) = ((RecurrentAgent)Member(i)).Step(Input(i, inputs.select(1, i), lastActions?.select(1, i)), hidden!.select(1, i));
        return (stack(outs, 1), stack(next, 1));
    }

    /// <summary>All agents over whole episodes from their initial state: inputs B × T × N × in, last actions B × T × N
    /// (−1 at t = 0) → outputs B × T × N × out. A shared network runs all agents as one batch of B·N sequences.</summary>
    public Tensor Unroll(Tensor inputs, Tensor? lastActions)
    {
        if (!Recurrent)
            return stack(Enumerable.Range(0, Agents).Select(i => Forward(i, inputs.select(2, i), lastActions?.select(2, i))).ToArray(), 2);
        if (Options.Shared)
        {
            long b = inputs.shape[0], t = inputs.shape[1];
            var x = stack(Enumerable.Range(0, Agents).Select(i => Input(i, inputs.select(2, i), lastActions?.select(2, i))).ToArray(), 1); // B × N × T × w
            var y = ((RecurrentAgent)members[0]).Unroll(x.reshape(b * Agents, t, x.shape[3]));                                          // B·N × T × out
            return y.view(b, Agents, t, Outputs).permute(0, 2, 1, 3);
        }
        return stack(Enumerable.Range(0, Agents).Select(i => UnrollAgent(i, inputs.select(2, i), lastActions?.select(2, i))).ToArray(), 2);
    }

    /// <summary>Agent i over whole episodes: inputs B × T × in, last actions B × T → B × T × out.</summary>
    public Tensor UnrollAgent(int agent, Tensor inputs, Tensor? lastActions)
    {
        if (!Recurrent) return Forward(agent, inputs, lastActions);
        return ((RecurrentAgent)Member(agent)).Unroll(Input(agent, inputs, lastActions));
    }
}
