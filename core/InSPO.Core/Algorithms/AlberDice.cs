// AlberDICE (Matsunaga, Lee, Yoon, Leonardos, Piliouras, Kim: "AlberDICE: Addressing Out-Of-Distribution Joint
// Actions in Offline Multi-Agent RL via Alternating Stationary Distribution Correction Estimation", NeurIPS 2023),
// as its authors' code implements it (notes §2.3), on the engine's transitions.
//
// Equation numbers: the paper's own numbering could not be checked here, so the terms carry names, each
// matching one step of the code's train_step (notes §2.3, steps 1–10).
//
// Alternating best response: every step draws one batch and updates agents i = 0..N−1 in turn, each against its
// teammates' CURRENT policies (so agent i sees the new πʲ, j < i, of this step). For agent i:
// - "KL_{-i}" (step 4): KL_{-i}(s, aⁱ_D) = E_{a^{-i}∼π^{-i}}[Σ_{j≠i} log πʲ(aʲ|oʲ) − log μ^{-i}_j(aʲ|s, aⁱ_D, a^{<j})],
//   16 sampled teammate joint actions per row; μ^{-i} is the autoregressive behaviour model InSPO uses (Eq. 22 there).
// - "residual" (step 5): ê = r − α·KL_{-i} + γ(1 − done)·νⁱ(s') − νⁱ(s) (done ≡ 0 on absorbing-state data).
// - "ratio" (step 6): ρ = min(Π_{j≠i} πʲ(aʲ_D|oʲ) / μ^{-i}_j(aʲ_D|s, aⁱ_D, a^{<j}_D), ρ_max), ρ_max = 100; the agent's
//   rows are redrawn from the batch ∝ ρ (step 7; importance resampling, as InSPO).
// - "ν dual" (step 8, OptiDICE's KL dual reweighted by ρ):
//     L_ν = α·log( mean_D ρ · (1/K) Σ_k exp(ê_k/α) ) + (1 − γ)·E_D[νⁱ(s)] + λ_GP·E‖∇_s νⁱ(s̃)‖²,
//   k over the K resampled rows, E_D over the batch, s̃ = ε s_a + (1 − ε) s_b between the batch's first half and a
//   random permutation of its second half, ε ∼ U(0,1), λ_GP = 0.1.
// - "e-network" (step 9): L_e = E_k[(eⁱ(s,aⁱ_D) − ê)²] + c·E_k[logsumexp_a eⁱ(s,a) − Σ_a π^D_i(a|oⁱ) eⁱ(s,a)], c = 0.1.
// - "I-projection" (step 10): L_π = −E_k[Σ_a πⁱ(a|oⁱ) eⁱ(s,a)] + α·E_k[KL(πⁱ(·|oⁱ) ‖ π^D_i(·|oⁱ))], e detached.
// - α_t = α_start (α_end/α_start)^(t/T), 5 → 0.001 (the code's geometric anneal).
//
// Choices the paper leaves open (and where they come from):
// - Behaviour models π^D_i (BC, step 1) and μ^{-i} (step 2) are fitted first, during the profile's BehaviourSteps
//   (so that α = 5 does not tie the policies to a π^D still being learned), and then, with BehaviourThroughout (default
//   on, as the code), one more BC step on every DICE step's batch, before the agents' updates (the code fits them
//   jointly from its first iteration). Frozen after the warm-up (off) they are underfit on Bridge at the quick
//   budget: after 300 steps π^D_0(·|s_0) = (.02 .07 .18 .51 .23) against the data's (0 0 0 .5 .5), π^D_1 biased the
//   other way, and both agents then settle on "cross" at the start state and block each other (0.186).
// - Data as the code loads it (Absorbing, default on as the code's absorbing_state: True; Window): the first
//   episode_limit + 1 slots of each episode (21 on Bridge), terminals turned into a learned absorbing state (zero
//   observation and state plus a flag feature, reward 0, a self-loop; ν(absorbing) learned, no terminal mask), see
//   AbsorbingStates. The derived buffer is built from the trainer's on the first step (deterministically, so a
//   resumed run rebuilds the same one); Act() appends the flag 0 to real observations. Why it matters: the ν dual
//   normalises the corrected distribution to sum to 1 (the log-mean-exp), which a leaky episodic occupancy with
//   ν(s') masked at Done cannot satisfy; the dual then drives the weights of terminal rows towards 0, i.e. it
//   penalises ending the episode. With Absorbing off, ν(s') is masked at Done.
// - Networks are per agent: π^D_i(·|oⁱ) per agent (the code shares one π^D over agents with an id), νⁱ(s) → 1, and
//   eⁱ(s, ·) with one output per action (the code feeds onehot(aⁱ) and outputs 1; the CQL term needs e at every
//   action either way).
// - The "initial" term (1 − γ)E[ν] averages ν over the batch's states (the code's init_nu: all dataset states).
// - Evaluation: Act() returns the stochastic πⁱ, which the evaluator samples (the code's test_greedy False).
//
// At Bridge's current quick budget (300 + 8000 steps, batch 256; stop 9, seeds 0–4) the same collapse: optimal
// 0.27 ± 0.15, mixed 0.19 ± 0.01, optimal-reference 0.35 ± 0.36 (one seed 1.00), mixed-reference 0.19 ± 0.00.
// Sensitivity to the anneal's end (stop 10, not a default: `--set alpha_end=0.1`, seeds 0–4): optimal 0.81 0.99 0.99
// 1.00 0.19 (0.79 ± 0.34), mixed 0.39 0.48 0.56 0.40 0.45 (0.46 ± 0.07). Ending at α = 0.1 removes most of the
// end-of-anneal collapse on optimal; on mixed the I-projection then stays close to π^D, which at s₀ is mostly the
// uniform half of the data (seed 0: π⁰(·|s₀) = .16 .15 .16 .44 .09). Neither end value gives a near-optimal team at
// this budget; the code anneals over ≈ 147 600 iterations of 128 episodes × 20 steps (notes §2.2): ≈ 18× our rounds
// of ≈ 10× our batch. At 4× our rounds (32 000 × 256, default schedule, seed 0), evaluated at each quarter of the
// DICE phase: optimal 0.36 / 0.81 / 1.00 / 0.19, mixed 0.21 / 0.63 / 0.95 / 0.19 — near-optimal at three quarters
// (α ≈ 0.008), standing still at the end (α = 0.001), as at 4× of the old budget (stop 8, above). With the code's own
// learning rates (lr = nu_lr = 1e-4), same 4× budget and seed, a learning curve (`RunControl.EvaluateEvery` 4000):
// optimal 0.64 0.82 0.94 0.97 1.00 | 0.25 0.25 0.19, mixed 0.03 0.07 0.20 0.39 0.58 0.66 | 0.42 0.21 at steps
// 4000 … 32 000 — the same rise and the same fall once α drops below ≈ 0.01, so our CPU profiles' 1e-3 is not the cause.
// Measured on Bridge (CPU, quick profile: 300 + 4000 steps, batch 64, 64 units, lr 1e-3; final policy, 32 episodes):
// normalised return 0.186 on "optimal" and "mixed", seeds 0–2 (paper: ≈ 1): at the start state the two agents both
// play "cross" (or agent 0 a blocked move) and stand still for 19 steps. Evaluated at 1/4, 2/4, 3/4, 4/4 of the DICE
// phase: optimal 0.46/0.79/0.19/0.19 (seed 0), 0.58/0.66/0.19/0.19 (1), 0.63/0.48/0.19/0.19 (2); mixed
// 0.10/0.30/0.19/0.19 (0), 0.13/0.38/0.19/0.19 (1), 0.06/0.26/0.19/0.19 (2). With 4× the policy steps (16 000, seed 0, optimal):
// 0.86/0.98/1.00/0.19. Why: at the start state eⁱ(s₀,·) is fitted only at the data action consistent with the
// teammate's current policy (the other mode's rows have ρ ≈ 0 and are never redrawn; the CQL term lifts e towards
// π^D's support, i.e. both modes), so e(s₀, cross) ≈ e(s₀, yield) (e.g. −0.27 vs −0.19); once α is near its end
// value 0.001 the I-projection is an argmax of that near-tie and the agents can miscoordinate. Before the changes
// of this branch (no absorbing state, behaviour models frozen after 300 steps, π^D_0(·|s₀) = .51/.23 for the data's
// .5/.5) it was 0.18 as well. Ablations, optimal seed 0, same quarters: absorbing=0 0.24/0.52/0.24/0.18; the code's
// lr = nu_lr = 1e-4 0.31/0.23/0.19/0.19. XOR (a), (b), (c) seed 0 with the defaults: 1.000 each (unchanged).
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// AlberDICE: per agent a policy πⁱ(·|oⁱ), data policy π^D_i(·|oⁱ), teammate model μ^{-i}(·|s, aⁱ), ν network νⁱ(s)
/// and advantage network eⁱ(s, ·); alternating best responses by stationary distribution correction (see the file
/// header for the objective and every choice).
/// </summary>
public sealed class AlberDice : IOfflineLearner, IHasOptions
{
    readonly AlberDiceOptions o;
    readonly int N, A;
    readonly AgentNetwork pi, piData, nu, e;
    readonly AutoregressiveBehaviour[] muMinus;
    readonly optim.Optimizer[] piOpt, dataOpt, nuOpt, eOpt;

