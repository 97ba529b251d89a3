using InSPO.Envs;

namespace InSPO.Actors;

/// <summary>How the rollout turns an actor's distributions into actions.</summary>
public enum ActionChoice
{
    /// <summary>Draw each agent's action from its distribution (stochastic execution).</summary>
    Sample,
    /// <summary>Each agent's most probable available action (the first on ties).</summary>
    Greedy,
    /// <summary>With probability ε a uniformly random available action, else the greedy one (PyMARL's selector).</summary>
    EpsilonGreedy,
}

/// <summary>What a rollout runs: how many episodes, from which seed, how actions are chosen.</summary>
public sealed record RolloutOptions
{
    /// <summary>Episodes to run; episode e is the e-th started (slots start them in order, auto-resetting).</summary>
    public required int Episodes { get; init; }
    /// <summary>The rollout's seed: episode e's environment and action-choice seeds derive from (Seed, e) (<see cref="EpisodeSeeds"/>).</summary>
    public int Seed { get; init; }
    public ActionChoice Choice { get; init; } = ActionChoice.Sample;
    /// <summary>ε of <see cref="ActionChoice.EpsilonGreedy"/>.</summary>
    public double Epsilon { get; init; }
    /// <summary>Episode e's environment seed, when not <see cref="EpisodeSeeds.Environment"/>(Seed, e).</summary>
    public Func<int, int>? EnvironmentSeed { get; init; }
    /// <summary>Draw every choice from one generator seeded with <see cref="Seed"/>, slot by slot and agent by agent in
    /// lockstep, instead of one generator per episode. The evaluator keeps it, so its numbers stay those it gave
    /// before episode streams existed; it ties an episode's draws to the number of slots, so collectors leave it off.</summary>
    public bool SharedChoiceStream { get; init; }
    /// <summary>Reports the number of finished episodes after every step that finished some.</summary>
    public IProgress<int>? Progress { get; init; }
}

/// <summary>Watches a rollout step by step (the collector writes episodes, the evaluator keeps the first
/// distributions, the replay viewer draws frames). Spans are valid during the call only.</summary>
public interface IRolloutObserver
{
    /// <summary>Before the step: what every slot sees (slot e is at step <c>env.StepOf(e)</c> of episode
    /// <c>env.EpisodeOf(e)</c>), the actor's distributions and the actions taken.</summary>
    void Acting(ActorInput input, ReadOnlySpan<float> probabilities, ReadOnlySpan<int> actions) { }

    /// <summary>After the step: one outcome per slot; <paramref name="ended"/> lists the episodes that ended (their
    /// final observations through <see cref="IVectorEnv.WriteFinal"/>; their slots already run the next episode).</summary>
    void Stepped(IVectorEnv env, ReadOnlySpan<StepOutcome> outcomes, IReadOnlyList<EpisodeSummary> ended) { }
}

/// <summary>
/// The one rollout loop (DESIGN "Actor"): any <see cref="IActor"/> in any <see cref="IVectorEnv"/>, until the
/// requested episodes have ended. The evaluator, the collector, the replay viewer and the scripted-policy scores
/// all run through it.
/// </summary>
public static class Rollout
{
    /// <summary>Runs the episodes; returns their summaries in episode order.</summary>
    public static IReadOnlyList<EpisodeSummary> Run(IVectorEnv env, IActor actor, RolloutOptions options, IRolloutObserver? observer = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.Episodes);
        if (options.Choice == ActionChoice.EpsilonGreedy && options.Epsilon is < 0 or > 1)
            throw new ArgumentException($"ε = {options.Epsilon} must lie in [0, 1]");
        var spec = env.Spec;
        int slots = env.Count, n = spec.Agents, a = spec.Actions;
        var shared = options.SharedChoiceStream ? new Random(options.Seed) : null;
        var choiceRandom = new Random[slots];
        int next = 0;
        env.Start(slot =>
        {
            if (next >= options.Episodes) return null;
            int episode = next++;
            actor.BeginEpisode(slot, episode);
            if (shared is null) choiceRandom[slot] = new Random(EpisodeSeeds.Choice(options.Seed, episode));
            return (episode, options.EnvironmentSeed?.Invoke(episode) ?? EpisodeSeeds.Environment(options.Seed, episode));
        });

        var input = new ActorInput(env);
        var probabilities = new float[slots * n * a];
        var actions = new int[slots * n];
        var outcomes = new StepOutcome[slots];
        var finished = new List<EpisodeSummary>(options.Episodes);
        while (AnyActive(env))
        {
            input.Refresh();
            actor.Act(input, probabilities);
            for (int e = 0; e < slots; e++)
            {
                if (!env.IsActive(e)) { actions.AsSpan(e * n, n).Clear(); continue; }
                var random = shared ?? choiceRandom[e];
                for (int i = 0; i < n; i++)
                {
                    int row = (e * n + i) * a;
                    actions[e * n + i] = Choose(probabilities.AsSpan(row, a), input.Available.AsSpan(row, a), options, random);
                }
            }
            actor.Observe(actions);
            observer?.Acting(input, probabilities, actions);
            var ended = env.Step(actions, outcomes);
            observer?.Stepped(env, outcomes, ended);
            if (ended.Count > 0)
            {
                finished.AddRange(ended);
                options.Progress?.Report(finished.Count);
            }
        }
        finished.Sort((x, y) => x.Episode.CompareTo(y.Episode));
        return finished;
    }

    static bool AnyActive(IVectorEnv env)
    {
        for (int e = 0; e < env.Count; e++) if (env.IsActive(e)) return true;
        return false;
    }

    static int Choose(ReadOnlySpan<float> p, ReadOnlySpan<bool> available, RolloutOptions options, Random random) => options.Choice switch
    {
        ActionChoice.Sample => SampleIndex(p, random.NextDouble()),
        ActionChoice.Greedy => Greedy(p, available),
        _ => random.NextDouble() < options.Epsilon ? UniformAvailable(available, random) : Greedy(p, available),
    };

    /// <summary>The index where the cumulative sum of <paramref name="p"/> passes <paramref name="u"/> (in double,
    /// so rounding cannot skip the last action; past the end: the last action with mass).</summary>
    public static int SampleIndex(ReadOnlySpan<float> p, double u)
    {
        double acc = 0;
        for (int k = 0; k < p.Length; k++)
        {
            acc += p[k];
            if (u < acc) return k;
        }
        for (int k = p.Length - 1; k >= 0; k--) if (p[k] > 0) return k;
        return 0;
    }

    static int Greedy(ReadOnlySpan<float> p, ReadOnlySpan<bool> available)
    {
        int best = -1;
        for (int k = 0; k < p.Length; k++)
            if (available[k] && (best < 0 || p[k] > p[best])) best = k;
        return Math.Max(best, 0);
    }

    static int UniformAvailable(ReadOnlySpan<bool> available, Random random)
    {
        int count = 0;
        foreach (var x in available) if (x) count++;
        int pick = random.Next(Math.Max(count, 1));
        for (int k = 0; k < available.Length; k++)
            if (available[k] && pick-- == 0) return k;
        return 0;
    }
}
