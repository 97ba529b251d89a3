namespace InSPO.Envs;

/// <summary>
/// A matrix game played for <c>episodeLength</c> steps (SPEC 5.1: AlberDICE's XOR buffers are a 50-step
/// repeated game; length 1 is the one-shot game). The game has one state, so every observation is
/// AlberDICE's constant [0, 1] per agent (concatenated over agents) and the state equals it; the
/// reward of each step is the matrix entry of that step's joint action.
/// </summary>
public sealed class MatrixGameEnv : IMultiAgentEnv
{
    readonly MatrixGame _game;
    readonly Dictionary<string, double> _info = new();
    int _t;

    public MatrixGameEnv(MatrixGame game, int episodeLength = 1)
    {
        if (episodeLength < 1) throw new ArgumentException($"episode length {episodeLength} must be at least 1");
        _game = game;
        int n = game.Agents.Length;
        Spec = new EnvSpec(game.Name, n, game.ActionCounts.Max(), 2 * n, 2 * n, episodeLength);
    }

    public EnvSpec Spec { get; }
    public MatrixGame Game => _game;
    public IReadOnlyDictionary<string, double> Info => _info;

    public void Reset(int seed) => _t = 0;

    public StepOutcome Step(ReadOnlySpan<int> jointAction)
    {
        if (_t >= Spec.EpisodeLimit) throw new InvalidOperationException("step after the episode ended; call Reset");
        for (int i = 0; i < Spec.Agents; i++)
            if (jointAction[i] < 0 || jointAction[i] >= _game.Actions[i].Length)
                throw new ArgumentException($"agent {i}: action {jointAction[i]} is not available in game '{_game.Name}'");
        _t++;
        bool done = _t == Spec.EpisodeLimit;
        return new StepOutcome((float)_game.Reward(jointAction), done, TimeLimit: false);   // the game's own end, not a cut
    }

    public void WriteObservations(Span<float> destination)
    {
        for (int i = 0; i < Spec.Agents; i++) WriteState(destination.Slice(i * Spec.ObservationSize, Spec.ObservationSize));
    }

    public void WriteState(Span<float> destination)
    {
        for (int k = 0; k < Spec.StateSize; k++) destination[k] = k % 2;
    }

    public void WriteAvailableActions(Span<bool> destination)
    {
        for (int i = 0; i < Spec.Agents; i++)
            for (int a = 0; a < Spec.Actions; a++) destination[i * Spec.Actions + a] = a < _game.Actions[i].Length;
    }
}
