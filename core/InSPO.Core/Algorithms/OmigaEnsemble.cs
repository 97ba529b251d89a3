using InSPO.Actors;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// OMIGA (<see cref="Omiga"/>: the losses and every choice are in its header) for S seeds at once: a role's network
/// (π, Q, Q̄, V, V̄) of the S members is one <see cref="EnsembleMlp"/> per agent where the networks are per agent (games
/// and Bridge), or one for all agents where they are shared (SMAC-lite: one MLP on [oⁱ, id], the id appended by the
/// single network's own code); the mixers are <see cref="EnsembleOmigaMixer"/>s. Each member draws its own batch,
/// each loss is a mean over the member's own batch and the sum over members is minimised, so Adam (elementwise) moves
/// each member as its own would. Per member: the gradient clip (<see cref="EnsembleLinear.ClipGradNorm(IEnumerable{Tensor}, int, double)"/>) and the
/// V loss's stabiliser m (the maximum of zᵢ over its own batch). Targets are averaged for every member at once, as
/// every member averages at every step.
/// </summary>
public sealed class OmigaEnsemble : EnsembleLearner
{
    readonly OmigaOptions o;
    readonly int N, A;
    readonly bool shared;
    // The members' policy layout: it appends the agent id to a shared network's input.
    readonly AgentNetworkLayout layout;
    readonly EnsembleMlp[] pi, q, qTarget, v, vTarget;
    readonly EnsembleOmigaMixer mixer, mixerTarget;
    readonly optim.Optimizer piOpt, qOpt, vOpt;

    /// <summary>Feed-forward networks on the observation: per agent without id (games and Bridge) or shared with
    /// the id (SMAC-lite).</summary>
    public static bool Supports(OmigaOptions options) =>
        options.Network is not { } n || (!n.Recurrent && !n.LastAction && (n.Shared || !n.AgentId));

    public OmigaEnsemble(EnvSpec spec, OmigaOptions options, Device device, IReadOnlyList<Generator> inits) : base("omiga", options, inits.Count)
    {
        if (!Supports(options)) throw new ArgumentException("the OMIGA ensemble takes feed-forward networks on the observation only");
        o = options;
        N = spec.Agents;
        A = spec.Actions;
        // Each member's single learner, built from its own generator, draws the weights its single run starts from.
        var singles = inits.Select(g => new Omiga(spec, options, CPU, g)).ToArray();
        layout = singles[0].Networks.Pi.Layout;
        shared = layout.Options.Shared;
        EnsembleMlp[] Role(string name, Func<Omiga, AgentNetwork> net) => shared
            ? new[] { new EnsembleMlp(name, singles.Select(s => (Mlp)net(s).Member(0)).ToArray(), device) }
            : Ensembles.PerAgent(name, singles, net, N, device);
        pi = Role("pi", s => s.Networks.Pi);
        q = Role("q", s => s.Networks.Q);
        qTarget = Role("q_target", s => s.Networks.QTarget);
        v = Role("v", s => s.Networks.V);
        vTarget = Role("v_target", s => s.Networks.VTarget);
        mixer = new EnsembleOmigaMixer("mixer", singles.Select(s => s.Networks.Mixer).ToArray(), device);
        mixerTarget = new EnsembleOmigaMixer("mixer_target", singles.Select(s => s.Networks.MixerTarget).ToArray(), device);
        foreach (var s in singles) s.Dispose();
        foreach (var p in qTarget.Concat(vTarget).SelectMany(t => t.parameters()).Concat(mixerTarget.parameters())) p.requires_grad = false;
        piOpt = optim.Adam(PiParameters(), o.LearningRate);
        qOpt = optim.Adam(QParameters(), o.LearningRate);
        vOpt = optim.Adam(VParameters(), o.LearningRate);

        // named as the single learner names its members: per agent "pi0", "pi1", …, shared "pi"
        var modules = new List<(string, nn.Module)>();
        for (int i = 0; i < pi.Length; i++)
        {
            string suffix = shared ? "" : i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            modules.AddRange(new (string, nn.Module)[]
                { ($"pi{suffix}", pi[i]), ($"q{suffix}", q[i]), ($"q_target{suffix}", qTarget[i]), ($"v{suffix}", v[i]), ($"v_target{suffix}", vTarget[i]) });
        }
        modules.Add(("mixer", mixer));
        modules.Add(("mixer_target", mixerTarget));
        Modules = modules;
        Optimizers = new (string, optim.Optimizer)[] { ("pi", piOpt), ("q", qOpt), ("v", vOpt) };
    }

    IEnumerable<TorchSharp.Modules.Parameter> PiParameters() => pi.SelectMany(n => n.parameters());
    IEnumerable<TorchSharp.Modules.Parameter> QParameters() => q.SelectMany(n => n.parameters()).Concat(mixer.parameters());
    IEnumerable<TorchSharp.Modules.Parameter> VParameters() => v.SelectMany(n => n.parameters());

