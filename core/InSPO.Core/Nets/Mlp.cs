using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>
/// A 3-layer ReLU MLP: Linear(in, h) → ReLU → Linear(h, h) → ReLU → Linear(h, out) (SPEC 3: critics and
/// game/Bridge policies, h = 256). With <c>smallOutput</c> the last layer's weights start uniform in
/// ±1e-3 and its bias at 0, so a policy head starts ≈ uniform (as AlberDICE's policies do; notes §6.7:
/// the entropy experiments depend on a neutral start).
/// </summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    readonly Linear fc1, fc2, fc3;

    public Mlp(string name, long inputs, long hidden, long outputs, bool smallOutput = false) : base(name)
    {
        fc1 = nn.Linear(inputs, hidden);
        fc2 = nn.Linear(hidden, hidden);
        fc3 = nn.Linear(hidden, outputs);
        if (smallOutput)
            using (no_grad())
            {
                nn.init.uniform_(fc3.weight, -1e-3, 1e-3);
                nn.init.zeros_(fc3.bias);
            }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) =>
        fc3.forward(nn.functional.relu(fc2.forward(nn.functional.relu(fc1.forward(x)))));
}

/// <summary>Masked categorical distributions from logits.</summary>
public static class MaskedCategorical
{
    /// <summary>Logit given to unavailable actions: exp of it is exactly 0 in float32, and
    /// 0 · (it) stays finite, so masked entries vanish from every expectation.</summary>
    public const float MaskedLogit = -1e10f;

    /// <summary>log-softmax over the last dimension with unavailable actions (mask false) at ≈ −1e10.</summary>
    public static Tensor LogProbs(Tensor logits, Tensor available) =>
        nn.functional.log_softmax(logits.masked_fill(available.logical_not(), MaskedLogit), -1);

    /// <summary>log p(a) for the chosen actions (int64, shape = logits without the last dim).</summary>
    public static Tensor Pick(Tensor logProbs, Tensor actions) =>
        logProbs.gather(-1, actions.unsqueeze(-1)).squeeze(-1);
}
