using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>S copies of one <see cref="MonotoneMixer"/> (seed ensembles): each hypernetwork layer an
/// <see cref="EnsembleLinear"/> copied from S ordinary mixers, the same mixing per member.</summary>
public sealed class EnsembleMonotoneMixer : nn.Module<Tensor, Tensor, Tensor>
{
    readonly EnsembleLinear w1a, w1b, b1, w2a, w2b, b2a, b2b;
    readonly int agents, embed;

    public EnsembleMonotoneMixer(string name, IReadOnlyList<MonotoneMixer> members, Device device) : base(name)
    {
        (agents, embed) = members[0].Sizes;
        EnsembleLinear Layer(int l, string layer) => new(layer, members.Select(m => m.Layers[l]).ToArray(), device);
        (w1a, w1b, b1, w2a, w2b, b2a, b2b) = (Layer(0, "w1a"), Layer(1, "w1b"), Layer(2, "b1"), Layer(3, "w2a"), Layer(4, "w2b"), Layer(5, "b2a"), Layer(6, "b2b"));
        RegisterComponents();
    }

    /// <summary>Q_tot per member: <paramref name="qs"/> S × K × N, <paramref name="states"/> S × K × state → S × K.</summary>
    public override Tensor forward(Tensor qs, Tensor states) => Mix(qs.unsqueeze(2), states).squeeze(2);

    /// <summary>Q_tot of M vectors of per-agent values per state (<see cref="MonotoneMixer.Mix"/>), per member:
    /// <paramref name="qs"/> S × K × M × N, <paramref name="states"/> S × K × state → S × K × M.</summary>
    public Tensor Mix(Tensor qs, Tensor states)
    {
        long s = states.shape[0], k = states.shape[1];
        var w1 = w1b.forward(nn.functional.relu(w1a.forward(states))).abs().view(s, k, agents, embed);   // S × K × N × E
        var bias1 = b1.forward(states).unsqueeze(2);                                                      // S × K × 1 × E
        var w2 = w2b.forward(nn.functional.relu(w2a.forward(states))).abs().view(s, k, embed, 1);         // S × K × E × 1
        var bias2 = b2b.forward(nn.functional.relu(b2a.forward(states)));                                 // S × K × 1
        var hidden = nn.functional.elu(qs.matmul(w1) + bias1, 1.0);                                       // S × K × M × E
        return hidden.matmul(w2).squeeze(-1) + bias2;                                                     // S × K × M
    }
}