    public override IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> Step(long step, long totalSteps, IReadOnlyList<DeviceEpisodeBuffer> data,
                                                                           IReadOnlyList<Generator> generators)
    {
        var b = Ensembles.DrawTransitions(data, generators, o.BatchSize);
        Tensor wBar, qBar, y, weight;
        using (no_grad())
        {
            (wBar, _) = mixerTarget.forward(b.States);                                             // w̄(s), S × K × N
            qBar = MaskedCategorical.Pick(AgentValues(qTarget, b.Observations), b.Actions);         // Q̄ⁱ(oⁱ, aⁱ_D)
            var vNext = mixerTarget.Mix(StateValues(vTarget, b.NextObservations), b.NextStates);    // V̄_tot(s'), S × K
            y = b.Rewards + o.Gamma * (1 - b.Done) * vNext;
            weight = Omiga.Residual(wBar, qBar, StateValues(v, b.Observations), o.Alpha).exp();    // exp(zᵢ)
        }

        // policy: −E Σᵢ exp(zᵢ) log πⁱ(aⁱ_D|oⁱ), per member
        var logPi = stack(Enumerable.Range(0, N).Select(i => MaskedCategorical.Pick(
            MaskedCategorical.LogProbs(Forward(pi, i, b.Observations.select(2, i)), b.Available.select(2, i)), b.Actions.select(2, i))).ToArray(), 2);
        var piLoss = -(weight * logPi).sum(2).mean(new long[] { 1 });
        Update(piOpt, piLoss, PiParameters());

        // Q and mixer: (Q_tot(s, a_D) − y)²
        var qTot = mixer.Mix(MaskedCategorical.Pick(AgentValues(q, b.Observations), b.Actions), b.States);
        var qLoss = (qTot - y).pow(2).mean(new long[] { 1 });
        Update(qOpt, qLoss, QParameters());

        // V: exp(zᵢ − m) + exp(−m) w̄ᵢ Vⁱ / α, m the member's own maximum of z
        var values = StateValues(v, b.Observations);
        var z = Omiga.Residual(wBar, qBar, values, o.Alpha);
        var m = z.amax(new long[] { 1, 2 }).clamp_min(-1.0).detach().view(Members, 1, 1);
        var vLoss = ((z - m).exp() + (-m).exp() * wBar * values / o.Alpha).sum(2).mean(new long[] { 1 });
        Update(vOpt, vLoss, VParameters());

        for (int i = 0; i < q.Length; i++)
        {
            TargetNetwork.Polyak(qTarget[i], q[i], o.Tau);
            TargetNetwork.Polyak(vTarget[i], v[i], o.Tau);
        }
        TargetNetwork.Polyak(mixerTarget, mixer, o.Tau);
        return Ensembles.PerMember(Members, ("loss/policy", piLoss), ("loss/q", qLoss), ("loss/v", vLoss),
            ("train/weight_max", weight.amax(new long[] { 1, 2 })), ("train/q_tot", qTot.mean(new long[] { 1 })));
    }

    void Update(optim.Optimizer optimizer, Tensor perMemberLoss, IEnumerable<TorchSharp.Modules.Parameter> parameters)
    {
        optimizer.zero_grad();
        perMemberLoss.sum().backward();
        EnsembleLinear.ClipGradNorm(parameters, Members, o.GradClip);
        optimizer.step();
    }

    /// <summary>Agent i's network of a role, every member: S × K × obs → S × K × out (the shared one on [oⁱ, id]).</summary>
    Tensor Forward(EnsembleMlp[] nets, int i, Tensor observations) =>
        shared ? nets[0].forward(layout.Input(i, observations, null)) : nets[i].forward(observations);

    /// <summary>Qⁱ(oⁱ, ·) of every agent and member: S × K × N × A.</summary>
    Tensor AgentValues(EnsembleMlp[] nets, Tensor observations) =>
        stack(Enumerable.Range(0, N).Select(i => Forward(nets, i, observations.select(2, i))).ToArray(), 2);

    /// <summary>Vⁱ(oⁱ): S × K × N.</summary>
    Tensor StateValues(EnsembleMlp[] nets, Tensor observations) =>
        cat(Enumerable.Range(0, N).Select(i => Forward(nets, i, observations.select(2, i))).ToArray(), 2);

    /// <summary>Member k's stochastic per-agent policy πⁱ(·|oⁱ).</summary>
    public override IDecentralisedPolicy Member(int k) => Ensembles.MemberPolicy((observations, available) =>
        stack(Enumerable.Range(0, N).Select(i => MaskedCategorical.LogProbs(
            shared ? pi[0].ForwardMember(k, layout.Input(i, observations.select(1, i), null)) : pi[i].ForwardMember(k, observations.select(1, i)),
            available.select(1, i)).exp()).ToArray(), 1));

}
