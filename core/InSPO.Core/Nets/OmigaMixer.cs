using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>
/// OMIGA's mixer (Wang et al. 2023b, notes §4.1): state-conditioned non-negative weights and a bias,
/// x = ReLU(Linear(S→H)(s)), w(s) = |Linear(H→N)(x)| ≥ 0, b(s) = Linear(H→1)(x), used LINEARLY:
/// Q_tot = Σᵢ wᵢ(s) Qᵢ + b(s) and V_tot = Σᵢ wᵢ(s) Vᵢ + b(s). Linearity is what lets the global
/// in-sample value regulariser decompose into local ones (OMIGA's Theorem on global-to-local regularisation).
/// Every weight is drawn from the generator passed in (<see cref="Mlp.Layer"/>).
/// </summary>
public sealed class OmigaMixer : nn.Module<Tensor, (Tensor Weights, Tensor Bias)>
{
    readonly Linear embed, weights, bias;

    public OmigaMixer(string name, int agents, long stateSize, int hidden, Generator init) : base(name)
    {
        embed = Mlp.Layer(stateSize, hidden, init);
        weights = Mlp.Layer(hidden, agents, init);
        bias = Mlp.Layer(hidden, 1, init);
        RegisterComponents();
    }

    /// <summary><paramref name="states"/> K × S → (w K × N, all ≥ 0; b K).</summary>
    public override (Tensor Weights, Tensor Bias) forward(Tensor states)
    {
        var x = nn.functional.relu(embed.forward(states));
        return (weights.forward(x).abs(), bias.forward(x).squeeze(-1));
    }

    /// <summary>Σᵢ wᵢ(s) valuesᵢ + b(s): <paramref name="values"/> K × N → K.</summary>
    public Tensor Mix(Tensor values, Tensor states) => Combine(forward(states), values);

    /// <summary>Σᵢ wᵢ valuesᵢ + b over the last (agent) dimension, for any leading dimensions.</summary>
    internal static Tensor Combine((Tensor Weights, Tensor Bias) mixing, Tensor values) => (mixing.Weights * values).sum(-1) + mixing.Bias;

    /// <summary>The three layers in order (an ensemble copies its members' weights from them).</summary>
    internal Linear[] Layers => new[] { embed, weights, bias };
}

/// <summary>OMIGA's mixer (<see cref="OmigaMixer"/>) of S seeds at once: states S × K × state → w S × K × N, b S × K.</summary>
public sealed class EnsembleOmigaMixer : nn.Module<Tensor, (Tensor Weights, Tensor Bias)>
{
    readonly EnsembleLinear embed, weights, bias;

    public EnsembleOmigaMixer(string name, IReadOnlyList<OmigaMixer> members, Device device) : base(name)
    {
        EnsembleLinear Layer(int l, string layer) => new(layer, members.Select(m => m.Layers[l]).ToArray(), device);
        (embed, weights, bias) = (Layer(0, "embed"), Layer(1, "weights"), Layer(2, "bias"));
        RegisterComponents();
    }

    public override (Tensor Weights, Tensor Bias) forward(Tensor states)
    {
        var x = nn.functional.relu(embed.forward(states));
        return (weights.forward(x).abs(), bias.forward(x).squeeze(-1));
    }

    /// <summary>Per member: values S × K × N → S × K.</summary>
    public Tensor Mix(Tensor values, Tensor states) => OmigaMixer.Combine(forward(states), values);
}
