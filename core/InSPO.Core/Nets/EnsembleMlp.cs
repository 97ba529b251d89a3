using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>
/// S copies of one <see cref="Mlp"/> shape trained side by side (seed ensembles): each layer's weights are one
/// S × in × out tensor and its biases S × 1 × out, and a forward pass on S × B × in inputs is three batched matmuls
/// instead of 3·S small ones. The members start as copies of S ordinary <see cref="Mlp"/>s, so member k holds
/// exactly the weights the single run of seed k draws; gradients of a loss summed over members reach each member's
/// slice only, and Adam is elementwise, so each member trains as it would alone (up to the rounding of a batched
/// matmul against a plain one).
/// </summary>
public sealed class EnsembleMlp : nn.Module<Tensor, Tensor>
{
    readonly Parameter[] weights, biases;

    public EnsembleMlp(string name, IReadOnlyList<Mlp> members, Device device) : base(name)
    {
        if (members.Count < 1) throw new ArgumentException("an ensemble needs at least one member");
        weights = new Parameter[3];
        biases = new Parameter[3];
        using (no_grad())
            for (int l = 0; l < 3; l++)
            {
                // Linear keeps out × in and computes x Wᵀ + b; stored transposed so that x (S × B × in) @ W (S × in × out).
                weights[l] = new Parameter(stack(members.Select(m => m.Layers[l].weight.detach().t()).ToArray()).contiguous().to(device));
                biases[l] = new Parameter(stack(members.Select(m => m.Layers[l].bias!.detach().unsqueeze(0)).ToArray()).contiguous().to(device));
                register_parameter($"w{l}", weights[l]);
                register_parameter($"b{l}", biases[l]);
            }
        Members = members.Count;
    }

    public int Members { get; }

    /// <summary>Every member on its own inputs: S × B × in → S × B × out.</summary>
    public override Tensor forward(Tensor x)
    {
        // bmm + bias rather than torch.baddbmm, which TorchSharp 0.107 hands its arguments in another order (it
        // fails on any shape where batch1 @ batch2 differs from input's).
        var h = nn.functional.relu(bmm(x, weights[0]) + biases[0]);
        h = nn.functional.relu(bmm(h, weights[1]) + biases[1]);
        return bmm(h, weights[2]) + biases[2];
    }

    /// <summary>Member k alone: B × in → B × out (evaluation of one seed's policy).</summary>
    public Tensor ForwardMember(int k, Tensor x)
    {
        var h = nn.functional.relu(addmm(biases[0][k], x, weights[0][k], 1, 1));
        h = nn.functional.relu(addmm(biases[1][k], h, weights[1][k], 1, 1));
        return addmm(biases[2][k], h, weights[2][k], 1, 1);
    }

    /// <summary>Scales each member's gradients so that its own norm over this module is at most <paramref name="max"/>
    /// (what clip_grad_norm_ does to a single network), member by member.</summary>
    public void ClipGradNormPerMember(double max)
    {
        using var _ = no_grad();
        var grads = parameters().Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToArray();
        if (grads.Length == 0) return;
        var squared = grads.Select(g => g.pow(2).reshape(Members, -1).sum(1)).Aggregate((a, b) => a + b);   // S
        var scale = (full_like(squared, max) / (squared.sqrt() + 1e-6)).clamp_max(1.0);
        foreach (var g in grads) g.mul_(scale.view(new long[] { Members }.Concat(Enumerable.Repeat(1L, (int)g.dim() - 1)).ToArray()));
    }
}
