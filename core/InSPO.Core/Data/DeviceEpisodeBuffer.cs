using InSPO.Envs;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Data;

/// <summary>
/// Transitions gathered from a <see cref="DeviceEpisodeBuffer"/>: K rows, each a filled slot (e, t) and its
/// successor slot (e, t + 1), which always exists because an episode has T1 = limit + 1 slots.
/// Tensors live in the caller's dispose scope.
/// </summary>
/// <param name="Observations">K × N × O.</param>
/// <param name="States">K × S.</param>
/// <param name="Actions">K × N (int64).</param>
/// <param name="Available">K × N × A (bool).</param>
/// <param name="Rewards">K.</param>
/// <param name="Done">K (float: 1 where the episode ended at this step).</param>
/// <param name="NextObservations">K × N × O.</param>
/// <param name="NextStates">K × S.</param>
/// <param name="NextAvailable">K × N × A.</param>
public sealed record TransitionBatch(
    Tensor Observations, Tensor States, Tensor Actions, Tensor Available, Tensor Rewards, Tensor Done,
    Tensor NextObservations, Tensor NextStates, Tensor NextAvailable)
{
    public long Count => Rewards.shape[0];

    /// <summary>The rows <paramref name="rows"/> (int64, repeats allowed): how a resampled batch is formed.</summary>
    public TransitionBatch Select(Tensor rows) => new(
        Observations.index_select(0, rows), States.index_select(0, rows), Actions.index_select(0, rows),
        Available.index_select(0, rows), Rewards.index_select(0, rows), Done.index_select(0, rows),
        NextObservations.index_select(0, rows), NextStates.index_select(0, rows), NextAvailable.index_select(0, rows));
}

/// <summary>
/// An offline dataset of whole episodes held as tensors on one device (SPEC 3, DESIGN "the flow"),
/// in PyMARL's layout E × T1 × …: observations, states, actions, available-action masks, rewards,
/// terminated ("done") and filled ("mask"). Samplers:
/// <list type="bullet">
/// <item><see cref="SampleTransitions"/>: K filled slots uniformly with replacement (MLP learners).</item>
/// <item><see cref="SampleWeighted"/>: K filled slots with probability ∝ a weight per slot
/// (importance resampling over the whole dataset, Schlegel et al. 2019).</item>
/// <item><see cref="ResampleIndices"/>: rows of a drawn batch ∝ weights (resampling within a batch, as
/// AlberDICE does; InSPO's default).</item>
/// <item><see cref="SampleEpisodes"/>: whole episodes with their mask (recurrent learners).</item>
/// </list>
/// Every draw takes a <see cref="Generator"/> on the buffer's device, so a run's sampling is determined by
/// the generator's state (which checkpoints save).
/// </summary>
public sealed class DeviceEpisodeBuffer : IDisposable
{
    public EnvSpec Spec { get; }
    public Device Device { get; }
    public int Episodes { get; }
    /// <summary>Slots per episode T1 = limit + 1.</summary>
    public int Steps { get; }

    /// <summary>E × T1 × N × O.</summary>
    public Tensor Observations { get; }
    /// <summary>E × T1 × S.</summary>
    public Tensor States { get; }
    /// <summary>E × T1 × N, int64.</summary>
    public Tensor Actions { get; }
    /// <summary>E × T1 × N × A, bool.</summary>
    public Tensor Available { get; }
    /// <summary>E × T1.</summary>
    public Tensor Rewards { get; }
    /// <summary>E × T1, float 0/1.</summary>
    public Tensor Terminated { get; }
    /// <summary>E × T1, float 0/1: the slot is a real step.</summary>
    public Tensor Filled { get; }

    /// <summary>The buffer's contents copied back into an <see cref="EpisodeDataset"/> (CPU arrays).</summary>
    public EpisodeDataset ToDataset()
    {
        static T[] Read<T>(Tensor t) where T : unmanaged => t.cpu().contiguous().data<T>().ToArray();
        return new EpisodeDataset(Spec, Episodes, Read<float>(Observations), Read<float>(States),
            Read<long>(Actions).Select(x => (int)x).ToArray(), Read<bool>(Available), Read<float>(Rewards),
            Read<float>(Terminated).Select(x => x != 0).ToArray(), Read<float>(Filled).Select(x => x != 0).ToArray());
    }

    /// <summary>Flat slot index e · T1 + t of every filled slot, in dataset order (M entries).</summary>
    public Tensor FilledSlots { get; }

    /// <summary>Number M of real transitions.</summary>
    public long Transitions { get; }

