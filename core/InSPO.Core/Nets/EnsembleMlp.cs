using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>S copies of one <see cref="Mlp"/> shape (seed ensembles): its three layers as
/// <see cref="EnsembleLinear"/>s, copied from S ordinary MLPs (member k = the single run of seed k's network).</summary>
public sealed class EnsembleMlp : nn.Module<Tensor, Tensor>
{
    readonly EnsembleLinear fc1, fc2, fc3;

    public EnsembleMlp(string name, IReadOnlyList<Mlp> members, Device device) : base(name)
    {
        EnsembleLinear Layer(int l) => new($"fc{l + 1}", members.Select(m => m.Layers[l]).ToArray(), device);
        fc1 = Layer(0);
        fc2 = Layer(1);
        fc3 = Layer(2);
        RegisterComponents();
        Members = members.Count;
    }

    public int Members { get; }

    /// <summary>Every member on its own inputs: S × … × in → S × … × out.</summary>
    public override Tensor forward(Tensor x) =>
        fc3.forward(nn.functional.relu(fc2.forward(nn.functional.relu(fc1.forward(x)))));

    /// <summary>Chosen members (<see cref="EnsembleLinear.ForwardRows"/>): rows R (int64), x R × … × in → R × … × out.</summary>
    public Tensor ForwardRows(Tensor rows, Tensor x) =>
        fc3.ForwardRows(rows, nn.functional.relu(fc2.ForwardRows(rows, nn.functional.relu(fc1.ForwardRows(rows, x)))));

    /// <summary>Member k alone: … × in → … × out.</summary>
    public Tensor ForwardMember(int k, Tensor x) =>
        fc3.ForwardMember(k, nn.functional.relu(fc2.ForwardMember(k, nn.functional.relu(fc1.ForwardMember(k, x)))));
}
