using InSPO.Tabular;

namespace InSPO.Envs;

/// <summary>
/// A one-step cooperative N-player matrix game (SPEC 5.1): named agents, named actions per agent and a
/// shared reward tensor r[a⁰][a¹]… stored row-major. Named dataset definitions travel with the game, so
/// a game file is enough to run <c>inspo solve</c>.
/// </summary>
public sealed class MatrixGame
{
    public MatrixGame(string name, string[] agents, string[][] actions, double[] rewards,
                      IEnumerable<MatrixDatasetDefinition>? datasets = null)
    {
        if (agents.Length < 1) throw new ArgumentException($"game '{name}': needs at least one agent");
        if (actions.Length != agents.Length)
            throw new ArgumentException($"game '{name}': {actions.Length} action lists for {agents.Length} agents");
        for (int i = 0; i < agents.Length; i++)
        {
            if (actions[i].Length < 1) throw new ArgumentException($"game '{name}': agent '{agents[i]}' has no actions");
            var dup = actions[i].GroupBy(a => a).FirstOrDefault(g => g.Count() > 1);
            if (dup is not null) throw new ArgumentException($"game '{name}': agent '{agents[i]}' lists action '{dup.Key}' twice");
        }
        int size = actions.Aggregate(1, (p, a) => checked(p * a.Length));
        if (rewards.Length != size)
            throw new ArgumentException($"game '{name}': reward tensor has {rewards.Length} entries, expected {string.Join(" × ", actions.Select(a => a.Length))} = {size}");
        for (int k = 0; k < rewards.Length; k++)
            if (!double.IsFinite(rewards[k])) throw new ArgumentException($"game '{name}': reward {rewards[k]} at flat index {k} is not finite");
        Name = name;
        Agents = (string[])agents.Clone();
        Actions = actions.Select(a => (string[])a.Clone()).ToArray();
        Rewards = (double[])rewards.Clone();
        Tabular = TabularGame.Matrix(ActionCounts, Rewards);
        Datasets = (datasets ?? Array.Empty<MatrixDatasetDefinition>()).ToDictionary(d => d.Name, d => d);
        foreach (var d in Datasets.Values) d.Validate(this);
    }

    public string Name { get; }
    public string[] Agents { get; }
    public string[][] Actions { get; }
    public double[] Rewards { get; }
    public int[] ActionCounts => Actions.Select(a => a.Length).ToArray();
    public IReadOnlyDictionary<string, MatrixDatasetDefinition> Datasets { get; }
    /// <summary>The same game as a one-state tabular game, for the exact algorithm.</summary>
    public TabularGame Tabular { get; }
    /// <summary>The best joint reward (the optimum of a cooperative one-step game).</summary>
    public double Optimum => Rewards.Max();

    /// <summary>Index of an action by name; throws naming the agent and the known actions.</summary>
    public int ActionIndex(int agent, string action)
    {
        int k = Array.IndexOf(Actions[agent], action);
        if (k < 0)
            throw new ArgumentException($"game '{Name}': unknown action '{action}' for agent '{Agents[agent]}' (known: {string.Join(", ", Actions[agent])})");
        return k;
    }

    public double Reward(ReadOnlySpan<int> jointAction) => Rewards[Tabular.JointIndex(jointAction)];

    /// <summary>Looks up a dataset definition by name, naming the known ones when it is absent.</summary>
    public MatrixDatasetDefinition Dataset(string name) =>
        Datasets.TryGetValue(name, out var d) ? d
        : throw new ArgumentException($"game '{Name}': unknown dataset '{name}' (known: {string.Join(", ", Datasets.Keys)})");

    /// <summary>"A", "B" … of a joint index, e.g. "(A,B)".</summary>
    public string JointName(int joint) =>
        "(" + string.Join(",", Enumerable.Range(0, Agents.Length).Select(i => Actions[i][Tabular.ActionOf(joint, i)])) + ")";
}

