namespace InSPO.Tabular;

/// <summary>
/// A cooperative tabular Markov game ⟨N, S, A = ∏ Aⁱ, P, r, γ, d⟩ (SPEC 1), the object the exact
/// algorithm works on. Joint actions are indexed in row-major order (agent 0 most significant),
/// the order of a reward tensor r[a⁰][a¹]…. Transition rows may sum to less than one: the missing
/// mass is the probability that the episode ends, so a matrix game is the one-state game whose
/// only transition ends it.
/// </summary>
public sealed class TabularGame
{
    readonly int[] _strides;

    public TabularGame(int[] actionCounts, int states, double[] reward, double[]? transition, double gamma, double[]? initial = null)
    {
        if (actionCounts.Length < 1) throw new ArgumentException("a game needs at least one agent");
        if (actionCounts.Any(a => a < 1)) throw new ArgumentException("every agent needs at least one action");
        if (states < 1) throw new ArgumentException("a game needs at least one state");
        if (gamma < 0 || gamma >= 1) throw new ArgumentException($"discount γ = {gamma} must lie in [0, 1)");
        ActionCounts = (int[])actionCounts.Clone();
        Agents = actionCounts.Length;
        States = states;
        JointActions = actionCounts.Aggregate(1, (p, a) => checked(p * a));
        _strides = new int[Agents];
        for (int i = Agents - 1, stride = 1; i >= 0; stride *= actionCounts[i], i--) _strides[i] = stride;

        if (reward.Length != states * JointActions)
            throw new ArgumentException($"reward has {reward.Length} entries, expected states × joint actions = {states * JointActions}");
        if (reward.Any(r => !double.IsFinite(r))) throw new ArgumentException("reward holds a non-finite value");
        Reward = (double[])reward.Clone();

        if (transition is not null)
        {
            if (transition.Length != states * JointActions * states)
                throw new ArgumentException($"transition has {transition.Length} entries, expected S × J × S = {states * JointActions * states}");
            for (int row = 0; row < states * JointActions; row++)
            {
                double sum = 0;
                for (int t = 0; t < states; t++)
                {
                    double p = transition[row * states + t];
                    if (!(p >= 0)) throw new ArgumentException($"transition row {row} holds {p}, not a probability");
                    sum += p;
                }
                if (sum > 1 + 1e-9) throw new ArgumentException($"transition row {row} sums to {sum} > 1");
            }
            Transition = (double[])transition.Clone();
        }
        Gamma = gamma;

        Initial = initial is null ? Enumerable.Range(0, states).Select(s => s == 0 ? 1.0 : 0.0).ToArray() : (double[])initial.Clone();
        if (Initial.Length != states || Math.Abs(Initial.Sum() - 1) > 1e-9 || Initial.Any(p => p < 0))
            throw new ArgumentException("initial distribution must be a probability vector over the states");
    }

    /// <summary>A one-step N-player matrix game: one state, reward tensor flattened row-major.</summary>
    public static TabularGame Matrix(int[] actionCounts, double[] rewards) =>
        new(actionCounts, 1, rewards, transition: null, gamma: 0);

    public int Agents { get; }
    public int States { get; }
    public int[] ActionCounts { get; }
    public int JointActions { get; }
    /// <summary>r(s, a), indexed [s · J + joint].</summary>
    public double[] Reward { get; }
    /// <summary>P(s' | s, a), indexed [(s · J + joint) · S + s'], or null when every step ends the episode.</summary>
    public double[]? Transition { get; }
    public double Gamma { get; }
    /// <summary>Start-state distribution d.</summary>
    public double[] Initial { get; }

    /// <summary>Agent i's action inside joint action <paramref name="joint"/>.</summary>
    public int ActionOf(int joint, int agent) => joint / _strides[agent] % ActionCounts[agent];

    /// <summary>The joint index of per-agent actions.</summary>
    public int JointIndex(ReadOnlySpan<int> actions)
    {
        int j = 0;
        for (int i = 0; i < Agents; i++) j += actions[i] * _strides[i];
        return j;
    }
}