    public AlberDice(EnvSpec spec, AlberDiceOptions options, Device device, Generator init)
    {
        o = options;
        N = spec.Agents;
        A = spec.Actions;
        int h = o.Hidden, flag = o.Absorbing ? 1 : 0, obsIn = spec.ObservationSize + flag, stateIn = spec.StateSize + flag;
        pi = AgentNetwork.Create("pi", N, obsIn, A, A, AgentNetworkOptions.PerAgentMlp(h), init, smallOutput: true);
        piData = AgentNetwork.Create("pi_data", N, obsIn, A, A, AgentNetworkOptions.PerAgentMlp(h), init, smallOutput: true);
        muMinus = Enumerable.Range(0, N).Select(i => new AutoregressiveBehaviour($"mu_minus{i}", i, N, A, stateIn, h, init)).ToArray();
        nu = AgentNetwork.Create("nu", N, stateIn, A, 1, AgentNetworkOptions.PerAgentMlp(h), init);
        e = AgentNetwork.Create("e", N, stateIn, A, A, AgentNetworkOptions.PerAgentMlp(h), init);
        foreach (var m in new nn.Module[] { pi, piData, nu, e }.Concat(muMinus)) m.to(device);
        piOpt = Enumerable.Range(0, N).Select(i => (optim.Optimizer)optim.Adam(pi.Member(i).parameters(), o.LearningRate)).ToArray();
        dataOpt = Enumerable.Range(0, N).Select(i =>
            (optim.Optimizer)optim.Adam(piData.Member(i).parameters().Concat(muMinus[i].parameters()), o.LearningRate)).ToArray();
        nuOpt = Enumerable.Range(0, N).Select(i => (optim.Optimizer)optim.Adam(nu.Member(i).parameters(), o.NuLearningRate)).ToArray();
        eOpt = Enumerable.Range(0, N).Select(i => (optim.Optimizer)optim.Adam(e.Member(i).parameters(), o.NuLearningRate)).ToArray();
        var modules = new List<(string, nn.Module)>();
        for (int i = 0; i < N; i++)
            modules.AddRange(new (string, nn.Module)[] { ($"pi{i}", pi.Member(i)), ($"pi_data{i}", piData.Member(i)), ($"mu_minus{i}", muMinus[i]), ($"nu{i}", nu.Member(i)), ($"e{i}", e.Member(i)) });
        Modules = modules;
        Optimizers = Enumerable.Range(0, N).SelectMany(i => new[] { ($"pi{i}", piOpt[i]), ($"pi_data{i}", dataOpt[i]), ($"nu{i}", nuOpt[i]), ($"e{i}", eOpt[i]) }).ToArray();
    }

