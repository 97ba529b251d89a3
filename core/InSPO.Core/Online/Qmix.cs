// QMIX (Rashid et al. 2018) as pymarl2 runs it on SMAC: the online learner that collects the SMAC datasets
// (notes, smac-datasets.md). Q_tot(s, a) = f_mix(Q¹(τ¹, a¹), …, Qᴺ(τᴺ, aᴺ); s) with f_mix monotone in every Qⁱ
// (MonotoneMixer), so each agent's greedy action maximises Q_tot (IGM).
// - Agent: one GRU agent shared by all agents, agent id and last action appended (AgentNetworkOptions.SharedRecurrent).
// - Loss over episode batches: Σ_{b,t} filled · (Q_tot(s_t, a_t) − G_t)² / Σ filled, with the TD(λ) target
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

    /// <summary>The value unavailable actions get before an argmax. One Scalar for the process's life: under TorchSharp
    /// 0.107 an implicitly converted one here died during the native call every few minutes of a QMIX run.</summary>
    static readonly Scalar Unavailable = float.NegativeInfinity.ToScalar();

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
        long batch = b.Count, slots = b.Slots, steps = slots - 1;
        var q = agent.Unroll(b.Observations, b.LastActions);                                      // B × T × N × A
        var taken = MaskedCategorical.Pick(q.narrow(1, 0, steps), b.Actions.narrow(1, 0, steps));  // B × (T−1) × N
        var qTotal = mixer.forward(taken.reshape(batch * steps, N), b.States.narrow(1, 0, steps).reshape(batch * steps, -1)).view(batch, steps);
        Tensor targets;
        using (no_grad())
        {
            var greedy = q.detach().masked_fill(b.Available.logical_not(), Unavailable).argmax(-1);                 // B × T × N
            var next = MaskedCategorical.Pick(targetAgent.Unroll(b.Observations, b.LastActions), greedy);          // B × T × N
            var nextTotal = targetMixer.forward(next.reshape(batch * slots, N), b.States.reshape(batch * slots, -1)).view(batch, slots);
            targets = LambdaReturns(b.Rewards, b.Terminated, b.Filled, nextTotal, o.Gamma, o.Lambda);
        }
        var mask = b.Filled.narrow(1, 0, steps);
        var loss = ((qTotal - targets).pow(2) * mask).sum() / mask.sum();
        optimizer.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(agent.parameters().Concat(mixer.parameters()), o.GradClip);
        optimizer.step();
        return (loss.item<float>(), ((qTotal.detach() * mask).sum() / mask.sum()).item<float>());
    }

    /// <summary>G_t for t &lt; T − 1 (header): B × T rewards, terminated, filled and target values Q̄_tot at every slot →
    /// B × (T − 1).</summary>
    public static Tensor LambdaReturns(Tensor rewards, Tensor terminated, Tensor filled, Tensor nextTotal, double gamma, double lambdaWeight)
    {
        // The recursion runs on the host: B × T numbers, where T tensor steps of a few ops each cost more than the
        // arithmetic (and every TorchSharp 0.107 op with a number operand makes a Scalar that a garbage collection can
        // free mid-call: 3s_vs_5z's 250-step episodes died every ~2 minutes here).
        long batch = rewards.shape[0], slots = rewards.shape[1];
        static float[] Host(Tensor t) => t.detach().to_type(float32).cpu().contiguous().data<float>().ToArray();
        float[] r = Host(rewards), term = Host(terminated), f = Host(filled), v = Host(nextTotal);
        var g = new float[batch * (slots - 1)];
        for (long b = 0; b < batch; b++)
        {
            double later = 0;
            for (long t = slots - 2; t >= 0; t--)
            {
                long at = b * slots + t;
                double lambda = lambdaWeight * f[at + 1];                            // 0 at an episode's last step
                double bootstrap = (1 - lambda) * v[at + 1] + lambda * later;
                later = r[at] + gamma * (1 - term[at]) * bootstrap;
                g[b * (slots - 1) + t] = (float)later;
            }
        }
        return tensor(g, new[] { batch, slots - 1 }).to(rewards.device);
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
        var best = values.masked_fill(available.logical_not(), Unavailable).argmax(-1);
        return (nn.functional.one_hot(best, A).to_type(float32), next);
    }

    public void Dispose()
    {
        foreach (var (_, m) in Modules) m.Dispose();
    }
}
