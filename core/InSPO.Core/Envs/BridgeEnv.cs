namespace InSPO.Envs;

/// <summary>
/// Bridge (Fu et al. 2022; AlberDICE's map 4), exactly as SPEC 5.2. A 3 × 6 grid, rows top to bottom
/// <c>1ABBAA</c> / <c>AAAAAA</c> / <c>AABBA2</c> (B = wall). Agent 0 starts at (1,2) with goal (2,5), agent 1
/// at (1,3) with goal (0,0): side by side on the one-cell-wide bridge, so one must back off.
/// Actions 0 stay, 1 up, 2 down, 3 right, 4 left. Reward per step: the mean over agents of
/// −0.1 × Euclidean distance to the own goal, counting 0 for agents already finished, zeroed on the
/// step where every agent is done. Observation of each agent = state =
/// [row, col, goal_row, goal_col] of agent 0 then agent 1.
/// </summary>
public sealed class BridgeEnv : IMultiAgentEnv
{
    public const int Rows = 3, Cols = 6, AgentCount = 2, ActionCount = 5;
    /// <summary>Episode limit of the datasets (AlberDICE recorded with the constructor default).</summary>
    public const int DatasetEpisodeLimit = 50;
    /// <summary>Episode limit of evaluation (AlberDICE's bridge.yaml).</summary>
    public const int EvaluationEpisodeLimit = 20;

    static readonly string[] Layout = { "1ABBAA", "AAAAAA", "AABBA2" };
    public static readonly (int Row, int Col)[] Starts = { (1, 2), (1, 3) };
    public static readonly (int Row, int Col)[] Goals = { (2, 5), (0, 0) };
    /// <summary>(row, col) displacement of each action.</summary>
    public static readonly (int Dr, int Dc)[] Moves = { (0, 0), (-1, 0), (1, 0), (0, 1), (0, -1) };
    public static readonly string[] ActionNames = { "stay", "up", "down", "right", "left" };

    readonly (int Row, int Col)[] _pos = new (int, int)[AgentCount];
    readonly bool[] _done = new bool[AgentCount];
    readonly Dictionary<string, double> _info = new();
    int _t;

    public BridgeEnv(int episodeLimit = EvaluationEpisodeLimit)
    {
        if (episodeLimit < 1) throw new ArgumentException($"episode limit {episodeLimit} must be at least 1");
        Spec = new EnvSpec("bridge", AgentCount, ActionCount, 8, 8, episodeLimit);
        Reset(0);
    }

    public EnvSpec Spec { get; }
    public IReadOnlyDictionary<string, double> Info => _info;
    public (int Row, int Col) Position(int agent) => _pos[agent];
    public bool IsDone(int agent) => _done[agent];
    public int StepsTaken => _t;

    /// <summary>True for a cell inside the grid that is not a wall.</summary>
    public static bool IsFree(int row, int col) => row >= 0 && row < Rows && col >= 0 && col < Cols && Layout[row][col] != 'B';

    /// <summary>Where an action would take an agent on an empty board: a move into a wall or off the grid stays.</summary>
    public static (int Row, int Col) Target((int Row, int Col) from, int action)
    {
        var (dr, dc) = Moves[action];
        return IsFree(from.Row + dr, from.Col + dc) ? (from.Row + dr, from.Col + dc) : from;
    }

    public void Reset(int seed)
    {
        for (int i = 0; i < AgentCount; i++) { _pos[i] = Starts[i]; _done[i] = false; }
        _t = 0;
    }

    /// <summary>Puts the game in an arbitrary joint state (for search and tests).</summary>
    public void SetState((int Row, int Col) agent0, (int Row, int Col) agent1, bool done0, bool done1, int stepsTaken)
    {
        _pos[0] = agent0; _pos[1] = agent1; _done[0] = done0; _done[1] = done1; _t = stepsTaken;
    }

