using InSPO.Actors;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// AlberDICE (<see cref="AlberDice"/>: the objective, the data as the code loads it and every choice are in its
/// header) for S seeds at once. Agent i's π, π^D, ν, e of the S members are one <see cref="EnsembleMlp"/> each and
/// μ^{-i} one <see cref="EnsembleAutoregressiveBehaviour"/>; agents are updated in the single run's fixed order, so a
/// slot updates the same agent of every member. Member s makes its single run's random draws from its own generator
/// in the same order (batch; per agent the sampled teammate actions, the resampled rows, the gradient penalty's
/// permutation and mixing weights); each loss is a mean over the member's own rows and the sum over members is
/// minimised, so Adam moves each member as its own would. ρ̄ and the ν dual's normaliser are per member. A member
/// whose loss is not finite ends the step at once and returns its losses so far (the group runner then stops the
/// group naming its seed).
/// </summary>
public sealed class AlberDiceEnsemble : EnsembleLearner
{
    readonly AlberDiceOptions o;
    readonly int N, A;
    readonly EnsembleMlp[] pi, piData, nu, e;
    readonly EnsembleAutoregressiveBehaviour[] muMinus;
    readonly optim.Optimizer[] piOpt, dataOpt, nuOpt, eOpt;
    readonly DeviceEpisodeBuffer?[] sources, loaded;

    public AlberDiceEnsemble(EnvSpec spec, AlberDiceOptions options, Device device, IReadOnlyList<Generator> inits) : base("alberdice", options, inits.Count)
    {
        o = options;
        N = spec.Agents;
        A = spec.Actions;
        // Each member's single learner, built from its own generator, draws the weights its single run starts from.
        var singles = inits.Select(g => new AlberDice(spec, options, CPU, g)).ToArray();
        EnsembleMlp[] PerAgent(string name, Func<AlberDice, AgentNetwork> net) => Ensembles.PerAgent(name, singles, net, N, device);
        pi = PerAgent("pi", s => s.Networks.Pi);
        piData = PerAgent("pi_data", s => s.Networks.PiData);
        nu = PerAgent("nu", s => s.Networks.Nu);
        e = PerAgent("e", s => s.Networks.E);
        muMinus = Ensembles.TeammateModels(singles, s => s.Networks.MuMinus, N, A, device);
        foreach (var s in singles) s.Dispose();
        piOpt = pi.Select(n => (optim.Optimizer)optim.Adam(n.parameters(), o.LearningRate)).ToArray();
        dataOpt = Enumerable.Range(0, N).Select(i => (optim.Optimizer)optim.Adam(piData[i].parameters().Concat(muMinus[i].parameters()), o.LearningRate)).ToArray();
        nuOpt = nu.Select(n => (optim.Optimizer)optim.Adam(n.parameters(), o.NuLearningRate)).ToArray();
        eOpt = e.Select(n => (optim.Optimizer)optim.Adam(n.parameters(), o.NuLearningRate)).ToArray();
        Modules = Enumerable.Range(0, N).SelectMany(i => new (string, nn.Module)[]
            { ($"pi{i}", pi[i]), ($"pi_data{i}", piData[i]), ($"mu_minus{i}", muMinus[i]), ($"nu{i}", nu[i]), ($"e{i}", e[i]) }).ToArray();
        Optimizers = Enumerable.Range(0, N).SelectMany(i => new[] { ($"pi{i}", piOpt[i]), ($"pi_data{i}", dataOpt[i]), ($"nu{i}", nuOpt[i]), ($"e{i}", eOpt[i]) }).ToArray();
        sources = new DeviceEpisodeBuffer?[Members];
        loaded = new DeviceEpisodeBuffer?[Members];
    }

    public override IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> Step(long step, long totalSteps, IReadOnlyList<DeviceEpisodeBuffer> data,
                                                                                    IReadOnlyList<Generator> generators)
    {
        var members = Enumerable.Range(0, Members).Select(k => Loaded(k, data[k])).ToArray();
        var b = Ensembles.DrawTransitions(members, generators, o.BatchSize);
        if (step < o.BehaviourSteps) return Ensembles.PerMember(Members, FitBehaviour(b));
        var t = step - o.BehaviourSteps;
        return DiceStep(o.AlphaAt(t, Math.Max(1, totalSteps - o.BehaviourSteps)), b, generators);
    }

    /// <summary>Member k's data as the code loads it (<see cref="AlberDice"/>: the absorbing-state form), built once per source.</summary>
    DeviceEpisodeBuffer Loaded(int k, DeviceEpisodeBuffer data)
    {
        if (!o.Absorbing) return data;
        if (!ReferenceEquals(data, sources[k]))
        {
            loaded[k]?.Dispose();
            loaded[k] = new DeviceEpisodeBuffer(AbsorbingStates.Apply(data.ToDataset(), o.Window, AlberDice.AbsorbingSeed), data.Device);
            sources[k] = data;
        }
        return loaded[k]!;
    }

