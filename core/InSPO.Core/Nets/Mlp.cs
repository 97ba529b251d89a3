using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>
/// A 3-layer ReLU MLP: Linear(in, h) → ReLU → Linear(h, h) → ReLU → Linear(h, out) (SPEC 3: critics and
/// game/Bridge policies, h = 256). With <c>smallOutput</c> the last layer's weights start uniform in
/// ±1e-3 and its bias at 0, so a policy head starts ≈ uniform (as AlberDICE's policies do; notes §6.7:
/// the entropy experiments depend on a neutral start).
/// Every weight is drawn from the <see cref="Generator"/> passed in, never from libtorch's global one, so
/// runs that build networks at the same time (parallel tests, scripts) stay reproducible.
/// </summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    readonly Linear fc1, fc2, fc3;

    public Mlp(string name, long inputs, long hidden, long outputs, Generator init, bool smallOutput = false) : base(name)
    {
        fc1 = Layer(inputs, hidden, init);
        fc2 = Layer(hidden, hidden, init);
        fc3 = Layer(hidden, outputs, init);
        if (smallOutput)
            using (no_grad())
            {
                fc3.weight.uniform_(-1e-3, 1e-3, init);
                nn.init.zeros_(fc3.bias);
            }
        RegisterComponents();
    }

    /// <summary>A Linear layer with PyTorch's default distribution, U(±1/√fan_in) for weight and bias,
    /// drawn from <paramref name="init"/> (the constructor's own draw uses the global generator).</summary>
    internal static Linear Layer(long inputs, long outputs, Generator init)
    {
        var layer = nn.Linear(inputs, outputs);
        double bound = 1.0 / Math.Sqrt(inputs);
        using (no_grad())
        {
            // Tensor.uniform_, not nn.init.uniform_: TorchSharp 0.107's nn.init.uniform_ ignores its generator
            // argument and draws from the global one (checked: two generators of one seed gave different weights).
            layer.weight.uniform_(-bound, bound, init);
            layer.bias!.uniform_(-bound, bound, init);
        }
        return layer;
    }

    /// <summary>The three layers in order (an ensemble copies its members' weights from them).</summary>
    internal Linear[] Layers => new[] { fc1, fc2, fc3 };

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

    /// <summary>Agent i's log-probabilities from a feed-forward policy network: <paramref name="observations"/> K × N × O
    /// and <paramref name="available"/> K × N × A → K × A (per-agent, decentralised policies).</summary>
    public static Tensor AgentLogProbs(AgentNetwork net, int i, Tensor observations, Tensor available) =>
        LogProbs(net.Forward(i, observations.select(1, i)), available.select(1, i));

    /// <summary>Every agent's probabilities from a feed-forward policy network, without gradient: K × N × A
    /// (what a stateless learner's <c>Act</c> returns for stochastic per-agent policies).</summary>
    public static Tensor JointProbabilities(AgentNetwork net, Tensor observations, Tensor available)
    {
        using var _ = no_grad();
        return stack(Enumerable.Range(0, net.Agents).Select(i => AgentLogProbs(net, i, observations, available).exp()).ToArray(), 1);
    }

    /// <summary>One step of a recurrent policy network for every agent, without gradient: (probabilities K × N × A,
    /// next hidden state) — what a recurrent learner's <c>Act</c> returns to the evaluator.</summary>
    public static (Tensor Probabilities, Tensor? Hidden) RecurrentStep(AgentNetwork net, Tensor observations, Tensor available, Tensor lastActions, Tensor? hidden)
    {
        using var _ = no_grad();
        var (logits, next) = net.Step(observations, lastActions, hidden);
        return (LogProbs(logits, available).exp(), next);
    }

    /// <summary>log p(a) for the chosen actions (int64, shape = logits without the last dim).</summary>
    public static Tensor Pick(Tensor logProbs, Tensor actions) =>
        logProbs.gather(-1, actions.unsqueeze(-1)).squeeze(-1);
}
