using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>
/// μ^{-i}: the autoregressive behaviour model of agent i's teammates (SPEC 3, Eq. 22),
/// μ^{-i}(a^{-i} | s, aⁱ) = Π_{j≠i} μ^{-i}_j(aʲ | s, aⁱ, a^{&lt;j}), one MLP per agent i. The input for
/// teammate j (teammates in increasing index order) is [one_hot_N(j), s, one_hot(aⁱ), one_hot(a^k) of
/// the teammates k before j (zeros for the rest)], N + S + (N−1)·A features, as AlberDICE's model
/// (notes §2.2); it conditions on the global state s. Teacher forcing: the preceding teammates'
/// actions are the dataset's.
/// </summary>
public sealed class AutoregressiveBehaviour : nn.Module<Tensor, Tensor>
{
    readonly Mlp net;
    readonly int agent, agents, actions, stateSize;

    public AutoregressiveBehaviour(string name, int agent, int agents, int actions, int stateSize, int hidden, Generator init) : base(name)
    {
        this.agent = agent; this.agents = agents; this.actions = actions; this.stateSize = stateSize;
        net = new Mlp("net", agents + stateSize + (agents - 1) * actions, hidden, actions, init);
        RegisterComponents();
    }

    /// <summary>The teammates of agent i in the model's (increasing index) order.</summary>
    public int[] Teammates => Enumerable.Range(0, agents).Where(j => j != agent).ToArray();

    /// <summary>Raw logits for already assembled inputs (K × (N + S + (N−1)A)).</summary>
    public override Tensor forward(Tensor input) => net.forward(input);

    /// <summary>log μ^{-i}_j(aʲ | s, aⁱ, a^{&lt;j}) for every teammate j: K × (N−1), columns in
    /// <see cref="Teammates"/> order. <paramref name="states"/> K × S, <paramref name="jointActions"/>
    /// K × N (int64), <paramref name="available"/> K × N × A.</summary>
    public Tensor TeammateLogProbs(Tensor states, Tensor jointActions, Tensor available) =>
        TeammateLogProbs(forward, agent, agents, actions, states, jointActions, available);

    /// <summary>The model's log-probabilities for any leading dimensions (a seed ensemble's S × K rows):
    /// <paramref name="logits"/> maps assembled inputs … × (N + S + (N−1)A) to … × A.</summary>
    internal static Tensor TeammateLogProbs(Func<Tensor, Tensor> logits, int agent, int agents, int actions,
                                            Tensor states, Tensor jointActions, Tensor available)
    {
        var rows = states.shape[..^1];
        long[] Shape(long last) => rows.Append(last).ToArray();
        var oneHot = nn.functional.one_hot(jointActions, actions).to_type(states.dtype);   // … × N × A
        var own = oneHot.select(-2, agent);
        var mates = Enumerable.Range(0, agents).Where(j => j != agent).ToArray();
        var columns = new List<Tensor>();
        var previous = zeros(Shape((long)(agents - 2) * actions), dtype: states.dtype, device: states.device);
        for (int m = 0; m < mates.Length; m++)
        {
            int j = mates[m];
            var id = nn.functional.one_hot(full(rows, (long)j, dtype: int64, device: states.device), agents).to_type(states.dtype);
            var input = cat(new[] { id, states, own, previous }, -1);
            var logp = MaskedCategorical.LogProbs(logits(input), available.select(-2, j));
            columns.Add(MaskedCategorical.Pick(logp, jointActions.select(-1, j)));
            if (m < mates.Length - 1)
            {
                // write teammate j's one-hot into its slot among the "preceding teammates" features
                var slots = new List<Tensor>();
                for (int p = 0; p < mates.Length - 1; p++)
                    slots.Add(p <= m ? oneHot.select(-2, mates[p]) : zeros(Shape(actions), dtype: states.dtype, device: states.device));
                previous = cat(slots.ToArray(), -1);
            }
        }
        return stack(columns.ToArray(), -1);
    }

    /// <summary>The MLP (an ensemble copies its members' weights from it).</summary>
    internal Mlp Net => net;

    /// <summary>Eq. 22: −mean over rows of Σ_{j≠i} log μ^{-i}_j(aʲ | s, aⁱ, a^{&lt;j}).</summary>
    public Tensor Loss(Tensor states, Tensor jointActions, Tensor available) =>
        -TeammateLogProbs(states, jointActions, available).sum(1).mean();
}

/// <summary>
/// μ^{-i} (<see cref="AutoregressiveBehaviour"/>) of S seeds at once: the members' MLPs as one
/// <see cref="EnsembleMlp"/>, inputs S × K × ….
/// </summary>
public sealed class EnsembleAutoregressiveBehaviour : nn.Module
{
    readonly EnsembleMlp net;
    readonly int agent, agents, actions;

    public EnsembleAutoregressiveBehaviour(string name, IReadOnlyList<AutoregressiveBehaviour> members, int agent, int agents, int actions, Device device) : base(name)
    {
        this.agent = agent; this.agents = agents; this.actions = actions;
        net = new EnsembleMlp("net", members.Select(m => m.Net).ToArray(), device);
        RegisterComponents();
    }

    /// <summary>S × K × (N−1): every member's teammate log-probabilities on its own rows.</summary>
    public Tensor TeammateLogProbs(Tensor states, Tensor jointActions, Tensor available) =>
        AutoregressiveBehaviour.TeammateLogProbs(net.forward, agent, agents, actions, states, jointActions, available);

    /// <summary>Eq. 22 per member: S.</summary>
    public Tensor Loss(Tensor states, Tensor jointActions, Tensor available) =>
        -TeammateLogProbs(states, jointActions, available).sum(-1).mean(new long[] { -1 });
}
