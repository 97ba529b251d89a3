using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>
/// S copies of one <see cref="RecurrentAgent"/> shape (seed ensembles): Linear → ReLU → GRU cell → Linear with every
/// weight stacked over a leading member dimension, copied from S ordinary agents (member k starts as the single run of
/// seed k). The linear layers are <see cref="EnsembleLinear"/>s; the GRU cell is written out with batched matmuls,
/// PyTorch's GRUCell equations (gates r, z, n in that order in the stacked weights):
///   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz),
///   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h.
/// The input half of the gates is computed for all time steps at once; only the hidden half runs step by step.
/// </summary>
public sealed class EnsembleRecurrentAgent : nn.Module
{
    readonly EnsembleLinear fc1, fc2;
    readonly Parameter inputGates, hiddenGates, inputBias, hiddenBias;   // S × h × 3h, S × h × 3h, S × 1 × 3h, S × 1 × 3h

    public EnsembleRecurrentAgent(string name, IReadOnlyList<RecurrentAgent> members, Device device) : base(name)
    {
        if (members.Count < 1) throw new ArgumentException("an ensemble needs at least one member");
        Hidden = members[0].Hidden;
        fc1 = new EnsembleLinear("fc1", members.Select(m => m.Layers.Input).ToArray(), device);
        fc2 = new EnsembleLinear("fc2", members.Select(m => m.Layers.Output).ToArray(), device);
        using (no_grad())
        {
            Parameter Stack(string key, bool transpose) => new(stack(members.Select(m =>
            {
                var p = Cell(m)[key].detach();
                return transpose ? p.t() : p.unsqueeze(0);
            }).ToArray()).contiguous().to(device));
            inputGates = Stack("weight_ih", true);
            hiddenGates = Stack("weight_hh", true);
            inputBias = Stack("bias_ih", false);
            hiddenBias = Stack("bias_hh", false);
        }
        register_parameter("weight_ih", inputGates);
        register_parameter("weight_hh", hiddenGates);
        register_parameter("bias_ih", inputBias);
        register_parameter("bias_hh", hiddenBias);
        RegisterComponents();
        Members = members.Count;
    }

    public int Members { get; }

    /// <summary>Units of the hidden state h.</summary>
    public long Hidden { get; }

    static Dictionary<string, Tensor> Cell(RecurrentAgent agent) =>
        agent.Layers.Cell.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);

    /// <summary>Every member over whole sequences from a zero hidden state: inputs S × K × T × in → S × K × T × out.</summary>
    public Tensor Unroll(Tensor inputs) =>
        Unroll(inputs, fc1.forward, fc2.forward, inputGates, hiddenGates, inputBias, hiddenBias);

    /// <summary>Chosen members over whole sequences (<see cref="EnsembleLinear.ForwardRows"/>): <paramref name="rows"/> R
    /// member indices (int64), inputs R × K × T × in → R × K × T × out. Gradients reach only the chosen members.</summary>
    public Tensor UnrollRows(Tensor rows, Tensor inputs) =>
        Unroll(inputs, x => fc1.ForwardRows(rows, x), x => fc2.ForwardRows(rows, x), inputGates.index_select(0, rows),
            hiddenGates.index_select(0, rows), inputBias.index_select(0, rows), hiddenBias.index_select(0, rows));

    Tensor Unroll(Tensor inputs, Func<Tensor, Tensor> first, Func<Tensor, Tensor> last, Tensor wi, Tensor wh, Tensor bi, Tensor bh)
    {
        long s = inputs.shape[0], k = inputs.shape[1], t = inputs.shape[2], h = Hidden;
        var x = nn.functional.relu(first(inputs));                                                             // S × K × T × h
        // the input half of every gate at every step in one matmul, then time-major and unbound once (RecurrentAgent.Unroll)
        var gates = (bmm(x.reshape(s, k * t, h), wi) + bi).view(s, k, t, 3 * h).permute(2, 0, 1, 3).contiguous().unbind(0);
        var state = zeros(s, k, h, device: inputs.device, dtype: inputs.dtype);
        var states = new Tensor[t];
        for (int step = 0; step < t; step++)
        {
            // PyTorch's GRUCell (header): r and z in one sigmoid, n with the reset applied to the hidden half only
            var hiddenGate = bmm(state, wh) + bh;                                                               // S × K × 3h
            var inputGate = gates[step];
            var resetUpdate = (inputGate.narrow(-1, 0, 2 * h) + hiddenGate.narrow(-1, 0, 2 * h)).sigmoid();
            var candidate = (inputGate.narrow(-1, 2 * h, h) + resetUpdate.narrow(-1, 0, h) * hiddenGate.narrow(-1, 2 * h, h)).tanh();
            states[step] = state = candidate + resetUpdate.narrow(-1, h, h) * (state - candidate);              // (1 − z) n + z h
        }
        return last(stack(states, 2));
    }

    /// <summary>Writes member k's weights into <paramref name="agent"/> (same shape): the single network that member k's
    /// evaluation runs, step by step, as a single run's agent does.</summary>
    public void CopyMemberTo(int k, RecurrentAgent agent)
    {
        using var _ = no_grad();
        var (input, cell, output) = agent.Layers;
        fc1.CopyMemberTo(k, input);
        fc2.CopyMemberTo(k, output);
        var target = Cell(agent);
        target["weight_ih"].copy_(inputGates[k].t());
        target["weight_hh"].copy_(hiddenGates[k].t());
        target["bias_ih"].copy_(inputBias[k].squeeze(0));
        target["bias_hh"].copy_(hiddenBias[k].squeeze(0));
    }
}
