using static TorchSharp.torch;

namespace InSPO.Data;

/// <summary>
/// Seed ensembles on episodes: each member's filled steps in a stacked batch (<see cref="EpisodeBatch.Stack"/>,
/// S × B × T), as rows. Members have different numbers Mₖ of filled steps, so each member's rows are padded to the
/// largest M by repeating its first row, and <see cref="Weights"/> (1/Mₖ on its real rows, 0 on the padding) turn a
/// weighted sum over rows into the member's own mean over its filled steps, the single run's mean. Row m of a member is
/// its m-th filled slot in (episode, step) order, as <see cref="EpisodeSteps"/> orders them.
/// </summary>
/// <param name="Slots">S × M flat indices b·T + t into each member's B·T grid.</param>
/// <param name="Weights">S × M.</param>
public sealed record MemberSteps(Tensor Slots, Tensor Weights)
{
    public static MemberSteps Of(EpisodeBatch stacked)
    {
        var filled = stacked.Filled;                                                       // S × B × T
        long members = filled.shape[0];
        var perMember = Enumerable.Range(0, (int)members).Select(s => filled[s].reshape(-1).nonzero().squeeze(1)).ToArray();
        long most = perMember.Max(p => p.shape[0]);
        var slots = stack(perMember.Select(p => cat(new[] { p, p.narrow(0, 0, 1).expand(most - p.shape[0]) })).ToArray());
        var weights = stack(perMember.Select(p => cat(new[]
        {
            full(p.shape[0], 1.0f / p.shape[0], device: filled.device), zeros(most - p.shape[0], device: filled.device),
        })).ToArray());
        return new MemberSteps(slots, weights);
    }

    /// <summary>The successor slots (t + 1: every episode keeps its final slot), same weights.</summary>
    public MemberSteps Next => new(Slots + 1, Weights);

    /// <summary>Rows redrawn within each member's own rows: <paramref name="drawn"/> S × M indices into them (a member's
    /// real rows drawn among its real rows, its padding anything), same weights.</summary>
    public MemberSteps Select(Tensor drawn) => new(Slots.gather(1, drawn), Weights);

    /// <summary>Each member's number of real rows Mₖ.</summary>
    public long[] Counts => Weights.gt(0).sum(1).cpu().data<long>().ToArray();

    /// <summary>Rows per member: S × M.</summary>
    public long Count => Slots.shape[1];

    /// <summary>Each member's rows of an S × B × T × … tensor: S × M × ….</summary>
    public Tensor Take(Tensor x)
    {
        long members = x.shape[0], grid = x.shape[1] * x.shape[2];
        var flat = (Slots + arange(members, device: Slots.device).unsqueeze(1) * grid).reshape(-1);
        return x.reshape(x.shape.Skip(3).Prepend(members * grid).ToArray()).index_select(0, flat)
            .view(x.shape.Skip(3).Prepend(Slots.shape[1]).Prepend(members).ToArray());
    }

    /// <summary>Each member's mean over its own rows: S × M (× …) → S (× …).</summary>
    public Tensor Mean(Tensor perRow) =>
        (perRow * Weights.view(Weights.shape.Concat(Enumerable.Repeat(1L, (int)perRow.dim() - 2)).ToArray())).sum(1);
}
