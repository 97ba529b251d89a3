using static TorchSharp.torch;

namespace InSPO.Data;

/// <summary>
/// The filled steps of an <see cref="EpisodeBatch"/> as rows of transitions, with where each row sits in the batch's
/// B·T grid. A recurrent learner unrolls its policy over the whole batch once and gathers the rows it needs
/// (<see cref="Slots"/> for step t, <see cref="NextSlots"/> for t + 1); feed-forward parts (critics on the state,
/// μ^{-i}) take <see cref="Rows"/> directly. Row m is the m-th filled slot in row-major (episode, step) order.
/// </summary>
/// <param name="Rows">M transitions; Done = terminated or truncated (as <see cref="DeviceEpisodeBuffer.Gather"/>).</param>
/// <param name="Slots">M flat indices b·T + t into the batch.</param>
/// <param name="NextSlots">M flat indices of the successor step (same episode: every episode keeps its final slot).</param>
public sealed record EpisodeSteps(TransitionBatch Rows, Tensor Slots, Tensor NextSlots)
{
    public long Count => Slots.shape[0];

    /// <summary>The filled steps of <paramref name="b"/>.</summary>
    public static EpisodeSteps Of(EpisodeBatch b)
    {
        long grid = b.Count * b.Slots;
        var slots = b.Filled.reshape(grid).nonzero().squeeze(1);
        var next = slots + 1;
        Tensor At(Tensor x, Tensor index) => Flat(x, grid).index_select(0, index);
        var terminated = At(b.Terminated, slots);
        var rows = new TransitionBatch(At(b.Observations, slots), At(b.States, slots), At(b.Actions, slots), At(b.Available, slots),
            At(b.Rewards, slots), terminated + At(b.Truncated, slots),
            At(b.Observations, next), At(b.States, next), At(b.Available, next), terminated);
        return new EpisodeSteps(rows, slots, next);
    }

    /// <summary>A B × T × … tensor as (B·T) × ….</summary>
    public static Tensor Flat(Tensor x, long grid) => x.reshape(x.shape.Skip(2).Prepend(grid).ToArray());

    /// <summary>Rows of a B × T × … tensor (e.g. an unrolled policy's log-probabilities) at flat indices.</summary>
    public static Tensor Take(Tensor x, Tensor index) => Flat(x, x.shape[0] * x.shape[1]).index_select(0, index);
}
