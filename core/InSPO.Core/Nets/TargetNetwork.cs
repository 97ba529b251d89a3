using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>How target networks follow their online networks: every learner with a target uses these.</summary>
public static class TargetNetwork
{
    /// <summary>Polyak averaging: θ̄ ← τ θ + (1 − τ) θ̄, parameter by parameter (same architecture).</summary>
    public static void Polyak(nn.Module target, nn.Module online, double tau)
    {
        using var _ = no_grad();
        foreach (var (t, s) in target.parameters().Zip(online.parameters()))
            t.mul_(1 - tau).add_(s, alpha: tau);
    }

    /// <summary>Polyak averaging of chosen ensemble members only (<paramref name="rows"/> member indices, int64; every
    /// parameter has the member dimension first): the others have not been trained this step and keep their targets.</summary>
    public static void PolyakRows(nn.Module target, nn.Module online, Tensor rows, double tau)
    {
        using var _ = no_grad();
        foreach (var (t, s) in target.parameters().Zip(online.parameters()))
            t.index_copy_(0, rows, t.index_select(0, rows).mul_(1 - tau).add_(s.index_select(0, rows), alpha: tau));
    }

    /// <summary>A hard copy θ̄ ← θ (a periodic target sync, or the start of Polyak averaging).</summary>
    public static void Copy(nn.Module target, nn.Module online)
    {
        using var _ = no_grad();
        target.load_state_dict(online.state_dict());
    }
}
