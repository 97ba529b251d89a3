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
/// <param name="Done">K (float: 1 where the episode ended at this step, by a true end or by the time limit). The offline
/// learners bootstrap as their reference codes do on PyMARL data, where a time-out is stored as terminated; an
/// online learner reads <paramref name="Terminated"/> instead (SPEC 6).</param>
/// <param name="NextObservations">K × N × O.</param>
/// <param name="NextStates">K × S.</param>
/// <param name="NextAvailable">K × N × A.</param>
public sealed record TransitionBatch(
    Tensor Observations, Tensor States, Tensor Actions, Tensor Available, Tensor Rewards, Tensor Done,
    Tensor NextObservations, Tensor NextStates, Tensor NextAvailable, Tensor Terminated)
{
    public long Count => Rewards.shape[0];

    /// <summary>The rows <paramref name="rows"/> (int64, repeats allowed): how a resampled batch is formed.</summary>
    public TransitionBatch Select(Tensor rows) => new(
        Observations.index_select(0, rows), States.index_select(0, rows), Actions.index_select(0, rows),
        Available.index_select(0, rows), Rewards.index_select(0, rows), Done.index_select(0, rows),
        NextObservations.index_select(0, rows), NextStates.index_select(0, rows), NextAvailable.index_select(0, rows),
        Terminated.index_select(0, rows));

    /// <summary>Rows per member of a stacked batch (<see cref="Stack"/>): <paramref name="rows"/> S × R (int64, indices
    /// into each member's own K rows) → a stacked batch of S × R rows.</summary>
    public TransitionBatch SelectPerMember(Tensor rows)
    {
        long members = rows.shape[0], k = Rewards.shape[1];
        var flat = (rows + arange(members, device: rows.device).unsqueeze(1) * k).flatten();
        Tensor Of(Tensor field)
        {
            var picked = field.flatten(0, 1).index_select(0, flat);
            return picked.view(new[] { members, rows.shape[1] }.Concat(field.shape[2..]).ToArray());
        }
        return new(Of(Observations), Of(States), Of(Actions), Of(Available), Of(Rewards), Of(Done),
            Of(NextObservations), Of(NextStates), Of(NextAvailable), Of(Terminated));
    }

    /// <summary>One batch per member of a seed ensemble, stacked: every tensor gains a leading member dimension S.</summary>
    public static TransitionBatch Stack(IReadOnlyList<TransitionBatch> members)
    {
        Tensor Of(Func<TransitionBatch, Tensor> field) => stack(members.Select(field).ToArray());
        return new(Of(b => b.Observations), Of(b => b.States), Of(b => b.Actions), Of(b => b.Available), Of(b => b.Rewards), Of(b => b.Done),
            Of(b => b.NextObservations), Of(b => b.NextStates), Of(b => b.NextAvailable), Of(b => b.Terminated));
    }
}

