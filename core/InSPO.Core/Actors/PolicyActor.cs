using InSPO.Envs;
using static TorchSharp.torch;

namespace InSPO.Actors;

/// <summary>
/// A learner's <see cref="IDecentralisedPolicy"/> as an <see cref="IActor"/>: one batched forward per step for all
/// slots (idle slots included, so a row's numbers never depend on which others are running), the hidden state
/// and last actions kept on the device and reset per slot at each episode start.
/// </summary>
public sealed class PolicyActor : IActor, IDisposable
{
    readonly IDecentralisedPolicy _policy;
    readonly Device _device;
    readonly EnvSpec _spec;
    readonly int _slots;
    readonly bool[] _starting;
    readonly long[] _lastActions;
    Tensor? _hidden;
    bool _started;

    public PolicyActor(IDecentralisedPolicy policy, EnvSpec spec, int slots, Device device)
    {
        _policy = policy;
        _spec = spec;
        _slots = slots;
        _device = device;
        _starting = new bool[slots];
        _lastActions = new long[slots * spec.Agents];
    }

    public void BeginEpisode(int environment, int episode)
    {
        _starting[environment] = true;
        _lastActions.AsSpan(environment * _spec.Agents, _spec.Agents).Fill(-1);
    }

    public void Act(ActorInput input, Span<float> probabilities)
    {
        int n = _spec.Agents;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var obs = tensor(input.Observations, new long[] { _slots, n, _spec.ObservationSize }).to(_device);
        var avail = tensor(input.Available, new long[] { _slots, n, _spec.Actions }).to(_device);
        var last = tensor(_lastActions, new long[] { _slots, n }).to(_device);
        var hidden = _hidden;
        if (!_started || _starting.Any(s => s))
        {
            var initial = _policy.InitialState(_slots);
            if (initial is not null)
            {
                // Slots that start an episode take the initial state; the others keep theirs.
                var starting = tensor(_starting, new long[] { _slots }).to(_device).view(-1, 1, 1);
                hidden = hidden is null ? initial : where(starting, initial, hidden);
            }
            Array.Clear(_starting);
            _started = true;
        }
        var (p, next) = _policy.Act(obs, avail, last, hidden);
        p.to_type(float32).cpu().contiguous().data<float>().CopyTo(probabilities);
        if (next is not null && !ReferenceEquals(next, _hidden))
        {
            next.DetachFromDisposeScope();
            _hidden?.Dispose();
            _hidden = next;
        }
    }

    public void Observe(ReadOnlySpan<int> actions)
    {
        for (int k = 0; k < actions.Length; k++) _lastActions[k] = actions[k];
    }

    public void Dispose() => _hidden?.Dispose();
}
