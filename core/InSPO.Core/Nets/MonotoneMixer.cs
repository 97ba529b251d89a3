using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>
/// QMIX's monotone mixing network (Rashid et al. 2018), the mixer CFCQL uses (notes §3.1, pymarl2's nmix):
/// Q_tot(s, q) = ELU(q · |W₁(s)| + b₁(s)) · |W₂(s)| + b₂(s), with hypernetworks
/// W₁ = Linear(S→H)→ReLU→Linear(H→N·E), b₁ = Linear(S→E), W₂ = Linear(S→H)→ReLU→Linear(H→E),
/// b₂ = Linear(S→E)→ReLU→Linear(E→1); E = mixing embed (32), H = hypernet width (64).
/// The absolute values make ∂Q_tot/∂qᵢ ≥ 0 for every state (ELU is increasing), which is the IGM
/// property: the greedy joint action is the tuple of per-agent greedy actions.
/// Every weight is drawn from the generator passed in (<see cref="Mlp.Layer"/>).
/// </summary>
public sealed class MonotoneMixer : nn.Module<Tensor, Tensor, Tensor>
{
    readonly Linear w1a, w1b, b1, w2a, w2b, b2a, b2b;
    readonly int agents, embed;

    public MonotoneMixer(string name, int agents, long stateSize, int embed, int hypernet, Generator init) : base(name)
    {
        this.agents = agents;
        this.embed = embed;
        w1a = Mlp.Layer(stateSize, hypernet, init);
        w1b = Mlp.Layer(hypernet, (long)agents * embed, init);
        b1 = Mlp.Layer(stateSize, embed, init);
        w2a = Mlp.Layer(stateSize, hypernet, init);
        w2b = Mlp.Layer(hypernet, embed, init);
        b2a = Mlp.Layer(stateSize, embed, init);
        b2b = Mlp.Layer(embed, 1, init);
        RegisterComponents();
    }

    /// <summary>The hypernetworks' layers (w1a, w1b, b1, w2a, w2b, b2a, b2b): an ensemble copies its members' weights.</summary>
    internal Linear[] Layers => new[] { w1a, w1b, b1, w2a, w2b, b2a, b2b };
    internal (int Agents, int Embed) Sizes => (agents, embed);

    /// <summary>Q_tot for one vector of per-agent values per state: <paramref name="qs"/> K × N,
    /// <paramref name="states"/> K × S → K.</summary>
    public override Tensor forward(Tensor qs, Tensor states) => Mix(qs.unsqueeze(1), states).squeeze(1);

    /// <summary>Q_tot for M vectors of per-agent values per state, sharing the state's hypernetwork output
    /// (the counterfactual joint actions of CFCQL): <paramref name="qs"/> K × M × N, <paramref name="states"/>
    /// K × S → K × M.</summary>
    public Tensor Mix(Tensor qs, Tensor states)
    {
        long k = states.shape[0];
        var w1 = w1b.forward(nn.functional.relu(w1a.forward(states))).abs().view(k, agents, embed);   // K × N × E
        var bias1 = b1.forward(states).unsqueeze(1);                                                    // K × 1 × E
        var w2 = w2b.forward(nn.functional.relu(w2a.forward(states))).abs().view(k, embed, 1);         // K × E × 1
        var bias2 = b2b.forward(nn.functional.relu(b2a.forward(states)));                             // K × 1
        var hidden = nn.functional.elu(qs.matmul(w1) + bias1, 1.0);                                          // K × M × E
        return hidden.matmul(w2).squeeze(-1) + bias2;                                                   // K × M
    }
}