    /// <summary>The networks, from which a seed ensemble (<see cref="AlberDiceEnsemble"/>) copies its members' initial weights.</summary>
    internal (AgentNetwork Pi, AgentNetwork PiData, AgentNetwork Nu, AgentNetwork E, AutoregressiveBehaviour[] MuMinus) Networks =>
        (pi, piData, nu, e, muMinus);

    public string Name => "alberdice";
    public AlberDiceOptions Options => o;
    object IHasOptions.Options => o;
    public IReadOnlyList<(string Name, nn.Module Module)> Modules { get; }
    public IReadOnlyList<(string Name, optim.Optimizer Optimizer)> Optimizers { get; }

    long currentStep;

    double Checked(string name, double value) => InSPO.Training.TrainingDivergedException.ThrowIfNotFinite(name, currentStep, value);

    public IReadOnlyList<KeyValuePair<string, double>> Step(long step, long totalSteps, DeviceEpisodeBuffer data, Generator generator)
    {
        data = Loaded(data);
        return (currentStep = step) < o.BehaviourSteps
            ? BehaviourStep(data, generator)
            : DiceStep(step - o.BehaviourSteps, Math.Max(1, totalSteps - o.BehaviourSteps), data, generator);
    }

    DeviceEpisodeBuffer? source, loaded;

