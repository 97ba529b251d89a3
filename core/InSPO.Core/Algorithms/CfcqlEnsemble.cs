using InSPO.Actors;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// CFCQL (<see cref="Cfcql"/>: the objective and every choice are in its header) for S seeds at once: each agent's
/// Q, target Q and β networks are <see cref="EnsembleMlp"/>s, the mixers <see cref="EnsembleMonotoneMixer"/>s, each
/// member draws its own batch, and the members' losses (each a mean over its own batch) are summed before one
/// backward. Gradient clipping is per member (its own norm over its Q networks and mixer); targets are copied for
/// every member at once, as every member copies at the same step.
/// </summary>
public sealed class CfcqlEnsemble : EnsembleLearner
{
    readonly CfcqlOptions o;
    readonly int N, A;
    readonly EnsembleMlp[] q, qTarget, beta;
    readonly EnsembleMonotoneMixer mixer, mixerTarget;
    readonly optim.Optimizer qOpt, betaOpt;

    public CfcqlEnsemble(EnvSpec spec, CfcqlOptions options, Device device, IReadOnlyList<Generator> inits) : base("cfcql", options, inits.Count)
    {
        o = options;
        N = spec.Agents;
        A = spec.Actions;
        // Each member's single learner, built from its own generator, draws the weights its single run starts from.
        var singles = inits.Select(g => new Cfcql(spec, options, CPU, g)).ToArray();
        EnsembleMlp[] PerAgent(string name, Func<Cfcql, AgentNetwork> net) => Ensembles.PerAgent(name, singles, net, N, device);
        q = PerAgent("q", s => s.Networks.Q);
        qTarget = PerAgent("q_target", s => s.Networks.QTarget);
        beta = PerAgent("beta", s => s.Networks.Beta);
        mixer = new EnsembleMonotoneMixer("mixer", singles.Select(s => s.Networks.Mixer).ToArray(), device);
        mixerTarget = new EnsembleMonotoneMixer("mixer_target", singles.Select(s => s.Networks.MixerTarget).ToArray(), device);
        foreach (var s in singles) s.Dispose();
        foreach (var p in qTarget.SelectMany(t => t.parameters()).Concat(mixerTarget.parameters())) p.requires_grad = false;
        qOpt = optim.Adam(QParameters(), o.LearningRate);
        betaOpt = optim.Adam(beta.SelectMany(b => b.parameters()), o.LearningRate);

        var modules = new List<(string, nn.Module)>();
        for (int i = 0; i < N; i++)
            modules.AddRange(new (string, nn.Module)[] { ($"q{i}", q[i]), ($"q_target{i}", qTarget[i]), ($"beta{i}", beta[i]) });
        modules.Add(("mixer", mixer));
        modules.Add(("mixer_target", mixerTarget));
        Modules = modules;
        Optimizers = new (string, optim.Optimizer)[] { ("q", qOpt), ("beta", betaOpt) };
    }


    IEnumerable<TorchSharp.Modules.Parameter> QParameters() => q.SelectMany(n => n.parameters()).Concat(mixer.parameters());

    public override IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> Step(long step, long totalSteps, IReadOnlyList<DeviceEpisodeBuffer> data,
                                                                           IReadOnlyList<Generator> generators)
    {
        var b = Ensembles.DrawTransitions(data, generators, o.BatchSize);
        return step < o.BehaviourSteps ? BehaviourStep(b) : QStep(step - o.BehaviourSteps, b);
    }

    /// <summary>β per member: −E_{D_k} Σᵢ log βⁱ(aⁱ|oⁱ).</summary>
    IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> BehaviourStep(TransitionBatch b)
    {
        var loss = -Enumerable.Range(0, N)
            .Select(i => MaskedCategorical.Pick(LogBeta(i, b.Observations, b.Available), b.Actions.select(2, i)).mean(new long[] { 1 }))
            .Aggregate((x, y) => x + y);                                                        // S
        betaOpt.zero_grad();
        loss.sum().backward();
        betaOpt.step();
        return Ensembles.PerMember(Members, ("loss/beta", loss));
    }

    /// <summary>The TD error (double-Q target) + counterfactual CQL of <see cref="Cfcql"/>, per member.</summary>
    IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> QStep(long t, TransitionBatch b)
    {
        Tensor y;
        using (no_grad())
        {
            var nextOnline = AgentValues(q, b.NextObservations).masked_fill(b.NextAvailable.logical_not(), MaskedCategorical.MaskedLogit);
            var best = nextOnline.argmax(-1);                                                    // S × K × N
            var nextTarget = MaskedCategorical.Pick(AgentValues(qTarget, b.NextObservations), best);
            y = b.Rewards + o.Gamma * (1 - b.Done) * mixerTarget.forward(nextTarget, b.NextStates);
        }
        var qAll = AgentValues(q, b.Observations);                                               // S × K × N × A
        var qTaken = MaskedCategorical.Pick(qAll, b.Actions);                                    // S × K × N
        var qTot = mixer.forward(qTaken, b.States);                                              // S × K
        var td = 0.5 * (qTot - y).pow(2).mean(new long[] { 1 });                                 // S

        var cf = Cfcql.Counterfactual(mixer, qAll, qTaken, b.States, b.Available);                            // S × K × N × A
        var negative = cf.logsumexp(-1);                                                          // S × K × N
        Tensor lambda;
        using (no_grad())
        {
            var logBeta = stack(Enumerable.Range(0, N).Select(i => LogBeta(i, b.Observations, b.Available)).ToArray(), 2);
            lambda = Cfcql.AgentWeights(cf, logBeta, b.Available, o.SoftmaxTemperature);
        }
        var cql = ((lambda * negative).sum(-1) - qTot).mean(new long[] { 1 });                  // S
        var loss = td + o.CqlAlpha * cql;
        qOpt.zero_grad();
        loss.sum().backward();
        EnsembleLinear.ClipGradNorm(QParameters(), Members, o.GradClip);
        qOpt.step();
        if ((t + 1) % o.TargetUpdate == 0) SyncTargets();
        return Ensembles.PerMember(Members, ("loss/td", td), ("loss/cql", cql), ("train/q_tot", qTot.mean(new long[] { 1 })),
            ("train/lambda_max", lambda.max(-1).values.mean(new long[] { 1 })));
    }

    void SyncTargets()
    {
        for (int i = 0; i < N; i++) TargetNetwork.Copy(qTarget[i], q[i]);
        TargetNetwork.Copy(mixerTarget, mixer);
    }

    /// <summary>Qⁱ(oⁱ, ·) of every agent and member: S × K × N × A.</summary>
    Tensor AgentValues(EnsembleMlp[] nets, Tensor observations) =>
        stack(Enumerable.Range(0, N).Select(i => nets[i].forward(observations.select(2, i))).ToArray(), 2);

    Tensor LogBeta(int i, Tensor obs, Tensor avail) => MaskedCategorical.LogProbs(beta[i].forward(obs.select(2, i)), avail.select(2, i));

    /// <summary>Member k's greedy per-agent execution: one-hot argmax over available actions of Qⁱ(oⁱ, ·).</summary>
    public override IDecentralisedPolicy Member(int k) => Ensembles.MemberPolicy((observations, available) =>
    {
        var values = stack(Enumerable.Range(0, N).Select(i => q[i].ForwardMember(k, observations.select(1, i))).ToArray(), 1)
            .masked_fill(available.logical_not(), MaskedCategorical.MaskedLogit);
        return nn.functional.one_hot(values.argmax(-1), A).to_type(float32);
    });

}
