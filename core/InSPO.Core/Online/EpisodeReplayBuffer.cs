using InSPO.Data;
using InSPO.Envs;
using static TorchSharp.torch;

namespace InSPO.Online;

/// <summary>
/// An online learner's replay buffer of whole episodes (PyMARL's ReplayBuffer): a ring of
/// <see cref="Capacity"/> episodes in the dataset layout, on the training device; the oldest episodes are
/// overwritten once full. Batches are <see cref="EpisodeBatch"/>es drawn uniformly from the episodes held,
/// cut to the longest of them, as the offline buffer's.
/// </summary>
public sealed class EpisodeReplayBuffer : IDisposable
{
    readonly Tensor obs, states, actions, available, rewards, terminated, truncated, filled, lengths;
    readonly bool?[] won;   // battle_won per slot, where the environment reported it (host side: one flag an episode)
    int next;

    public EpisodeReplayBuffer(EnvSpec spec, int capacity, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Spec = spec;
        Capacity = capacity;
        Device = device;
        long c = capacity, t1 = spec.EpisodeLimit + 1, n = spec.Agents;
        obs = zeros(new[] { c, t1, n, (long)spec.ObservationSize }, device: device);
        states = zeros(new[] { c, t1, (long)spec.StateSize }, device: device);
        actions = zeros(new[] { c, t1, n }, dtype: int64, device: device);
        available = zeros(new[] { c, t1, n, (long)spec.Actions }, dtype: @bool, device: device);
        rewards = zeros(new[] { c, t1 }, device: device);
        terminated = zeros(new[] { c, t1 }, device: device);
        truncated = zeros(new[] { c, t1 }, device: device);
        filled = zeros(new[] { c, t1 }, device: device);
        lengths = zeros(new[] { c }, dtype: int64, device: device);
        won = new bool?[capacity];
        foreach (var t in All) t.DetachFromDisposeScope();
    }

    public EnvSpec Spec { get; }
    public int Capacity { get; }
    public Device Device { get; }

    /// <summary>Episodes held (at most <see cref="Capacity"/>).</summary>
    public int Count { get; private set; }

    /// <summary>Episodes added since the start.</summary>
    public long Added { get; private set; }

    Tensor[] All => new[] { obs, states, actions, available, rewards, terminated, truncated, filled, lengths };

    /// <summary>Adds every episode of <paramref name="data"/> (same environment sizes), overwriting the oldest.</summary>
    public void Add(EpisodeDataset data)
    {
        if (data.Spec != Spec) throw new ArgumentException($"episodes of {data.Spec} cannot enter a buffer of {Spec}");
        using var scope = NewDisposeScope();
        long e = data.Episodes, t1 = data.Steps, n = data.Agents;
        var rows = tensor(Enumerable.Range(0, data.Episodes).Select(k => (long)((next + k) % Capacity)).ToArray(), device: Device);
        static Tensor Flags(bool[] x, long e, long t1) => tensor(x.Select(b => b ? 1f : 0f).ToArray(), new[] { e, t1 });
        obs.index_copy_(0, rows, tensor(data.Observations, new[] { e, t1, n, (long)data.ObservationSize }).to(Device));
        states.index_copy_(0, rows, tensor(data.States, new[] { e, t1, (long)data.StateSize }).to(Device));
        actions.index_copy_(0, rows, tensor(data.Actions.Select(a => (long)a).ToArray(), new[] { e, t1, n }).to(Device));
        available.index_copy_(0, rows, tensor(data.AvailableActions, new[] { e, t1, n, (long)data.ActionCount }).to(Device));
        rewards.index_copy_(0, rows, tensor(data.Rewards, new[] { e, t1 }).to(Device));
        terminated.index_copy_(0, rows, Flags(data.Terminated, e, t1).to(Device));
        truncated.index_copy_(0, rows, Flags(data.Truncated, e, t1).to(Device));
        filled.index_copy_(0, rows, Flags(data.Filled, e, t1).to(Device));
        lengths.index_copy_(0, rows, tensor(Enumerable.Range(0, data.Episodes).Select(k => (long)data.EpisodeLength(k)).ToArray()).to(Device));
        for (int k = 0; k < data.Episodes; k++) won[(next + k) % Capacity] = data.BattleWon?[k];
        next = (next + data.Episodes) % Capacity;
        Count = Math.Min(Capacity, Count + data.Episodes);
        Added += data.Episodes;
    }

    /// <summary>The episodes held, in buffer order (not chronological once the ring has wrapped, as PyMARL's), as a
    /// dataset: what the medium-replay tier is (notes, smac-datasets.md).</summary>
    public EpisodeDataset ToDataset()
    {
        using var scope = NewDisposeScope();
        static T[] Read<T>(Tensor t) where T : unmanaged => t.cpu().contiguous().data<T>().ToArray();
        var rows = arange(Count, dtype: int64, device: Device);
        Tensor Held(Tensor t) => t.index_select(0, rows);
        static bool[] Flags(float[] x) => x.Select(v => v != 0).ToArray();
        var data = new EpisodeDataset(Spec, Count, Read<float>(Held(obs)), Read<float>(Held(states)),
            Read<long>(Held(actions)).Select(a => (int)a).ToArray(), Read<bool>(Held(available)), Read<float>(Held(rewards)),
            Flags(Read<float>(Held(terminated))), Flags(Read<float>(Held(filled))), Flags(Read<float>(Held(truncated))));
        if (won.Take(Count).All(w => w.HasValue)) data.BattleWon = won.Take(Count).Select(w => w!.Value).ToArray();
        return data;
    }

    /// <summary><paramref name="count"/> episodes drawn uniformly with replacement from those held.</summary>
    public EpisodeBatch Sample(long count, Generator generator)
    {
        if (Count == 0) throw new InvalidOperationException("the replay buffer is empty");
        var rows = randint(0, Count, new[] { count }, dtype: int64, device: Device, generator: generator);
        return EpisodeBatch.Gather(rows, lengths, obs, states, actions, available, rewards, terminated, truncated, filled, t => t);
    }

    public void Dispose()
    {
        foreach (var t in All) t.Dispose();
    }
}