    /// <summary>The data as the code loads it (see the header): the trainer's buffer, or its absorbing-state form,
    /// built once per source buffer.</summary>
    DeviceEpisodeBuffer Loaded(DeviceEpisodeBuffer data)
    {
        if (!o.Absorbing) return data;
        if (!ReferenceEquals(data, source))
        {
            loaded?.Dispose();
            loaded = new DeviceEpisodeBuffer(AbsorbingStates.Apply(data.ToDataset(), o.Window, AbsorbingSeed), data.Device);
            source = data;
        }
        return loaded!;
    }

    /// <summary>Seed of the absorbing slots' copied actions (fixed: the derived data depend on the dataset only).</summary>
    public const int AbsorbingSeed = 0;

    // ------------------------------------------------------------------ phase 1: π^D_i and μ^{-i} (steps 1–2)

    IReadOnlyList<KeyValuePair<string, double>> BehaviourStep(DeviceEpisodeBuffer data, Generator generator) =>
        FitBehaviour(data.SampleTransitions(o.BatchSize, generator));

    /// <summary>One BC step of π^D_i and μ^{-i} for every agent on <paramref name="b"/> (steps 1–2).</summary>
    List<KeyValuePair<string, double>> FitBehaviour(TransitionBatch b)
    {
        var losses = new List<KeyValuePair<string, double>>();
        for (int i = 0; i < N; i++)
        {
            var bc = -MaskedCategorical.Pick(MaskedCategorical.AgentLogProbs(piData, i, b.Observations, b.Available), b.Actions.select(1, i)).mean();
            var team = N > 1 ? muMinus[i].Loss(b.States, b.Actions, b.Available) : zeros(1).sum();
            dataOpt[i].zero_grad();
            (bc + team).backward();
            dataOpt[i].step();
            losses.Add(new($"loss/pi_data{i}", bc.item<float>()));
            losses.Add(new($"loss/mu_minus{i}", team.item<float>()));
        }
        return losses;
    }

    // ------------------------------------------------------------------ phase 2: alternating best responses

