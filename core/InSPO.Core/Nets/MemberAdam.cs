using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>
/// Adam for ensemble parameters whose first dimension indexes members, stepping only the members named in each
/// call. A seed ensemble whose members update different networks in one slot (InSPO: member s updates its own
/// agent of a random order) cannot use one Adam over the stacked weights: a member with no gradient in a step
/// would still move by its moments and count a step. Here each member has its own step count and its moments
/// and weights change only when it is stepped — PyTorch's Adam per member (lr, β₁ 0.9, β₂ 0.999, ε 1e-8,
/// bias-corrected, no weight decay). Its state is buffers of this module, so checkpoints save it with the networks.
/// </summary>
public sealed class MemberAdam : nn.Module
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    readonly Parameter[] trained;
    readonly Tensor[] firstMoments, secondMoments;
    readonly Tensor steps;   // members, float64
    readonly double learningRate;

    public MemberAdam(string name, IEnumerable<Parameter> parameters, double learningRate) : base(name)
    {
        trained = parameters.ToArray();
        this.learningRate = learningRate;
        firstMoments = trained.Select(p => zeros_like(p).detach()).ToArray();
        secondMoments = trained.Select(p => zeros_like(p).detach()).ToArray();
        steps = zeros(trained[0].shape[0], dtype: float64, device: trained[0].device);
        for (int i = 0; i < trained.Length; i++)
        {
            register_buffer($"m{i}", firstMoments[i]);
            register_buffer($"v{i}", secondMoments[i]);
        }
        register_buffer("steps", steps);
    }

    public void ZeroGrad()
    {
        foreach (var p in trained) p.grad?.zero_();
    }

    /// <summary>One Adam step of the members <paramref name="rows"/> (distinct indices, int64) from their gradients.</summary>
    public void Step(Tensor rows)
    {
        using var _ = no_grad();
        steps.index_add_(0, rows, ones(rows.shape[0], dtype: float64, device: steps.device), 1);
        var t = steps.index_select(0, rows);
        var stepSize = (learningRate / (1 - (t * Math.Log(Beta1)).exp())).to_type(trained[0].dtype);   // lr / (1 − β₁ᵗ), R
        var correction2 = (1 - (t * Math.Log(Beta2)).exp()).sqrt().to_type(trained[0].dtype);    // √(1 − β₂ᵗ), R
        for (int i = 0; i < trained.Length; i++)
        {
            var p = trained[i];
            var g = p.grad is { } grad ? grad.index_select(0, rows) : zeros_like(p.index_select(0, rows));
            var view = new[] { rows.shape[0] }.Concat(Enumerable.Repeat(1L, (int)p.dim() - 1)).ToArray();
            var m = firstMoments[i].index_select(0, rows).mul_(Beta1).add_(g, alpha: 1 - Beta1);
            var v = secondMoments[i].index_select(0, rows).mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            firstMoments[i].index_copy_(0, rows, m);
            secondMoments[i].index_copy_(0, rows, v);
            var denom = (v.sqrt() / correction2.view(view)).add_(Epsilon);
            p.index_copy_(0, rows, p.index_select(0, rows) - stepSize.view(view) * m / denom);
        }
    }
}
