using InSPO.Envs.Smac;

namespace InSPO.Actors;

/// <summary>
/// A scripted SMAC-lite policy (<see cref="ISmacPolicy"/>: random, attack-nearest, focus-fire) as an
/// <see cref="IActor"/>: it reads each slot's simulator and acts deterministically given its per-episode
/// generator, SmacRng(Mix(policySeed(e), 0x901)) — the seeding `smac scores` has always used.
/// </summary>
public sealed class ScriptedSmacActor : IActor
{
    readonly ISmacPolicy _policy;
    readonly Func<int, int> _policySeed;
    readonly SmacRng[] _random;
    int[] _actions = [];

    /// <param name="policy">The scripted policy.</param>
    /// <param name="slots">Environment slots of the rollout.</param>
    /// <param name="policySeed">Episode e → the seed of its policy generator.</param>
    public ScriptedSmacActor(ISmacPolicy policy, int slots, Func<int, int> policySeed)
    {
        _policy = policy;
        _policySeed = policySeed;
        _random = new SmacRng[slots];
    }

    public string Name => _policy.Name;

    public void BeginEpisode(int environment, int episode) =>
        _random[environment] = new SmacRng(SmacRng.Mix(_policySeed(episode), 0x901));

    public void Act(ActorInput input, Span<float> probabilities)
    {
        var spec = input.Spec;
        int n = spec.Agents, a = spec.Actions;
        probabilities.Clear();
        if (_actions.Length < n) _actions = new int[n];
        var actions = _actions.AsSpan(0, n);
        for (int e = 0; e < input.Env.Count; e++)
        {
            if (!input.Env.IsActive(e)) { for (int i = 0; i < n; i++) probabilities[(e * n + i) * a] = 1; continue; }
            var env = input.Env[e] as SmacEnv
                ?? throw new ArgumentException($"the scripted policy '{_policy.Name}' plays SMAC-lite maps only, not '{spec.Name}'");
            _policy.Act(env, actions, ref _random[e]);
            for (int i = 0; i < n; i++) probabilities[(e * n + i) * a + actions[i]] = 1;
        }
    }

    public void Observe(ReadOnlySpan<int> actions) { }
}