    IReadOnlyList<KeyValuePair<string, double>> DiceStep(long t, long total, DeviceEpisodeBuffer data, Generator generator)
    {
        double alpha = o.AlphaAt(t, total);
        var b = data.SampleTransitions(o.BatchSize, generator);
        var losses = o.BehaviourThroughout ? FitBehaviour(b) : new List<KeyValuePair<string, double>>();
        double rhoMean = 0;
        for (int i = 0; i < N; i++)
        {
            // "KL_{-i}" and "ratio", both with the teammates' current policies (detached)
            Tensor kl, rho;
            using (no_grad())
            {
                kl = N > 1 ? TeammateKl(i, b, generator) : zeros_like(b.Rewards);
                if (N > 1)
                {
                    var logPiMinus = Enumerable.Range(0, N).Where(j => j != i)
                        .Select(j => MaskedCategorical.Pick(MaskedCategorical.AgentLogProbs(pi, j, b.Observations, b.Available), b.Actions.select(1, j)))
                        .Aggregate((x, y) => x + y);
                    rho = Ratio(logPiMinus, muMinus[i].TeammateLogProbs(b.States, b.Actions, b.Available).sum(1), o.RhoMax);
                }
                else rho = ones_like(b.Rewards);
            }
            double rhoBar = rho.mean().item<float>();
            rhoMean += rhoBar / N;
            var idx = DeviceEpisodeBuffer.ResampleIndices(rho, o.BatchSize, generator);

            // "residual": ê = r − α KL_{-i} + γ(1 − done) ν(s') − ν(s)
            var nuS = nu.Forward(i, b.States).squeeze(1);
            var nuNext = nu.Forward(i, b.NextStates).squeeze(1);
            var residual = b.Rewards - alpha * kl + o.Gamma * (1 - b.Done) * nuNext - nuS;
            var residualK = residual.index_select(0, idx);

            // "ν dual"
            var gp = GradientPenalty(i, b.States, generator);
            var nuLoss = NuDual(residualK, rhoBar, nuS, alpha, o.Gamma) + o.GradPenalty * gp;
            nuOpt[i].zero_grad();
            nuLoss.backward();
            nuOpt[i].step();

            // "e-network"
            var r = b.Select(idx);
            var target = residualK.detach();
            var avail = r.Available.select(1, i);
            var eAll = e.Forward(i, r.States);
            var fit = (MaskedCategorical.Pick(eAll, r.Actions.select(1, i)) - target).pow(2).mean();
            Tensor dataProbs;
            using (no_grad()) dataProbs = MaskedCategorical.AgentLogProbs(piData, i, r.Observations, r.Available).exp();
            var cql = (eAll.masked_fill(avail.logical_not(), MaskedCategorical.MaskedLogit).logsumexp(1) - (dataProbs * eAll).sum(1)).mean();
            var eLoss = fit + o.CqlWeight * cql;
            eOpt[i].zero_grad();
            eLoss.backward();
            eOpt[i].step();

            // "I-projection": −E[Σ_a π(a|o) e(s,a)] + α KL(π ‖ π^D)
            Tensor eBar;
            using (no_grad()) eBar = e.Forward(i, r.States).masked_fill(avail.logical_not(), 0);
            var logPi = MaskedCategorical.AgentLogProbs(pi, i, r.Observations, r.Available);
            var probs = logPi.exp();
            var logData = dataProbs.clamp_min(1e-30).log().masked_fill(avail.logical_not(), 0);
            var klData = (probs * (logPi - logData)).sum(1);
            var piLoss = (-(probs * eBar).sum(1) + alpha * klData).mean();
            piOpt[i].zero_grad();
            piLoss.backward();
            piOpt[i].step();

            losses.Add(new($"loss/nu{i}", Checked($"loss/nu{i}", nuLoss.item<float>())));
            losses.Add(new($"loss/gp{i}", Checked($"loss/gp{i}", gp.item<float>())));
            losses.Add(new($"loss/e{i}", Checked($"loss/e{i}", fit.item<float>())));
            losses.Add(new($"loss/e_cql{i}", Checked($"loss/e_cql{i}", cql.item<float>())));
            losses.Add(new($"loss/policy{i}", Checked($"loss/policy{i}", piLoss.item<float>())));
        }
        losses.Add(new("train/rho_mean", rhoMean));
        losses.Add(new("train/alpha", alpha));
        return losses;
    }

