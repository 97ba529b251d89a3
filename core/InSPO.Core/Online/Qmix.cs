// QMIX (Rashid et al. 2018) as pymarl2 runs it on SMAC: the online learner that collects the SMAC datasets
// (notes, smac-datasets.md). Q_tot(s, a) = f_mix(Q¹(τ¹, a¹), …, Qᴺ(τᴺ, aᴺ); s) with f_mix monotone in every Qⁱ
// (MonotoneMixer), so each agent's greedy action maximises Q_tot (IGM).
// - Agent: one GRU agent shared by all agents, agent id and last action appended (AgentNetworkOptions.SharedRecurrent).
// - Loss over episode batches: Σ_{b,t} filled · (Q_tot(s_t, a_t) − G_t)² / Σ filled, with the TD(λ) target
//   (Nets/EpisodeMixing.cs, shared with CFCQL on SMAC-lite)
//     G_t = r_t + γ (1 − terminated_t) [(1 − λ_t) Q̄_tot(s_{t+1}, ā_{t+1}) + λ_t G_{t+1}],
//   ā the online network's greedy available actions evaluated by the target networks (double Q, pymarl2's
//   double_q), λ_t = λ while step t + 1 is a real step and 0 at an episode's last step (then G_t bootstraps from
//   the final state alone).
// - Choices beyond pymarl2: a time-limit cut is a truncation (SPEC 6): the target bootstraps through it, where
//   pymarl2 (and the CFCQL datasets) store it as terminated. Batches of 32 episodes instead of 128 on the CPU
//   (QmixOptions). Everything else as the configuration in QmixOptions.
using InSPO.Actors;
using InSPO.Algorithms;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using InSPO.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Online;

/// <summary>The QMIX networks and update; <c>QmixTrainer</c> runs the online loop around them.</summary>
public sealed class Qmix : ICheckpointable, IDecentralisedPolicy, IDisposable
{
    readonly QmixOptions o;
    readonly AgentNetwork agent, targetAgent;
    readonly MonotoneMixer mixer, targetMixer;
    readonly optim.Optimizer optimizer;
    readonly Device device;
    readonly int N, A;

    public Qmix(EnvSpec spec, QmixOptions options, Device device, Generator init)
    {
        o = options;
        this.device = device;
        N = spec.Agents;
        A = spec.Actions;
        var network = AgentNetworkOptions.SharedRecurrent(o.Hidden);
        agent = AgentNetwork.Create("agent", N, spec.ObservationSize, A, A, network, init);
        targetAgent = AgentNetwork.Create("agent", N, spec.ObservationSize, A, A, network, init);
        mixer = new MonotoneMixer("mixer", N, spec.StateSize, o.MixerEmbed, o.Hypernet, init);
        targetMixer = new MonotoneMixer("mixer", N, spec.StateSize, o.MixerEmbed, o.Hypernet, init);
        foreach (var m in new nn.Module[] { agent, targetAgent, mixer, targetMixer }) m.to(device);
        UpdateTargets();
        foreach (var p in targetAgent.parameters().Concat(targetMixer.parameters())) p.requires_grad = false;
        optimizer = optim.Adam(agent.parameters().Concat(mixer.parameters()), o.LearningRate);
        Modules = new (string, nn.Module)[] { ("agent", agent), ("target_agent", targetAgent), ("mixer", mixer), ("target_mixer", targetMixer) };
        Optimizers = new (string, optim.Optimizer)[] { ("q", optimizer) };
    }

    public string Name => "qmix";
    public QmixOptions Options => o;
    public IReadOnlyList<(string Name, nn.Module Module)> Modules { get; }
    public IReadOnlyList<(string Name, optim.Optimizer Optimizer)> Optimizers { get; }

    /// <summary>Hard copy of the online networks into the targets.</summary>
    public void UpdateTargets()
    {
        TargetNetwork.Copy(targetAgent, agent);
        TargetNetwork.Copy(targetMixer, mixer);
    }

    /// <summary>One update on a batch of episodes (the loss in the header). Returns the TD loss and the mean Q_tot.</summary>
    public (double Loss, double QTotal) Update(EpisodeBatch b)
    {
        var q = agent.Unroll(b.Observations, b.LastActions);                                      // B × T × N × A
        var (qTotal, _) = EpisodeMixing.TakenTotal(mixer, q, b);                                   // B × (T−1)
        var targets = EpisodeMixing.DoubleQTargets(q, targetAgent, targetMixer, b, b.Terminated, o.Gamma, o.Lambda);
        var mask = b.Filled.narrow(1, 0, b.Slots - 1);
        var loss = ((qTotal - targets).pow(2) * mask).sum() / mask.sum();
        optimizer.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(agent.parameters().Concat(mixer.parameters()), o.GradClip);
        optimizer.step();
        return (loss.item<float>(), ((qTotal.detach() * mask).sum() / mask.sum()).item<float>());
    }

    /// <summary>A saved model (<c>models/*.bin</c> of a QMIX run) in the networks it was saved from: the options
    /// are read from the run folder's options.json (the defaults of the map when there is none).</summary>
    public static Qmix Load(string model, EnvSpec spec, Device device)
    {
        if (!File.Exists(model)) throw new FileNotFoundException($"QMIX model {model} does not exist");
        var run = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(model)))!;
        var optionsPath = Path.Combine(run, QmixTrainer.OptionsFile);
        var options = File.Exists(optionsPath)
            ? System.Text.Json.JsonSerializer.Deserialize<QmixOptions>(File.ReadAllText(optionsPath))!
            : QmixOptions.For(spec.Name, null);
        using var init = new Generator(0, CPU);
        var qmix = new Qmix(spec, options, device, init);
        Checkpoint.Load(model, qmix, new InSPO.Training.TrainerState(new Generator(0, device)));
        return qmix;
    }

    public Tensor? InitialState(long episodes) => agent.InitialState(episodes, device);

    /// <summary>The greedy joint policy: each agent's best available action under Qⁱ, as a one-hot distribution
    /// (the rollout adds ε-greedy exploration).</summary>
    public (Tensor Probabilities, Tensor? Hidden) Act(Tensor observations, Tensor available, Tensor lastActions, Tensor? hidden)
    {
        using var _ = no_grad();
        var (values, next) = agent.Step(observations, lastActions, hidden);
        var best = values.masked_fill(available.logical_not(), EpisodeMixing.Unavailable).argmax(-1);
        return (nn.functional.one_hot(best, A).to_type(float32), next);
    }

    public void Dispose()
    {
        foreach (var (_, m) in Modules) m.Dispose();
    }
}
