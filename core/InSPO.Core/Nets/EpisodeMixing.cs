using InSPO.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Nets;

/// <summary>
/// Value decomposition over episode batches (PyMARL's layout: B episodes × T slots, slot T − 1 the final observation),
/// shared by online QMIX (<c>Online/Qmix.cs</c>) and CFCQL on SMAC-lite (<c>Algorithms/CfcqlEpisodes.cs</c>):
/// - Q_tot(s_t, a_t) = Mix_{s_t}(Q¹(τ¹_t, a¹_t), …, Qᴺ(τᴺ_t, aᴺ_t)) for the steps t &lt; T − 1 (<see cref="TakenTotal"/>);
/// - the TD(λ) target with double Q (<see cref="DoubleQTargets"/>, <see cref="LambdaReturns"/>):
///     G_t = r_t + γ (1 − terminated_t) [(1 − λ_t) Q̄_tot(s_{t+1}, ā_{t+1}) + λ_t G_{t+1}],
///   ā the online agents' greedy available actions valued by the target agents and mixer (pymarl2's double_q),
///   λ_t = λ while step t + 1 is a real step and 0 at an episode's last step (G_t then bootstraps from the final slot
///   alone). Which ends stop the bootstrap is the caller's: QMIX passes true ends only (a time-out bootstraps, SPEC 6),
///   CFCQL also time-outs, as its code's data stores them.
/// </summary>
public static class EpisodeMixing
{
    /// <summary>The value unavailable actions get before an argmax. One Scalar for the process's life: under TorchSharp
    /// 0.107 an implicitly converted one here died during the native call every few minutes of a QMIX run.</summary>
    public static readonly Scalar Unavailable = float.NegativeInfinity.ToScalar();

    /// <summary>The agents' values at the data's actions and their mix, for the steps t &lt; T − 1: per-agent values
    /// <paramref name="q"/> B × T × N × A → (Q_tot B × (T − 1), chosen agent values B × (T − 1) × N).</summary>
    public static (Tensor Total, Tensor Taken) TakenTotal(MonotoneMixer mixer, Tensor q, EpisodeBatch b)
    {
        long steps = b.Slots - 1;
        var taken = MaskedCategorical.Pick(q.narrow(1, 0, steps), b.Actions.narrow(1, 0, steps));   // B × (T−1) × N
        return (Mix(mixer, taken, b.States.narrow(1, 0, steps)), taken);
    }

    /// <summary>Q_tot of one per-agent value vector per slot: <paramref name="values"/> B × T' × N, <paramref name="states"/>
    /// B × T' × S → B × T'.</summary>
    public static Tensor Mix(MonotoneMixer mixer, Tensor values, Tensor states)
    {
        long batch = values.shape[0], slots = values.shape[1];
        return mixer.forward(values.reshape(batch * slots, values.shape[2]), states.reshape(batch * slots, -1)).view(batch, slots);
    }

    /// <summary>G_t for t &lt; T − 1 (header): the greedy available actions of the online values <paramref name="online"/>
    /// (B × T × N × A, any graph is ignored) valued by <paramref name="targetAgent"/> and <paramref name="targetMixer"/>;
    /// <paramref name="ends"/> B × T marks the steps after which nothing is bootstrapped → B × (T − 1), without gradient.</summary>
    public static Tensor DoubleQTargets(Tensor online, AgentNetwork targetAgent, MonotoneMixer targetMixer, EpisodeBatch b, Tensor ends,
                                        double gamma, double lambda)
    {
        using var _ = no_grad();
        var greedy = online.detach().masked_fill(b.Available.logical_not(), Unavailable).argmax(-1);             // B × T × N
        var next = MaskedCategorical.Pick(targetAgent.Unroll(b.Observations, b.LastActions), greedy);          // B × T × N
        return LambdaReturns(b.Rewards, ends, b.Filled, Mix(targetMixer, next, b.States), gamma, lambda);
    }

    /// <summary>G_t for t &lt; T − 1 (header): B × T rewards, ends, filled and target values Q̄_tot at every slot →
    /// B × (T − 1).</summary>
    public static Tensor LambdaReturns(Tensor rewards, Tensor ends, Tensor filled, Tensor nextTotal, double gamma, double lambdaWeight)
    {
        // The recursion runs on the host: B × T numbers, where T tensor steps of a few ops each cost more than the
        // arithmetic (and every TorchSharp 0.107 op with a number operand makes a Scalar that a garbage collection can
        // free mid-call: 3s_vs_5z's 250-step episodes died every ~2 minutes here).
        long batch = rewards.shape[0], slots = rewards.shape[1];
        static float[] Host(Tensor t) => t.detach().to_type(float32).cpu().contiguous().data<float>().ToArray();
        float[] r = Host(rewards), end = Host(ends), f = Host(filled), v = Host(nextTotal);
        var g = new float[batch * (slots - 1)];
        for (long b = 0; b < batch; b++)
        {
            double later = 0;
            for (long t = slots - 2; t >= 0; t--)
            {
                long at = b * slots + t;
                double lambda = lambdaWeight * f[at + 1];                            // 0 at an episode's last step
                double bootstrap = (1 - lambda) * v[at + 1] + lambda * later;
                later = r[at] + gamma * (1 - end[at]) * bootstrap;
                g[b * (slots - 1) + t] = (float)later;
            }
        }
        return tensor(g, new[] { batch, slots - 1 }).to(rewards.device);
    }
}
