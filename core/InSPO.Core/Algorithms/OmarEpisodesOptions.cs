using InSPO.Envs;
using InSPO.Nets;

namespace InSPO.Algorithms;

/// <summary>
/// Every option of OMAR on SMAC-lite (<see cref="OmarEpisodes"/>): the discrete OMAR of the CFCQL repository
/// (`discrete/src/learners/omar_learner.py`, `config/algs/baseline_omar.yaml`; notes, reference-implementations §4.2).
/// Hyperparameter names (RunSpec.Hyperparameters) are in <see cref="Names"/>; the shared ones mean what they mean for
/// <see cref="OmarOptions"/>.
/// </summary>
/// <param name="OmarCoe">omar_coe: weight c of the regression of π onto the one-hot of argmax Q (0.5).</param>
/// <param name="CqlWeight">cql_alpha: weight of each critic head's CQL term (5).</param>
/// <param name="Gamma">Discount (0.99).</param>
/// <param name="Lambda">TD(λ) weight of the critic targets (td_lambda 0.6).</param>
/// <param name="LearningRate">Adam learning rate of the actor and the critic (lr = critic_lr = 1e-3).</param>
/// <param name="GradClip">Gradient-norm clip of the actor and the critic (grad_norm_clip 10).</param>
/// <param name="Actor">The actor network: PyMARL's RNNAgent shared by all agents with agent id and last action, 64 units.</param>
/// <param name="CriticHidden">Hidden units of each critic head (DoubleMLPNetwork's 256).</param>
/// <param name="EpisodeBatch">Episodes per batch (CFCQL: 128; here <see cref="AgentNetworks.EpisodeBatch"/>).</param>
/// <param name="TargetInterval">Updates between hard copies of the target actor and critic. The code copies when its
/// episode counter has grown by target_update_interval = 200 since the last copy, and its offline loop adds
/// batch_size_run = 8 to that counter per update (run.py), whatever the 128 episodes a batch holds: a copy every
/// 200 / 8 = 25 updates.</param>
/// <param name="CriticUpdatePerTimeStep">Step the critic's optimiser once per time step of the batch, as the code does
/// (T − 1 critic updates per batch), instead of once on the whole batch.</param>
public sealed record OmarEpisodesOptions(
    double OmarCoe, double CqlWeight, double Gamma, double Lambda, double LearningRate, double GradClip,
    AgentNetworkOptions Actor, int CriticHidden, int EpisodeBatch, int TargetInterval, bool CriticUpdatePerTimeStep)
{
    public static readonly string[] Names =
        { "omar_coe", "cql", "gamma", "lambda", "lr", "grad_clip", "hidden", "critic_hidden", "episode_batch", "target_interval", "critic_per_step" };

    /// <summary>The CFCQL code's configuration at every profile except the episodes per batch
    /// (<see cref="AgentNetworks.EpisodeBatch"/>), then overrides.</summary>
    /// <remarks>Cost on 5m_vs_6m expert at quick (32 episodes, 1 CPU thread, the shared 2-core machine): 29–33
    /// CPU-seconds per 100 steps with the code's per-time-step critic updates (the quick profile's 1800 steps ≈ 9–10
    /// CPU-minutes), 21–23 with critic_per_step = 0: the 256-unit critic over every (episode, step, agent) row is most
    /// of it. Win rate of the greedy policy after 600 steps (seed 0, 32 episodes): 5m_vs_6m expert tier 1.00
    /// (data 0.998), medium 0.09 (data 0.20). One seed each: indications, not results.</remarks>
    public static OmarEpisodesOptions For(EnvSpec spec, IReadOnlyDictionary<string, double>? hyper, InSPO.Training.Profile profile)
    {
        Learners.CheckKnown("omar", hyper, Names);
        double G(string name, double fallback) => Learners.Get(hyper, name, fallback);
        var o = new OmarEpisodesOptions(
            OmarCoe: G("omar_coe", 0.5),
            CqlWeight: G("cql", 5.0),
            Gamma: G("gamma", 0.99),
            Lambda: G("lambda", 0.6),
            LearningRate: G("lr", 1e-3),
            GradClip: G("grad_clip", 10),
            Actor: AgentNetworkOptions.SharedRecurrent((int)G("hidden", AgentNetworkOptions.SmacAgentHidden)),
            CriticHidden: (int)G("critic_hidden", 256),
            EpisodeBatch: (int)G("episode_batch", AgentNetworks.EpisodeBatch(profile)),
            TargetInterval: (int)G("target_interval", 25),
            CriticUpdatePerTimeStep: G("critic_per_step", 1) != 0);
        if (!(o.OmarCoe >= 0 && o.OmarCoe <= 1)) throw new ArgumentException($"omar: omar_coe = {o.OmarCoe} must be in [0, 1]");
        if (!(o.Lambda >= 0 && o.Lambda <= 1)) throw new ArgumentException($"omar: lambda = {o.Lambda} must be in [0, 1]");
        if (o.EpisodeBatch < 1 || o.TargetInterval < 1) throw new ArgumentException("omar: episode_batch and target_interval must be ≥ 1");
        return o;
    }
}