    /// <summary>Steps 1–2 for every agent and member: (name, S losses).</summary>
    (string, Tensor)[] FitBehaviour(TransitionBatch b)
    {
        var values = new List<(string, Tensor)>();
        for (int i = 0; i < N; i++)
        {
            var bc = -MaskedCategorical.Pick(LogProbs(piData[i], b.Observations.select(2, i), b.Available.select(2, i)), b.Actions.select(2, i)).mean(new long[] { 1 });
            var team = N > 1 ? muMinus[i].Loss(b.States, b.Actions, b.Available) : zeros_like(bc);
            dataOpt[i].zero_grad();
            (bc + team).sum().backward();
            dataOpt[i].step();
            values.Add(($"loss/pi_data{i}", bc.detach()));
            values.Add(($"loss/mu_minus{i}", team.detach()));
        }
        return values.ToArray();
    }

    IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> DiceStep(double alpha, TransitionBatch b, IReadOnlyList<Generator> generators)
    {
        var values = new List<(string, Tensor)>();
        if (o.BehaviourThroughout) values.AddRange(FitBehaviour(b));
        var rhoMean = new double[Members];
        for (int i = 0; i < N; i++)
        {
            // "KL_{-i}" and "ratio", both with the teammates' current policies (detached)
            Tensor kl, rho;
            using (no_grad())
            {
                kl = N > 1 ? TeammateKl(i, b, generators) : zeros_like(b.Rewards);
                if (N > 1)
                {
                    var logPiMinus = Enumerable.Range(0, N).Where(j => j != i)
                        .Select(j => MaskedCategorical.Pick(LogProbs(pi[j], b.Observations.select(2, j), b.Available.select(2, j)), b.Actions.select(2, j)))
                        .Aggregate((x, y) => x + y);
                    rho = AlberDice.Ratio(logPiMinus, muMinus[i].TeammateLogProbs(b.States, b.Actions, b.Available).sum(-1), o.RhoMax);
                }
                else rho = ones_like(b.Rewards);
            }
            var rhoBar = rho.mean(new long[] { 1 }).cpu().data<float>().ToArray();
            for (int s = 0; s < Members; s++) rhoMean[s] += rhoBar[s] / N;
            var idx = stack(Enumerable.Range(0, Members).Select(s => DeviceEpisodeBuffer.ResampleIndices(rho[s], o.BatchSize, generators[s])).ToArray());

            // "residual": ê = r − α KL_{-i} + γ(1 − done) ν(s') − ν(s)
            var nuS = nu[i].forward(b.States).squeeze(-1);
            var nuNext = nu[i].forward(b.NextStates).squeeze(-1);
            var residual = b.Rewards - alpha * kl + o.Gamma * (1 - b.Done) * nuNext - nuS;
            var residualK = residual.gather(1, idx);

            // "ν dual", ρ̄ per member as the single run takes it (its float mean, logged in double)
            var gp = GradientPenalty(i, b.States, generators);
            var logRhoBar = tensor(rhoBar.Select(r => (float)Math.Log(r)).ToArray(), device: residual.device).unsqueeze(1);
            var nuLoss = AlberDice.NuDual(residualK, logRhoBar, nuS, alpha, o.Gamma) + o.GradPenalty * gp;
            Minimise(nuOpt[i], nuLoss);

            // "e-network"
            var r = b.SelectPerMember(idx);
            var target = residualK.detach();
            var available = r.Available.select(2, i);
            var eAll = e[i].forward(r.States);
            var fit = (MaskedCategorical.Pick(eAll, r.Actions.select(2, i)) - target).pow(2).mean(new long[] { 1 });
            Tensor dataProbs;
            using (no_grad()) dataProbs = LogProbs(piData[i], r.Observations.select(2, i), available).exp();
            var cql = (eAll.masked_fill(available.logical_not(), MaskedCategorical.MaskedLogit).logsumexp(-1) - (dataProbs * eAll).sum(-1)).mean(new long[] { 1 });
            Minimise(eOpt[i], fit + o.CqlWeight * cql);

            // "I-projection": −E[Σ_a π(a|o) e(s,a)] + α KL(π ‖ π^D)
            Tensor eBar;
            using (no_grad()) eBar = e[i].forward(r.States).masked_fill(available.logical_not(), 0);
            var logPi = LogProbs(pi[i], r.Observations.select(2, i), available);
            var probs = logPi.exp();
            var logData = dataProbs.clamp_min(1e-30).log().masked_fill(available.logical_not(), 0);
            var klData = (probs * (logPi - logData)).sum(-1);
            var piLoss = (-(probs * eBar).sum(-1) + alpha * klData).mean(new long[] { 1 });
            Minimise(piOpt[i], piLoss);

            var agentLosses = new[] { ($"loss/nu{i}", nuLoss.detach()), ($"loss/gp{i}", gp.detach()), ($"loss/e{i}", fit.detach()),
                ($"loss/e_cql{i}", cql.detach()), ($"loss/policy{i}", piLoss.detach()) };
            values.AddRange(agentLosses);
            // one read of this agent's losses; a non-finite one ends the step (the group runner names the seed)
            if (!stack(agentLosses.Select(v => v.Item2).ToArray()).isfinite().all().item<bool>()) return Ensembles.PerMember(Members, values.ToArray());
        }
        var rhoValues = tensor(rhoMean.Select(x => (float)x).ToArray());
        values.Add(("train/rho_mean", rhoValues));
        values.Add(("train/alpha", full(Members, alpha)));
        return Ensembles.PerMember(Members, values.ToArray());
    }