    public StepOutcome Step(ReadOnlySpan<int> jointAction)
    {
        if (_done.All(d => d)) throw new InvalidOperationException("step after the episode ended; call Reset");
        for (int i = 0; i < AgentCount; i++)
            if (jointAction[i] < 0 || jointAction[i] >= ActionCount)
                throw new ArgumentException($"agent {i}: action {jointAction[i]} is not one of 0..4");

        var next = Resolve(jointAction);
        bool[] doneBefore = (bool[])_done.Clone();
        double reward = 0;
        for (int i = 0; i < AgentCount; i++)
        {
            _pos[i] = next[i];
            if (!doneBefore[i]) reward += -0.1 * Distance(_pos[i], Goals[i]);   // finished agents count 0
        }
        reward /= AgentCount;
        bool atLimit = _t + 1 == Spec.EpisodeLimit;
        for (int i = 0; i < AgentCount; i++) _done[i] |= atLimit || _pos[i] == Goals[i];
        _t++;
        bool allDone = _done.All(d => d);
        if (allDone) reward = 0;                                   // (1 − all_done): the last step pays nothing
        bool reachedGoals = _pos[0] == Goals[0] && _pos[1] == Goals[1];
        return new StepOutcome((float)reward, allDone, TimeLimit: allDone && atLimit && !reachedGoals);
    }

    /// <summary>
    /// The collision rules (SPEC 5.2), resolved agent by agent in index order as AlberDICE's environment
    /// does. For agent i with target cell x ≠ its cell:
    /// <list type="number">
    /// <item>x already taken by an agent resolved as moving there → stay (two agents targeting the same
    /// empty cell: agent 0 moves, agent 1 stays — even when x is agent 1's goal);</item>
    /// <item>x is i's own goal → move (a move onto the own goal always succeeds);</item>
    /// <item>x holds the other agent j: if j moves into i's cell it is a swap and both stay; otherwise
    /// i moves exactly when j leaves (j resolved first);</item>
    /// <item>else move.</item>
    /// </list>
    /// A finished agent is off the board and stays. Three cases of the reference data pin the order
    /// (mix episodes 23, 28 and 457; see BridgeTests).
    /// </summary>
    (int Row, int Col)[] Resolve(ReadOnlySpan<int> jointAction)
    {
        var target = new (int Row, int Col)[AgentCount];
        for (int i = 0; i < AgentCount; i++) target[i] = _done[i] ? _pos[i] : Target(_pos[i], jointAction[i]);
        if (_done[0] || _done[1]) return target;                  // at most one agent on the board

        var moving = new bool?[AgentCount];                       // null = not resolved yet
        void Decide(int i)
        {
            if (moving[i] is not null) return;
            int j = 1 - i;
            if (target[i] == _pos[i]) moving[i] = false;
            else if (moving[j] == true && target[j] == target[i]) moving[i] = false;
            else if (target[i] == Goals[i]) moving[i] = true;
            else if (target[i] == _pos[j])
            {
                if (moving[j] is null && target[j] == _pos[i]) moving[i] = moving[j] = false;   // swap
                else { Decide(j); moving[i] = moving[j]; }
            }
            else moving[i] = true;
        }
        for (int i = 0; i < AgentCount; i++) Decide(i);
        for (int i = 0; i < AgentCount; i++) if (moving[i] == false) target[i] = _pos[i];
        return target;
    }

    public static double Distance((int Row, int Col) a, (int Row, int Col) b) =>
        Math.Sqrt((a.Row - b.Row) * (a.Row - b.Row) + (a.Col - b.Col) * (a.Col - b.Col));

    public void WriteObservations(Span<float> destination)
    {
        for (int i = 0; i < AgentCount; i++) WriteState(destination.Slice(i * 8, 8));
    }

    public void WriteState(Span<float> destination)
    {
        for (int i = 0; i < AgentCount; i++)
        {
            destination[4 * i] = _pos[i].Row;
            destination[4 * i + 1] = _pos[i].Col;
            destination[4 * i + 2] = Goals[i].Row;
            destination[4 * i + 3] = Goals[i].Col;
        }
    }

    public void WriteAvailableActions(Span<bool> destination) => destination.Slice(0, AgentCount * ActionCount).Fill(true);
}
