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
    public Tensor Mix(Tensor values, Tensor states)
    {
        var (w, b) = forward(states);
        return (w * values).sum(1) + b;
    }
}