    static void Minimise(optim.Optimizer optimizer, Tensor perMemberLoss)
    {
        optimizer.zero_grad();
        perMemberLoss.sum().backward();
        optimizer.step();
    }

    /// <summary>"KL_{-i}" per member: S × K, each member's teammate joint actions drawn from its own generator.</summary>
    Tensor TeammateKl(int i, TransitionBatch b, IReadOnlyList<Generator> generators)
    {
        long m = o.KlSamples, k = b.Rewards.shape[1];
        var states = b.States.repeat(1, m, 1);
        var available = b.Available.repeat(1, m, 1, 1);
        var dataActions = b.Actions.repeat(1, m, 1);
        var columns = new Tensor[N];
        var logPi = zeros(Members, k * m, device: b.Rewards.device);
        for (int j = 0; j < N; j++)
        {
            if (j == i) { columns[j] = dataActions.select(2, i); continue; }
            var logp = LogProbs(pi[j], b.Observations.select(2, j), b.Available.select(2, j)).repeat(1, m, 1);   // S × mK × A
            var probs = logp.exp();
            var sampled = stack(Enumerable.Range(0, Members).Select(s =>
                multinomial(probs[s], 1, replacement: true, generator: generators[s]).squeeze(1)).ToArray());
            columns[j] = sampled;
            logPi = logPi + MaskedCategorical.Pick(logp, sampled);
        }
        var logBeta = muMinus[i].TeammateLogProbs(states, stack(columns, -1), available).sum(-1);
        return (logPi - logBeta).view(Members, m, k).mean(new long[] { 1 });
    }

    /// <summary>E‖∇_s νⁱ(s̃)‖² per member, each member's permutation and mixing weights from its own generator.</summary>
    Tensor GradientPenalty(int i, Tensor states, IReadOnlyList<Generator> generators)
    {
        long half = states.shape[1] / 2;
        if (half == 0) return zeros(Members, device: states.device);
        var first = states.narrow(1, 0, half);
        var draws = Enumerable.Range(0, Members).Select(s =>
        {
            var permutation = randperm(half, dtype: int64, device: states.device, generator: generators[s]);
            var eps = rand(new[] { half, 1L }, dtype: states.dtype, device: states.device, generator: generators[s]);
            return (permutation, eps);
        }).ToArray();
        var second = states.narrow(1, half, half).gather(1, stack(draws.Select(d => d.permutation).ToArray()).unsqueeze(2).expand(first.shape));
        var eps = stack(draws.Select(d => d.eps).ToArray());
        var mixed = (eps * first + (1 - eps) * second).detach().requires_grad_(true);
        var output = nu[i].forward(mixed).sum();
        var grad = autograd.grad(new List<Tensor> { output }, new List<Tensor> { mixed }, retain_graph: true, create_graph: true)[0];
        return grad.pow(2).sum(-1).mean(new long[] { 1 });
    }

    static Tensor LogProbs(EnsembleMlp net, Tensor observations, Tensor available) =>
        MaskedCategorical.LogProbs(net.forward(observations), available);

    /// <summary>Member k's stochastic per-agent policy πⁱ(·|oⁱ) (the absorbing flag 0 appended, as the single run does).</summary>
    public override IDecentralisedPolicy Member(int k) => Ensembles.MemberPolicy((observations, available) =>
    {
        if (o.Absorbing) observations = AbsorbingStates.AppendFlag(observations);
        return stack(Enumerable.Range(0, N).Select(i => MaskedCategorical.LogProbs(pi[i].ForwardMember(k, observations.select(1, i)),
            available.select(1, i)).exp()).ToArray(), 1);
    });

    public override void Dispose()
    {
        base.Dispose();
        foreach (var d in loaded) d?.Dispose();
    }
}
