using InSPO.Actors;
using InSPO.Envs;

namespace InSPO.Data;

/// <summary>
/// Runs any actor (a learner's policy, a scripted or joint behaviour policy; greedy, sampled or ε-greedy) in a
/// vector environment and writes the episodes in the dataset format (DESIGN "the flow"): episode e in row e, in
/// PyMARL's layout (slot t = what the agents saw before acting at t, the final observation after the last step),
/// a true end in <c>terminated</c>, a time-limit cut in <c>truncated</c>.
/// </summary>
public static class Collector
{
    /// <summary>Collects <see cref="RolloutOptions.Episodes"/> episodes. The same seed gives the same bytes, whatever
    /// the number of slots (unless <see cref="RolloutOptions.SharedChoiceStream"/>).</summary>
    public static EpisodeDataset Collect(IVectorEnv env, IActor actor, RolloutOptions options) =>
        Collect(env, actor, options, out _);

    /// <summary>As <see cref="Collect(IVectorEnv, IActor, RolloutOptions)"/>, also returning each episode's summary
    /// (return, length, the environment's info such as "battle_won").</summary>
    public static EpisodeDataset Collect(IVectorEnv env, IActor actor, RolloutOptions options, out IReadOnlyList<EpisodeSummary> summaries)
    {
        var data = EpisodeDataset.Empty(env.Spec, options.Episodes);
        summaries = Rollout.Run(env, actor, options, new Writer(data, env.Count));
        if (summaries.Count > 0 && summaries.All(s => s.Won is not null))
            data.BattleWon = summaries.Select(s => s.Won == 1).ToArray();
        return data;
    }

    sealed class Writer : IRolloutObserver
    {
        readonly EpisodeDataset _data;
        readonly int[] _episode, _step;

        public Writer(EpisodeDataset data, int slots)
        {
            _data = data;
            _episode = new int[slots];
            _step = new int[slots];
        }

        public void Acting(ActorInput input, ReadOnlySpan<float> probabilities, ReadOnlySpan<int> actions)
        {
            var d = _data;
            int n = d.Agents, o = d.ObservationSize, s = d.StateSize, a = d.ActionCount;
            for (int e = 0; e < input.Env.Count; e++)
            {
                _episode[e] = -1;
                if (!input.Env.IsActive(e)) continue;
                int ep = input.Env.EpisodeOf(e), t = input.Env.StepOf(e);
                _episode[e] = ep;
                _step[e] = t;
                input.Observations.AsSpan(e * n * o, n * o).CopyTo(d.Observations.AsSpan(d.ObservationIndex(ep, t, 0), n * o));
                input.States.AsSpan(e * s, s).CopyTo(d.States.AsSpan(d.StateIndex(ep, t), s));
                input.Available.AsSpan(e * n * a, n * a).CopyTo(d.AvailableActions.AsSpan(d.AvailableActionsIndex(ep, t, 0), n * a));
                actions.Slice(e * n, n).CopyTo(d.Actions.AsSpan(d.ActionIndex(ep, t, 0), n));
            }
        }

        public void Stepped(IVectorEnv env, ReadOnlySpan<StepOutcome> outcomes, IReadOnlyList<EpisodeSummary> ended)
        {
            var d = _data;
            for (int e = 0; e < _episode.Length; e++)
            {
                if (_episode[e] < 0) continue;
                int slot = d.SlotIndex(_episode[e], _step[e]);
                var outcome = outcomes[e];
                d.Rewards[slot] = outcome.Reward;
                d.Filled[slot] = true;
                // SPEC 6: a true end is terminated, a time-limit cut truncated (never both).
                d.Terminated[slot] = outcome.Done && !outcome.TimeLimit;
                d.Truncated[slot] = outcome.Done && outcome.TimeLimit;
            }
            int n = d.Agents, o = d.ObservationSize, s = d.StateSize, a = d.ActionCount;
            foreach (var summary in ended)
            {
                int ep = summary.Episode, t = summary.Length;
                env.WriteFinal(summary.Environment,
                    d.Observations.AsSpan(d.ObservationIndex(ep, t, 0), n * o),
                    d.States.AsSpan(d.StateIndex(ep, t), s),
                    d.AvailableActions.AsSpan(d.AvailableActionsIndex(ep, t, 0), n * a));
            }
        }
    }
}