    public DeviceEpisodeBuffer(EpisodeDataset data, Device device)
    {
        ArgumentNullException.ThrowIfNull(data);
        Spec = data.Spec;
        Device = device;
        Episodes = data.Episodes;
        Steps = data.Steps;
        long e = data.Episodes, t1 = data.Steps, n = data.Agents, a = data.ActionCount;
        Observations = tensor(data.Observations, new[] { e, t1, n, (long)data.ObservationSize }).to(device);
        States = tensor(data.States, new[] { e, t1, (long)data.StateSize }).to(device);
        Actions = tensor(data.Actions.Select(x => (long)x).ToArray(), new[] { e, t1, n }).to(device);
        Available = tensor(data.AvailableActions, new[] { e, t1, n, a }).to(device);
        Rewards = tensor(data.Rewards, new[] { e, t1 }).to(device);
        Terminated = tensor(data.Terminated.Select(x => x ? 1f : 0f).ToArray(), new[] { e, t1 }).to(device);
        Filled = tensor(data.Filled.Select(x => x ? 1f : 0f).ToArray(), new[] { e, t1 }).to(device);
        var slots = new List<long>();
        for (int i = 0; i < data.Filled.Length; i++)
            if (data.Filled[i]) slots.Add(i);
        Transitions = slots.Count;
        if (Transitions == 0) throw new ArgumentException("dataset has no filled step to learn from");
        FilledSlots = tensor(slots.ToArray()).to(device);
        // The buffer owns its tensors (Dispose): a buffer built inside a dispose scope (a learner's derived buffer,
        // built during a training step) must outlive it.
        foreach (var t in new[] { Observations, States, Actions, Available, Rewards, Terminated, Filled, FilledSlots })
            t.DetachFromDisposeScope();
    }

    /// <summary>The transitions at flat slot indices <paramref name="slots"/> (each must be filled).</summary>
    public TransitionBatch Gather(Tensor slots)
    {
        long e = Episodes, t1 = Steps;
        var next = slots + 1;   // the successor slot of a filled slot is in the same episode (T1 = limit + 1)
        var obs = Observations.view(e * t1, Spec.Agents, Spec.ObservationSize);
        var state = States.view(e * t1, Spec.StateSize);
        var avail = Available.view(e * t1, Spec.Agents, Spec.Actions);
        return new TransitionBatch(
            obs.index_select(0, slots), state.index_select(0, slots),
            Actions.view(e * t1, Spec.Agents).index_select(0, slots), avail.index_select(0, slots),
            Rewards.view(e * t1).index_select(0, slots), Terminated.view(e * t1).index_select(0, slots),
            obs.index_select(0, next), state.index_select(0, next), avail.index_select(0, next));
    }

    /// <summary>All M transitions in dataset order (for dataset-level resampling and statistics).</summary>
    public TransitionBatch All() => Gather(FilledSlots);

    /// <summary>K transitions drawn uniformly with replacement from the filled slots.</summary>
    public TransitionBatch SampleTransitions(long count, Generator generator)
    {
        var rows = randint(0, Transitions, new[] { count }, dtype: int64, device: Device, generator: generator);
        return Gather(FilledSlots.index_select(0, rows));
    }

    /// <summary>K transitions drawn with replacement, transition m (in <see cref="All"/>'s order) with
    /// probability weights[m] / Σ weights. Weights must be finite, non-negative, not all zero.</summary>
    public TransitionBatch SampleWeighted(Tensor weights, long count, Generator generator)
    {
        if (weights.shape.Length != 1 || weights.shape[0] != Transitions)
            throw new ArgumentException($"weights have shape [{string.Join(", ", weights.shape)}], expected [{Transitions}]");
        return Gather(FilledSlots.index_select(0, ResampleIndices(weights, count, generator)));
    }

    /// <summary>Importance resampling: <paramref name="count"/> row indices drawn with replacement, row k
    /// with probability weights[k] / Σ weights.</summary>
    public static Tensor ResampleIndices(Tensor weights, long count, Generator generator) =>
        multinomial(weights.to_type(float32), count, replacement: true, generator: generator);

    /// <summary>Whole episodes drawn uniformly with replacement: (episode indices, filled mask B × T1).</summary>
    public (Tensor Episodes, Tensor Mask) SampleEpisodes(long count, Generator generator)
    {
        var episodes = randint(0, Episodes, new[] { count }, dtype: int64, device: Device, generator: generator);
        return (episodes, Filled.index_select(0, episodes));
    }

    public void Dispose()
    {
        foreach (var t in new[] { Observations, States, Actions, Available, Rewards, Terminated, Filled, FilledSlots }) t.Dispose();
    }
}