/// <summary>How the behaviour policy of a named matrix-game dataset draws joint actions.</summary>
public abstract record MatrixDatasetDefinition(string Name, string Description)
{
    /// <summary>The exact per-agent marginals μⁱ of the behaviour policy (what counting converges to).</summary>
    public abstract ProductPolicy Behaviour(MatrixGame game);

    /// <summary>Draws one joint action.</summary>
    public abstract void Sample(MatrixGame game, Random rng, Span<int> jointAction);

    public abstract void Validate(MatrixGame game);
}

/// <summary>An equal mixture of the listed joint actions (XOR's datasets). Its marginals need not be a
/// product of the joint distribution: μ is what per-agent counting recovers from such data.</summary>
public sealed record SupportDataset(string Name, string Description, int[][] JointActions) : MatrixDatasetDefinition(Name, Description)
{
    public override ProductPolicy Behaviour(MatrixGame game)
    {
        var marginals = game.ActionCounts.Select(a => new double[a]).ToArray();
        foreach (var joint in JointActions)
            for (int i = 0; i < joint.Length; i++) marginals[i][joint[i]] += 1.0 / JointActions.Length;
        return ProductPolicy.StateIndependent(1, marginals);
    }

    public override void Sample(MatrixGame game, Random rng, Span<int> jointAction) =>
        JointActions[rng.Next(JointActions.Length)].CopyTo(jointAction);

    public override void Validate(MatrixGame game)
    {
        if (JointActions.Length == 0) throw new ArgumentException($"game '{game.Name}': dataset '{Name}' has an empty support");
        foreach (var joint in JointActions)
        {
            if (joint.Length != game.Agents.Length)
                throw new ArgumentException($"game '{game.Name}': dataset '{Name}' lists a joint action of {joint.Length} actions for {game.Agents.Length} agents");
            for (int i = 0; i < joint.Length; i++)
                if (joint[i] < 0 || joint[i] >= game.Actions[i].Length)
                    throw new ArgumentException($"game '{game.Name}': dataset '{Name}' uses action index {joint[i]} for agent '{game.Agents[i]}'");
        }
    }
}

/// <summary>Agents act independently from per-agent distributions μⁱ (M-NE's datasets).</summary>
public sealed record ProductDataset(string Name, string Description, double[][] PerAgent) : MatrixDatasetDefinition(Name, Description)
{
    public override ProductPolicy Behaviour(MatrixGame game) => ProductPolicy.StateIndependent(1, PerAgent);

    public override void Sample(MatrixGame game, Random rng, Span<int> jointAction)
    {
        for (int i = 0; i < PerAgent.Length; i++)
        {
            double u = rng.NextDouble(), acc = 0;
            int a = PerAgent[i].Length - 1;
            for (int k = 0; k < PerAgent[i].Length; k++) { acc += PerAgent[i][k]; if (u < acc) { a = k; break; } }
            jointAction[i] = a;
        }
    }

    public override void Validate(MatrixGame game)
    {
        if (PerAgent.Length != game.Agents.Length)
            throw new ArgumentException($"game '{game.Name}': dataset '{Name}' gives {PerAgent.Length} behaviour distributions for {game.Agents.Length} agents");
        for (int i = 0; i < PerAgent.Length; i++)
        {
            if (PerAgent[i].Length != game.Actions[i].Length)
                throw new ArgumentException($"game '{game.Name}': dataset '{Name}' gives {PerAgent[i].Length} probabilities for agent '{game.Agents[i]}', who has {game.Actions[i].Length} actions");
            if (PerAgent[i].Any(p => !(p >= 0) || double.IsInfinity(p)) || Math.Abs(PerAgent[i].Sum() - 1) > 1e-6)
                throw new ArgumentException($"game '{game.Name}': dataset '{Name}': behaviour of agent '{game.Agents[i]}' is not a probability distribution");
        }
    }
}
