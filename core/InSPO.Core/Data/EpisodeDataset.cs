using InSPO.Envs;

namespace InSPO.Data;

/// <summary>How a dataset marks episodes that the time limit cut (SPEC 6).</summary>
public enum TimeLimitConvention
{
    /// <summary>In <c>truncated</c>, apart from true ends in <c>terminated</c>.</summary>
    Truncated,
    /// <summary>As <c>terminated</c>, like a true end (PyMARL, CFCQL; <c>truncated</c> is all false).</summary>
    StoredAsTerminated,
}

/// <summary>
/// An offline dataset of whole episodes in PyMARL's episode-buffer layout: every episode has
/// <see cref="Steps"/> = episode limit + 1 time slots. Slot t of a filled step holds what the
/// agents saw before acting, the joint action, the reward and whether the episode ended there;
/// the slot after an episode's last step holds the final observation, state and mask (filled = 0).
/// All arrays are flat and row-major (episode, slot, agent, feature); this class only holds and
/// indexes them (value checks live in <see cref="FindValueProblem"/>, used by the store).
/// </summary>
/// <remarks>
/// Unlike PyMARL's own buffers, <c>filled</c> marks only real steps: PyMARL also sets it on the
/// slot that holds the final observation. Importers of PyMARL data clear that last mark.
/// </remarks>
public sealed class EpisodeDataset
{
    /// <summary>The environment the episodes come from.</summary>
    public EnvSpec Spec { get; }

    /// <summary>Number of episodes E.</summary>
    public int Episodes { get; }

    /// <summary>Time slots per episode T1 = episode limit + 1.</summary>
    public int Steps { get; }

    /// <summary>Agents N.</summary>
    public int Agents => Spec.Agents;

    /// <summary>Actions per agent A (named so to leave <see cref="Actions"/> for the chosen actions).</summary>
    public int ActionCount => Spec.Actions;

    /// <summary>Length O of one agent's observation.</summary>
    public int ObservationSize => Spec.ObservationSize;

    /// <summary>Length S of the global state.</summary>
    public int StateSize => Spec.StateSize;

    /// <summary>E × T1 × N × O observations.</summary>
    public float[] Observations { get; }

    /// <summary>E × T1 × S global states.</summary>
    public float[] States { get; }

    /// <summary>E × T1 × N chosen actions (0 on unfilled slots).</summary>
    public int[] Actions { get; }

    /// <summary>E × T1 × N × A available-action masks.</summary>
    public bool[] AvailableActions { get; }

    /// <summary>E × T1 shared rewards.</summary>
    public float[] Rewards { get; }

    /// <summary>E × T1: the episode truly ended at this step (win, loss, goal). Where the source stored time-outs as
    /// terminations (<see cref="TimeLimits"/> = <see cref="TimeLimitConvention.StoredAsTerminated"/>), a time-out too.</summary>
    public bool[] Terminated { get; }

    /// <summary>E × T1: the time limit cut the episode at this step (SPEC 6: an online learner bootstraps through a
    /// truncation, never through a termination). A step that is both a true end and the last allowed is terminated only.</summary>
    public bool[] Truncated { get; }

    /// <summary>How this data marks time-outs: kept apart in <see cref="Truncated"/> (what the project records), or
    /// stored as terminations (PyMARL's and CFCQL's buffers, and this project's datasets of format 1).</summary>
    public TimeLimitConvention TimeLimits { get; set; } = TimeLimitConvention.Truncated;

    /// <summary>E: whether each episode was won, where the environment reports it ("battle_won" in SMAC-lite; the
    /// collector records it), else null.</summary>
    public bool[]? BattleWon { get; set; }

    /// <summary>Whether the episode ended at slot <paramref name="slot"/>, by a true end or a time limit.</summary>
    public bool Ends(int slot) => Terminated[slot] || Truncated[slot];

    /// <summary>E × T1: this slot is a real step; a prefix of each episode.</summary>
    public bool[] Filled { get; }

    /// <summary>Wraps the arrays (not copied) after checking each length against the sizes.</summary>
    public EpisodeDataset(
        EnvSpec spec, int episodes,
        float[] observations, float[] states, int[] actions, bool[] availableActions,
        float[] rewards, bool[] terminated, bool[] filled, bool[]? truncated = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Agents < 1 || spec.Actions < 1 || spec.ObservationSize < 0 || spec.StateSize < 0 || spec.EpisodeLimit < 1)
            throw new ArgumentException($"invalid environment sizes {spec}", nameof(spec));
        ArgumentOutOfRangeException.ThrowIfNegative(episodes);
        Spec = spec;
        Episodes = episodes;
        Steps = spec.EpisodeLimit + 1;