    /// <summary>"KL_{-i}": mean over <see cref="AlberDiceOptions.KlSamples"/> teammate joint actions a^{-i} ∼ π^{-i} of
    /// Σ_{j≠i} log πʲ(aʲ|oʲ) − log μ^{-i}_j(aʲ | s, aⁱ_D, a^{&lt;j}), per row (K).</summary>
    Tensor TeammateKl(int i, TransitionBatch b, Generator generator)
    {
        long k = b.Count, m = o.KlSamples;
        var states = b.States.repeat(m, 1);
        var avail = b.Available.repeat(m, 1, 1);
        var dataActions = b.Actions.repeat(m, 1);
        var columns = new Tensor[N];
        var logPi = zeros(k * m, device: b.Rewards.device);
        for (int j = 0; j < N; j++)
        {
            if (j == i) { columns[j] = dataActions.select(1, i); continue; }
            var logp = MaskedCategorical.AgentLogProbs(pi, j, b.Observations, b.Available).repeat(m, 1);
            var sampled = multinomial(logp.exp(), 1, replacement: true, generator: generator).squeeze(1);
            columns[j] = sampled;
            logPi = logPi + MaskedCategorical.Pick(logp, sampled);
        }
        var joint = stack(columns, 1);
        var logBeta = muMinus[i].TeammateLogProbs(states, joint, avail).sum(1);
        return (logPi - logBeta).view(new[] { m, k }).mean(new long[] { 0 });
    }

    /// <summary>"ratio": ρ = min(exp(log π^{-i}(a^{-i}_D) − log μ^{-i}(a^{-i}_D | s, aⁱ_D)), max), computed in log space
    /// (the clamp before exp keeps it finite; the one after makes the clamp exact, as float32 exp(log 100) exceeds 100).</summary>
    public static Tensor Ratio(Tensor logPiMinus, Tensor logMuMinus, double max) =>
        (logPiMinus - logMuMinus).clamp_max(Math.Log(max)).exp().clamp_max(max);

    /// <summary>"ν dual": α·logsumexp_k(log ρ̄ + ê_k/α − log K) + (1 − γ)·mean(ν(s)) = α·log(ρ̄·mean_k exp(ê_k/α)) +
    /// (1 − γ)·mean ν, for resampled residuals <paramref name="residuals"/> (K), the batch's mean ratio ρ̄ and ν on the
    /// batch's states <paramref name="nuStates"/>.</summary>
    public static Tensor NuDual(Tensor residuals, double rhoMean, Tensor nuStates, double alpha, double gamma) =>
        NuDual(residuals, tensor((float)Math.Log(rhoMean)), nuStates, alpha, gamma);

    /// <summary>"ν dual" over the last dimension, log ρ̄ as a tensor (a seed ensemble: residuals S × K, log ρ̄ S × 1,
    /// ν S × K → S).</summary>
    public static Tensor NuDual(Tensor residuals, Tensor logRhoMean, Tensor nuStates, double alpha, double gamma) =>
        alpha * (residuals / alpha + logRhoMean - Math.Log(residuals.shape[^1])).logsumexp(-1) + (1 - gamma) * nuStates.mean(new long[] { -1 });

    /// <summary>E‖∇_s νⁱ(s̃)‖² at s̃ = ε s_a + (1 − ε) s_b: s_a the batch's first half, s_b its second half permuted.</summary>
    Tensor GradientPenalty(int i, Tensor states, Generator generator)
    {
        long half = states.shape[0] / 2;
        if (half == 0) return zeros(new long[] { 1 }, device: states.device).sum();
        var first = states.narrow(0, 0, half);
        var second = states.narrow(0, half, half).index_select(0, randperm(half, dtype: int64, device: states.device, generator: generator));
        var eps = rand(new[] { half, 1L }, dtype: states.dtype, device: states.device, generator: generator);
        var mixed = (eps * first + (1 - eps) * second).detach().requires_grad_(true);
        var output = nu.Forward(i, mixed).sum();
        var grad = autograd.grad(new List<Tensor> { output }, new List<Tensor> { mixed }, retain_graph: true, create_graph: true)[0];
        return grad.pow(2).sum(1).mean();
    }


    public (Tensor Probabilities, Tensor? Hidden) Act(Tensor observations, Tensor available, Tensor lastActions, Tensor? hidden)
    {
        using var _ = no_grad();
        if (o.Absorbing) observations = AbsorbingStates.AppendFlag(observations);
        return (MaskedCategorical.JointProbabilities(pi, observations, available), null);
    }

    public void Dispose()
    {
        foreach (var m in Modules) m.Module.Dispose();
        loaded?.Dispose();
    }
}