/// <summary>
/// B whole episodes from a <see cref="DeviceEpisodeBuffer"/>, cut as PyMARL cuts them to the longest episode L in
/// the batch: T = L + 1 slots, slot t &lt; length holding a real step and slot length the final observation.
/// Tensors live in the caller's dispose scope.
/// </summary>
/// <param name="Observations">B × T × N × O.</param>
/// <param name="States">B × T × S.</param>
/// <param name="Actions">B × T × N (int64; 0 where not filled).</param>
/// <param name="Available">B × T × N × A (bool).</param>
/// <param name="Rewards">B × T.</param>
/// <param name="Terminated">B × T (float: 1 at a true end).</param>
/// <param name="Truncated">B × T (float: 1 where the time limit cut the episode).</param>
/// <param name="Filled">B × T (float: 1 on real steps), the mask of every per-step loss.</param>
public sealed record EpisodeBatch(
    Tensor Observations, Tensor States, Tensor Actions, Tensor Available, Tensor Rewards, Tensor Terminated, Tensor Truncated, Tensor Filled)
{
    /// <summary>Episodes B (per member, in a stacked batch).</summary>
    public long Count => Filled.shape[^2];

    /// <summary>Slots T (the longest episode's length + 1).</summary>
    public long Slots => Filled.shape[^1];

    /// <summary>Seed ensembles: the members' batches as one, every tensor S × B × T × …, each padded to the longest
    /// batch's slots as the store pads an episode shorter than its batch's longest (zeros: unfilled, nothing
    /// available, no reward). A recurrent unroll is causal, so a member's values at its own slots are unchanged.</summary>
    public static EpisodeBatch Stack(IReadOnlyList<EpisodeBatch> batches)
    {
        long slots = batches.Max(b => b.Slots);
        Tensor Pad(Tensor x) => x.shape[1] == slots ? x
            : cat(new[] { x, zeros(new[] { x.shape[0], slots - x.shape[1] }.Concat(x.shape.Skip(2)).ToArray(), dtype: x.dtype, device: x.device) }, 1);
        Tensor All(Func<EpisodeBatch, Tensor> field) => stack(batches.Select(b => Pad(field(b))).ToArray());
        return new EpisodeBatch(All(b => b.Observations), All(b => b.States), All(b => b.Actions), All(b => b.Available), All(b => b.Rewards),
            All(b => b.Terminated), All(b => b.Truncated), All(b => b.Filled));
    }

    /// <summary>Episodes <paramref name="episodes"/> (int64 indices on the store's device) of an episode store with
    /// E × T1 × … tensors and per-episode <paramref name="lengths"/>, cut to the longest of them and moved by
    /// <paramref name="move"/> (to the training device).</summary>
    public static EpisodeBatch Gather(Tensor episodes, Tensor lengths, Tensor observations, Tensor states, Tensor actions, Tensor available,
                                      Tensor rewards, Tensor terminated, Tensor truncated, Tensor filled, Func<Tensor, Tensor> move)
    {
        long slots = lengths.index_select(0, episodes).max().item<long>() + 1;
        Tensor Take(Tensor t) => move(t.index_select(0, episodes).narrow(1, 0, slots));
        return new EpisodeBatch(Take(observations), Take(states), Take(actions), Take(available), Take(rewards),
            Take(terminated), Take(truncated), Take(filled));
    }

    /// <summary>Each agent's previous action, B × T × N (int64; S × B × T × N when stacked): −1 at t = 0 (PyMARL feeds zeros there).</summary>
    public Tensor LastActions
    {
        get
        {
            int time = (int)Filled.dim() - 1;   // B × T, or S × B × T when stacked
            var first = Actions.narrow(time, 0, 1);
            return cat(new[] { ones_like(first).neg(), Actions.narrow(time, 0, Slots - 1) }, time);
        }
    }
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
/// <item><see cref="SampleEpisodes"/>: whole episodes cut to the longest in the batch, with their filled mask
/// (recurrent learners).</item>
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
    /// <summary>E × T1, float 0/1: a true end.</summary>
    public Tensor Terminated { get; }
    /// <summary>E × T1, float 0/1: the time limit cut the episode here.</summary>
    public Tensor Truncated { get; }
    /// <summary>E, int64: filled steps of each episode.</summary>
    public Tensor Lengths { get; }
    /// <summary>Where the episode tensors live: the training device, or the host for a dataset kept there
    /// (<see cref="HostResident"/>); batches are always returned on <see cref="Device"/>.</summary>
    public Device Storage { get; }
    /// <summary>Whether the dataset stays in host memory and each batch moves to the device when drawn (datasets
    /// larger than the device's memory).</summary>
    public bool HostResident { get; }
    /// <summary>E × T1, float 0/1: the slot is a real step.</summary>
    public Tensor Filled { get; }

    /// <summary>The buffer's contents copied back into an <see cref="EpisodeDataset"/> (CPU arrays).</summary>
    public EpisodeDataset ToDataset()
    {
        static T[] Read<T>(Tensor t) where T : unmanaged => t.cpu().contiguous().data<T>().ToArray();
        return new EpisodeDataset(Spec, Episodes, Read<float>(Observations), Read<float>(States),
            Read<long>(Actions).Select(x => (int)x).ToArray(), Read<bool>(Available), Read<float>(Rewards),
            Read<float>(Terminated).Select(x => x != 0).ToArray(), Read<float>(Filled).Select(x => x != 0).ToArray(),
            Read<float>(Truncated).Select(x => x != 0).ToArray()) { TimeLimits = TimeLimits };
    }

    /// <summary>Flat slot index e · T1 + t of every filled slot, in dataset order (M entries).</summary>
    public Tensor FilledSlots { get; }

    /// <summary>Number M of real transitions.</summary>
    public long Transitions { get; }

    /// <summary>How the data marks time-outs (see <see cref="EpisodeDataset.TimeLimits"/>).</summary>
    public TimeLimitConvention TimeLimits { get; }

    /// <param name="data">The episodes.</param>
    /// <param name="device">Where batches are used.</param>
    /// <param name="hostResident">Keep the episodes in host memory and move each batch (default: only when the device
    /// is not the CPU and the dataset is larger than <see cref="HostResidentBytes"/>).</param>
    public DeviceEpisodeBuffer(EpisodeDataset data, Device device, bool? hostResident = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        Spec = data.Spec;
        Device = device;
        TimeLimits = data.TimeLimits;
        HostResident = device.type != DeviceType.CPU && (hostResident ?? Bytes(data) > HostResidentBytes);
        Storage = HostResident ? CPU : device;
        device = Storage;
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
        Truncated = tensor(data.Truncated.Select(x => x ? 1f : 0f).ToArray(), new[] { e, t1 }).to(device);
        Lengths = Filled.sum(1).to_type(int64);
        var slots = new List<long>();
        for (int i = 0; i < data.Filled.Length; i++)
            if (data.Filled[i]) slots.Add(i);
        Transitions = slots.Count;
        if (Transitions == 0) throw new ArgumentException("dataset has no filled step to learn from");
        FilledSlots = tensor(slots.ToArray()).to(device);
        // The buffer owns its tensors (Dispose): a buffer built inside a dispose scope (a learner's derived buffer,
        // built during a training step) must outlive it.
        foreach (var t in new[] { Observations, States, Actions, Available, Rewards, Terminated, Truncated, Lengths, Filled, FilledSlots })
            t.DetachFromDisposeScope();
    }

    /// <summary>Dataset bytes above which a dataset for a GPU stays in host memory by default (2 GiB).</summary>
    public const long HostResidentBytes = 2L << 30;

    static long Bytes(EpisodeDataset d) =>
        4L * (d.Observations.LongLength + d.States.LongLength + d.Rewards.LongLength * 4) + 8L * d.Actions.LongLength + d.AvailableActions.LongLength;

    /// <summary>The transitions at flat slot indices <paramref name="slots"/> (each must be filled), on <see cref="Device"/>.</summary>
    public TransitionBatch Gather(Tensor slots)
    {
        long e = Episodes, t1 = Steps;
        slots = slots.to(Storage);
        var next = slots + 1;   // the successor slot of a filled slot is in the same episode (T1 = limit + 1)
        var obs = Observations.view(e * t1, Spec.Agents, Spec.ObservationSize);
        var state = States.view(e * t1, Spec.StateSize);
        var avail = Available.view(e * t1, Spec.Agents, Spec.Actions);
        var terminated = Terminated.view(e * t1).index_select(0, slots);
        var done = terminated + Truncated.view(e * t1).index_select(0, slots);   // never both (EpisodeDataset's check)
        return new TransitionBatch(
            Move(obs.index_select(0, slots)), Move(state.index_select(0, slots)),
            Move(Actions.view(e * t1, Spec.Agents).index_select(0, slots)), Move(avail.index_select(0, slots)),
            Move(Rewards.view(e * t1).index_select(0, slots)), Move(done),
            Move(obs.index_select(0, next)), Move(state.index_select(0, next)), Move(avail.index_select(0, next)), Move(terminated));
    }

    Tensor Move(Tensor t) => HostResident ? t.to(Device) : t;

    /// <summary>All M transitions in dataset order (for dataset-level resampling and statistics).</summary>
    public TransitionBatch All() => Gather(FilledSlots);

    /// <summary>K transitions drawn uniformly with replacement from the filled slots.</summary>
    public TransitionBatch SampleTransitions(long count, Generator generator)
    {
        var rows = randint(0, Transitions, new[] { count }, dtype: int64, device: Device, generator: generator);
        return Gather(FilledSlots.index_select(0, rows.to(Storage)));
    }

    /// <summary>K transitions drawn with replacement, transition m (in <see cref="All"/>'s order) with
    /// probability weights[m] / Σ weights. Weights must be finite, non-negative, not all zero.</summary>
    public TransitionBatch SampleWeighted(Tensor weights, long count, Generator generator)
    {
        if (weights.shape.Length != 1 || weights.shape[0] != Transitions)
            throw new ArgumentException($"weights have shape [{string.Join(", ", weights.shape)}], expected [{Transitions}]");
        return Gather(FilledSlots.index_select(0, ResampleIndices(weights, count, generator).to(Storage)));
    }

    /// <summary>Importance resampling: <paramref name="count"/> row indices drawn with replacement, row k
    /// with probability weights[k] / Σ weights.</summary>
    public static Tensor ResampleIndices(Tensor weights, long count, Generator generator) =>
        multinomial(weights.to_type(float32), count, replacement: true, generator: generator);

    /// <summary>B whole episodes drawn uniformly with replacement, cut to the longest of them (PyMARL's
    /// <c>max_t_filled</c>): recurrent learners unroll over T and mask every loss with <see cref="EpisodeBatch.Filled"/>.</summary>
    public EpisodeBatch SampleEpisodes(long count, Generator generator)
    {
        var episodes = randint(0, Episodes, new[] { count }, dtype: int64, device: Device, generator: generator);
        return GatherEpisodes(episodes);
    }

    /// <summary>The episodes <paramref name="episodes"/> (int64 indices) cut to the longest of them.</summary>
    public EpisodeBatch GatherEpisodes(Tensor episodes)
    {
        return EpisodeBatch.Gather(episodes.to(Storage), Lengths, Observations, States, Actions, Available, Rewards,
            Terminated, Truncated, Filled, Move);
    }

    public void Dispose()
    {
        foreach (var t in new[] { Observations, States, Actions, Available, Rewards, Terminated, Truncated, Lengths, Filled, FilledSlots }) t.Dispose();
    }
}