        long slots = (long)episodes * Steps;
        CheckLength(observations, slots * spec.Agents * spec.ObservationSize, nameof(observations), "E×T1×N×O");
        CheckLength(states, slots * spec.StateSize, nameof(states), "E×T1×S");
        CheckLength(actions, slots * spec.Agents, nameof(actions), "E×T1×N");
        CheckLength(availableActions, slots * spec.Agents * spec.Actions, nameof(availableActions), "E×T1×N×A");
        CheckLength(rewards, slots, nameof(rewards), "E×T1");
        CheckLength(terminated, slots, nameof(terminated), "E×T1");
        CheckLength(filled, slots, nameof(filled), "E×T1");
        truncated ??= new bool[slots];
        CheckLength(truncated, slots, nameof(truncated), "E×T1");

        Observations = observations;
        States = states;
        Actions = actions;
        AvailableActions = availableActions;
        Rewards = rewards;
        Terminated = terminated;
        Filled = filled;
        Truncated = truncated;
    }

    /// <summary>All-zero arrays for <paramref name="episodes"/> episodes, to be filled in place.</summary>
    public static EpisodeDataset Empty(EnvSpec spec, int episodes)
    {
        long slots = (long)episodes * (spec.EpisodeLimit + 1);
        return new EpisodeDataset(spec, episodes,
            new float[slots * spec.Agents * spec.ObservationSize], new float[slots * spec.StateSize],
            new int[slots * spec.Agents], new bool[slots * spec.Agents * spec.Actions],
            new float[slots], new bool[slots], new bool[slots], new bool[slots]);
    }

    /// <summary>A new dataset of the episodes <paramref name="episodes"/> (indices, repeats allowed), in that order.</summary>
    public EpisodeDataset Select(IReadOnlyList<int> episodes)
    {
        var r = Empty(Spec, episodes.Count);
        r.TimeLimits = TimeLimits;
        if (BattleWon is not null) r.BattleWon = episodes.Select(e => BattleWon[e]).ToArray();
        int slotSize = Steps;
        for (int k = 0; k < episodes.Count; k++)
        {
            int e = episodes[k];
            if (e < 0 || e >= Episodes) throw new ArgumentOutOfRangeException(nameof(episodes), $"episode {e} of {Episodes}");
            void Copy<T>(T[] from, T[] to, int perSlot) => Array.Copy(from, (long)e * slotSize * perSlot, to, (long)k * slotSize * perSlot, slotSize * perSlot);
            Copy(Observations, r.Observations, Agents * ObservationSize);
            Copy(States, r.States, StateSize);
            Copy(Actions, r.Actions, Agents);
            Copy(AvailableActions, r.AvailableActions, Agents * ActionCount);
            Copy(Rewards, r.Rewards, 1);
            Copy(Terminated, r.Terminated, 1);
            Copy(Truncated, r.Truncated, 1);
            Copy(Filled, r.Filled, 1);
        }
        return r;
    }

    /// <summary>The episodes of <paramref name="first"/> followed by those of <paramref name="second"/>
    /// (same environment sizes required).</summary>
    public static EpisodeDataset Concatenate(EpisodeDataset first, EpisodeDataset second)
    {
        if (first.Spec != second.Spec)
            throw new ArgumentException($"cannot concatenate datasets of different environments: {first.Spec} and {second.Spec}");
        if (first.TimeLimits != second.TimeLimits)
            throw new ArgumentException($"cannot concatenate datasets that mark time-outs differently: {first.TimeLimits} and {second.TimeLimits}");
        static T[] Join<T>(T[] a, T[] b) => [.. a, .. b];
        return new EpisodeDataset(first.Spec, first.Episodes + second.Episodes,
            Join(first.Observations, second.Observations), Join(first.States, second.States),
            Join(first.Actions, second.Actions), Join(first.AvailableActions, second.AvailableActions),
            Join(first.Rewards, second.Rewards), Join(first.Terminated, second.Terminated), Join(first.Filled, second.Filled),
            Join(first.Truncated, second.Truncated))
        {
            TimeLimits = first.TimeLimits,
            BattleWon = first.BattleWon is { } a && second.BattleWon is { } b ? Join(a, b) : null,
        };
    }

    private static void CheckLength(Array array, long expected, string name, string layout)
    {
        ArgumentNullException.ThrowIfNull(array, name);
        if (array.LongLength != expected)
            throw new ArgumentException($"{name} has {array.LongLength} elements, expected {expected} ({layout})", name);
    }

    // ------------------------------------------------------------------ indexing

    /// <summary>Index of slot (e, t) in the E × T1 arrays (rewards, terminated, filled).</summary>
    public int SlotIndex(int episode, int step) => episode * Steps + step;

    /// <summary>Index of the first observation feature of agent n at (e, t).</summary>
    public int ObservationIndex(int episode, int step, int agent) => (SlotIndex(episode, step) * Agents + agent) * ObservationSize;

    /// <summary>Index of the first state feature at (e, t).</summary>
    public int StateIndex(int episode, int step) => SlotIndex(episode, step) * StateSize;

    /// <summary>Index of agent n's action at (e, t).</summary>
    public int ActionIndex(int episode, int step, int agent) => SlotIndex(episode, step) * Agents + agent;

    /// <summary>Index of the first mask entry of agent n at (e, t).</summary>
    public int AvailableActionsIndex(int episode, int step, int agent) => (SlotIndex(episode, step) * Agents + agent) * ActionCount;

    /// <summary>Agent n's observation at (e, t).</summary>
    public ReadOnlySpan<float> Observation(int episode, int step, int agent) =>
        Observations.AsSpan(ObservationIndex(episode, step, agent), ObservationSize);

    /// <summary>The global state at (e, t).</summary>
    public ReadOnlySpan<float> State(int episode, int step) => States.AsSpan(StateIndex(episode, step), StateSize);

    /// <summary>Agent n's available-action mask at (e, t).</summary>
    public ReadOnlySpan<bool> Available(int episode, int step, int agent) =>
        AvailableActions.AsSpan(AvailableActionsIndex(episode, step, agent), ActionCount);

    /// <summary>Number of filled steps (real transitions) of episode e.</summary>
    public int EpisodeLength(int episode)
    {
        var n = 0;
        for (var t = 0; t < Steps; t++)
            if (Filled[SlotIndex(episode, t)]) n++;
        return n;
    }

    /// <summary>Undiscounted return of episode e: the sum of rewards over its filled steps.</summary>
    public double EpisodeReturn(int episode)
    {
        var sum = 0.0;
        for (var t = 0; t < Steps; t++)
        {
            var i = SlotIndex(episode, t);
            if (Filled[i]) sum += Rewards[i];
        }
        return sum;
    }

    /// <summary>Total number of filled steps over all episodes.</summary>
    public long TotalSteps()
    {
        long n = 0;
        foreach (var f in Filled) if (f) n++;
        return n;
    }

    // ------------------------------------------------------------------ validation

    /// <summary>
    /// The first value that a well-formed dataset cannot hold, as a one-line description naming the
    /// field and the element, or null if there is none. Checked: non-finite observations, states or
    /// rewards; filled not a prefix of an episode or set on the final slot (which holds the final
    /// observation); an action outside [0, A) or not available on a filled step; terminated on a
    /// slot that is not the episode's last filled step.
    /// </summary>
    public string? FindValueProblem()
    {
        if (BattleWon is not null && BattleWon.Length != Episodes)
            return $"battle_won: {BattleWon.Length} entries for {Episodes} episodes";
        for (var i = 0; i < Observations.Length; i++)
            if (!float.IsFinite(Observations[i]))
            {
                var slot = i / (Agents * ObservationSize);
                return $"obs: non-finite value {Observations[i]} at episode {slot / Steps}, step {slot % Steps}, agent {i / ObservationSize % Agents}, feature {i % ObservationSize}";
            }
        for (var i = 0; i < States.Length; i++)
            if (!float.IsFinite(States[i]))
            {
                var slot = i / StateSize;
                return $"state: non-finite value {States[i]} at episode {slot / Steps}, step {slot % Steps}, feature {i % StateSize}";
            }
        for (var i = 0; i < Rewards.Length; i++)
            if (!float.IsFinite(Rewards[i]))
                return $"reward: non-finite value {Rewards[i]} at episode {i / Steps}, step {i % Steps}";

        for (var e = 0; e < Episodes; e++)
        {
            var length = 0;
            while (length < Steps && Filled[SlotIndex(e, length)]) length++;
            for (var t = length; t < Steps; t++)
                if (Filled[SlotIndex(e, t)])
                    return length == Steps - 1
                        ? $"filled: episode {e} is filled on its final slot {t}, which holds only the final observation"
                        : $"filled: episode {e} is not a prefix (step {t} filled after unfilled step {length})";
            if (length == Steps)
                return $"filled: episode {e} is filled on its final slot {Steps - 1}, which holds only the final observation";

            for (var t = 0; t < Steps; t++)
            {
                if (Terminated[SlotIndex(e, t)] && t != length - 1)
                    return t >= length
                        ? $"terminated: episode {e} is terminated at unfilled step {t}"
                        : $"terminated: episode {e} is terminated at step {t} but goes on to step {length - 1}";
                if (Truncated[SlotIndex(e, t)] && t != length - 1)
                    return t >= length
                        ? $"truncated: episode {e} is truncated at unfilled step {t}"
                        : $"truncated: episode {e} is truncated at step {t} but goes on to step {length - 1}";
                if (Truncated[SlotIndex(e, t)] && Terminated[SlotIndex(e, t)])
                    return $"truncated: episode {e} is both terminated and truncated at step {t} (a true end is terminated only)";
            }

            for (var t = 0; t < length; t++)
                for (var n = 0; n < Agents; n++)
                {
                    var a = Actions[ActionIndex(e, t, n)];
                    if (a < 0 || a >= ActionCount)
                        return $"actions: action {a} outside [0, {ActionCount}) at episode {e}, step {t}, agent {n}";
                    if (!AvailableActions[AvailableActionsIndex(e, t, n) + a])
                        return $"actions: action {a} at episode {e}, step {t}, agent {n} is not available there (avail_actions is 0)";
                }
        }
        return null;
    }
}
