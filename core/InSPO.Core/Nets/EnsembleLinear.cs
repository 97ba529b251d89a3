using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>
/// S copies of one Linear layer trained side by side (seed ensembles): weights S × in × out, biases S × 1 × out,
/// copied from S ordinary layers so that member k starts exactly where the single run of seed k starts. A forward
/// pass on S × … × in inputs is one batched matmul instead of S small ones. Gradients of a loss summed over members
/// reach each member's slice only, and Adam is elementwise, so each member trains as it would alone (up to the
/// rounding of a batched matmul against a plain one).
/// </summary>
public sealed class EnsembleLinear : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight, bias;

    public EnsembleLinear(string name, IReadOnlyList<Linear> members, Device device) : base(name)
    {
        if (members.Count < 1) throw new ArgumentException("an ensemble needs at least one member");
        using (no_grad())
        {
            // Linear keeps out × in and computes x Wᵀ + b; stored transposed so that x (S × M × in) @ W (S × in × out).
            weight = new Parameter(stack(members.Select(m => m.weight.detach().t()).ToArray()).contiguous().to(device));
            bias = new Parameter(stack(members.Select(m => m.bias!.detach().unsqueeze(0)).ToArray()).contiguous().to(device));
        }
        register_parameter("weight", weight);
        register_parameter("bias", bias);
        Members = members.Count;
    }

    public int Members { get; }

    /// <summary>Every member on its own inputs: S × … × in → S × … × out.</summary>
    public override Tensor forward(Tensor x)
    {
        var shape = x.shape;
        // bmm + bias rather than torch.baddbmm, which TorchSharp 0.107 hands its arguments in another order (it fails
        // on any shape where batch1 @ batch2 differs from input's).
        var y = bmm(x.reshape(Members, -1, shape[^1]), weight) + bias;
        return y.view(shape[..^1].Append(weight.shape[2]).ToArray());
    }

    /// <summary>Chosen members on their own inputs: <paramref name="rows"/> R member indices (int64), x R × … × in →
    /// R × … × out. Gradients reach only the chosen members' slices.</summary>
    public Tensor ForwardRows(Tensor rows, Tensor x)
    {
        var shape = x.shape;
        var y = bmm(x.reshape(shape[0], -1, shape[^1]), weight.index_select(0, rows)) + bias.index_select(0, rows);
        return y.view(shape[..^1].Append(weight.shape[2]).ToArray());
    }

    /// <summary>Member k alone: … × in → … × out (one seed's policy in evaluation).</summary>
    public Tensor ForwardMember(int k, Tensor x) => x.matmul(weight[k]) + bias[k].squeeze(0);

    /// <summary>Writes member k's weights into <paramref name="layer"/> (an ordinary layer of the same shape).</summary>
    public void CopyMemberTo(int k, Linear layer)
    {
        using var _ = no_grad();
        layer.weight!.copy_(weight[k].t());
        layer.bias!.copy_(bias[k].squeeze(0));
    }

    /// <summary>Per-row gradient clipping where a row's parameters lie in several stacked groups (e.g. agent i of seed s
    /// in a per-agent ensemble of N·S rows and seed s of agent i's teammate model, clipped together as the single run
    /// clips μⁱ with μ^{-i}): every parameter of a group has its members first, and <c>RowOf</c> names the clip row of
    /// each member (int64). Each of the <paramref name="rows"/> rows is scaled to a norm of at most <paramref name="max"/>.</summary>
    public static void ClipGradNorm(IReadOnlyList<(IEnumerable<Tensor> Parameters, Tensor RowOf)> groups, long rows, double max)
    {
        using var _ = no_grad();
        var parts = groups.Select(g => (Grads: g.Parameters.Select(p => p.grad).Where(x => x is not null).Select(x => x!).ToArray(), g.RowOf)).ToArray();
        var first = parts.SelectMany(p => p.Grads).FirstOrDefault();
        if (first is null) return;
        var squared = zeros(rows, dtype: first.dtype, device: first.device);
        foreach (var (grads, rowOf) in parts)
            foreach (var g in grads) squared.index_add_(0, rowOf, g.pow(2).reshape(rowOf.shape[0], -1).sum(1), 1);
        var scale = (full_like(squared, max) / (squared.sqrt() + 1e-6)).clamp_max(1.0);
        foreach (var (grads, rowOf) in parts)
            foreach (var g in grads)
                g.mul_(scale.index_select(0, rowOf).view(new[] { rowOf.shape[0] }.Concat(Enumerable.Repeat(1L, (int)g.dim() - 1)).ToArray()));
    }

    /// <summary>Scales each member's gradients so that its own norm over <paramref name="parameters"/> is at most
    /// <paramref name="max"/> (clip_grad_norm_ of the single run, member by member). Every parameter has the
    /// member dimension first.</summary>
    public static void ClipGradNorm(IEnumerable<Tensor> parameters, int members, double max)
    {
        using var _ = no_grad();
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToArray();
        if (grads.Length == 0) return;
        var squared = grads.Select(g => g.pow(2).reshape(members, -1).sum(1)).Aggregate((a, b) => a + b);   // S
        var scale = (full_like(squared, max) / (squared.sqrt() + 1e-6)).clamp_max(1.0);
        foreach (var g in grads) g.mul_(scale.view(new long[] { members }.Concat(Enumerable.Repeat(1L, (int)g.dim() - 1)).ToArray()));
    }
}
