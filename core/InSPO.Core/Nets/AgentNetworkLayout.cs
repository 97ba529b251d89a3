using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>
/// What an <see cref="AgentNetwork"/> looks like without its weights: N agents, features per agent before the extras,
/// actions per agent (the last-action one-hot's width), outputs and options. It builds each agent's input with the
/// extras, for the network and for the seed ensembles that hold its members' weights, so no ensemble keeps a
/// (disposed) single network only for its shape.
/// </summary>
public sealed record AgentNetworkLayout(int Agents, int Inputs, int Actions, int Outputs, AgentNetworkOptions Options)
{
    /// <summary>An agent's input width with the extras.</summary>
    public long Width => Inputs + (Options.LastAction ? Actions : 0) + (Options.AgentId ? Agents : 0);

    /// <summary>Agent i's input with the configured extras: x … × in, last action … (int64, −1 = none) → … × width.</summary>
    public Tensor Input(int agent, Tensor x, Tensor? lastAction)
    {
        if (!Options.LastAction && !Options.AgentId) return x;
        var parts = new List<Tensor> { x };
        if (Options.LastAction)
        {
            var last = lastAction ?? ones(x.shape[..^1], dtype: int64, device: x.device).neg();
            // One-hot of the last action, zeros where there is none yet. Tensor operands, not Scalars: this runs at
            // every step of every rollout, and TorchSharp 0.107 let a collected implicit Scalar reach libtorch here
            // ("Unknown scalar type"; QMIX runs died every few minutes).
            var none = zeros_like(last);
            parts.Add(nn.functional.one_hot(last.maximum(none), Actions).to_type(x.dtype) * last.ge(none).unsqueeze(-1).to_type(x.dtype));
        }
        if (Options.AgentId)
        {
            var id = eye(Agents, dtype: x.dtype, device: x.device).select(0, agent);
            parts.Add(id.expand(x.shape[..^1].Append((long)Agents).ToArray()));
        }
        return cat(parts, -1);
    }
}
