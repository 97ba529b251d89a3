namespace InSPO.Algorithms;

/// <summary>Agent order within a round (SPEC 3).</summary>
public enum AgentOrder
{
    /// <summary>A fresh uniformly random permutation every round (SPEC 3's default).</summary>
    Random = 0,
    /// <summary>0, 1, …, N−1 every round (AlberDICE's order).</summary>
    Fixed = 1,
    /// <summary>A2PO's semi-greedy order: agents ranked by mean |A/V|, then the best remaining alternates with a
    /// uniformly random remaining one (notes §2.3).</summary>
    SemiGreedy = 2,
}

/// <summary>Where importance resampling (Eq. 23) draws from.</summary>
public enum ResampleScope
{
    /// <summary>Rows of the uniformly drawn batch are redrawn ∝ ρ (AlberDICE's way; SPEC 3's default).</summary>
    Batch = 0,
    /// <summary>The agent's batch is drawn from the whole dataset ∝ ρ (ρ recomputed on all transitions).</summary>
    Dataset = 1,
}

/// <summary>
/// Every option of the practical InSPO (SPEC 3). Hyperparameter names (RunSpec.Hyperparameters) are in
/// <see cref="Names"/>; booleans and enums are numbers there (entropy 0/1, sequential 0/1, alpha_auto 0/1,
/// order 0 random | 1 fixed | 2 semi-greedy, resample 0 batch | 1 dataset).
/// </summary>
public sealed record InspoOptions
{
    /// <summary>Behaviour-regularisation weight α (fixed value, or the start of auto-tuning).</summary>
    public double Alpha { get; init; } = 1;
    /// <summary>Eq. 25 auto-tuning of α towards <see cref="KlTarget"/>.</summary>
    public bool AlphaAuto { get; init; }
    /// <summary>D̄_KL of Eq. 25 (SPEC 3: 0.18).</summary>
    public double KlTarget { get; init; } = 0.18;
    /// <summary>β₀, the entropy weight at the start of the policy phase.</summary>
    public double Beta0 { get; init; } = 5;
    /// <summary>β_t = β₀ · BetaFinalRatio^(t/T) over the policy phase: exponential decay to ≈ 0. Default 1e-4:
    /// the total decay of the tabular default (×0.97 per round for 300 rounds = 1.1e-4), spread over the
    /// training steps (SPEC 3 leaves the rate open).</summary>
    public double BetaFinalRatio { get; init; } = 1e-4;
    /// <summary>`entropy off` ablation: β ≡ 0.</summary>
    public bool Entropy { get; init; } = true;
    /// <summary>`sequential off` ablation: every agent is updated against its teammates' OLD policies.</summary>
    public bool Sequential { get; init; } = true;
    public AgentOrder Order { get; init; } = AgentOrder.Random;
    public ResampleScope Resample { get; init; } = ResampleScope.Batch;
    /// <summary>Clamp of ρ (SPEC 3: 100, as AlberDICE's other_policy_ratio_max).</summary>
    public double RhoMax { get; init; } = 100;
    /// <summary>Clip of Eq. 20's exponentiated weight (SPEC 3: 100).</summary>
    public double WeightMax { get; init; } = 100;
    /// <summary>α_CQL of Eq. 24 (SPEC 3: 0.1).</summary>
    public double CqlWeight { get; init; } = 0.1;
    /// <summary>Polyak rate of the target critic (SPEC 3: 0.005; M-NE 0.05, see <see cref="For"/>).</summary>
    public double Tau { get; init; } = 0.005;
    /// <summary>Discount (AlberDICE's 0.99 for its 50-step repeated game; M-NE 0, see <see cref="For"/>).</summary>
    public double Gamma { get; init; } = 0.99;
    /// <summary>Critic-and-policy steps per agent per round (default 1, SPEC 3's practical algorithm). With K &gt; 1
    /// each agent moves further against fixed teammates before the next one, closer to the exact round of SPEC 2
    /// (a closed-form best response per agent), which is where the sequential and simultaneous updates part
    /// (Figure 5(b)); the round draws K batches' worth of transitions, so each step resamples from fresh rows.
    /// Measured on XOR (b), 5 seeds, return of the final policy: sequential and simultaneous both reach 1.000 with
    /// K = 1 (1500 rounds), K = 10 (300 rounds) and K = 50 (100 rounds), and with K = 1 on AlberDICE's own (b) buffer:
    /// the simultaneous failure of SPEC 2's exact update needs both agents to move in lock-step from symmetric
    /// marginals, which separate networks, inits and resampled batches break (see TheoryTests T7).</summary>
    public int InnerSteps { get; init; } = 1;
    /// <summary>Hidden units of every MLP (SPEC 3: 256 for games; the profile's default, 64 in quick).</summary>
    public int Hidden { get; init; } = 256;
    /// <summary>Adam learning rate of policy, critic, μⁱ and μ^{-i}. SPEC is silent; AlberDICE uses 1e-4 over
    /// ~20k iterations. 1e-3 is chosen so the quick profile's budget suffices (measured, see the report).</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Adam learning rate of log α (Eq. 25).</summary>
    public double AlphaLearningRate { get; init; } = 1e-3;
    /// <summary>Transitions per uniformly drawn batch (from the profile).</summary>
    public int BatchSize { get; init; } = 256;
    /// <summary>Steps spent training μⁱ and μ^{-i} before the policy phase ("trained first", SPEC 3; from the profile).</summary>
    public int BehaviourSteps { get; init; } = 200;
    /// <summary>Episodes per batch of the recurrent learner on SMAC-lite (<see cref="InSPO.Nets.AgentNetworks.EpisodeBatch"/>).</summary>
    public int EpisodeBatch { get; init; } = 32;
    /// <summary>SMAC-lite ablation `feedforward`: πⁱ and μⁱ as MLPs on the agent's observation alone (no GRU, no last
    /// action) instead of SPEC 3's recurrent agents. A history lets a policy tell which of a mixed tier's behaviour
    /// policies made an episode; without one it cannot (stop 18's note). Left out of a record when off, so records made
    /// before the option existed keep matching their cells.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool FeedForward { get; init; }
    /// <summary>SMAC-lite option `td_lambda`: λ of the critic's TD(λ) target over whole episodes
    /// (<c>InspoObjectives.LambdaCriticTargets</c>); 0, SPEC 3's one-step Eq. 24, by default. A one-step target
    /// behind a Polyak τ = 0.005 carries a reward back only a few steps over the quick budget, where a 2s3z battle is
    /// won some 50 steps after the opening that decides it (stop 18's note). Needs whole episodes: SMAC-lite only.
    /// Left out of a record when 0.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public double TdLambda { get; init; }
    /// <summary>Gradient-norm clip of every network (0: none). SMAC-lite: 10, as every SMAC baseline's code clips its GRU agents.</summary>
    public double GradClip { get; init; }

    public static readonly string[] Names =
    {
        "alpha", "alpha_auto", "kl_target", "beta0", "beta_final_ratio", "entropy", "sequential", "order", "resample",
        "rho_max", "weight_max", "cql", "tau", "gamma", "hidden", "lr", "alpha_lr", "inner_steps",
        "episode_batch", "grad_clip", "feedforward", "td_lambda",
    };

    /// <summary>Defaults per environment, then overrides. Matrix games (SPEC 2's defaults, kept for the neural
    /// version): XOR α = 0.1, β₀ = 1; M-NE and other games α = 1, β₀ = 5.</summary>
    public static InspoOptions For(string env, IReadOnlyDictionary<string, double>? hyper, InSPO.Training.Profile profile)
    {
        Learners.CheckKnown("inspo", hyper, Names);
        bool xor = string.Equals(env, "xor", StringComparison.OrdinalIgnoreCase);
        bool bridge = string.Equals(env, "bridge", StringComparison.OrdinalIgnoreCase);
        // γ and τ per game, chosen by measurement (issue-3 report; quick budget, 5 seeds, return of the final policy):
        // XOR keeps SPEC's γ = 0.99 (AlberDICE's repeated game) and τ = 0.005: 5/5 seeds ≥ 0.998 on (a).
        //   With γ = 0 XOR (a) stalls (returns −0.001 0.095 0.967 0.904 −0.006): on (a) every in-sample Qⁱ(aⁱ) is 1,
        //   so only the resampled action frequencies move the policy, a neutral drift; the bootstrapped common
        //   value, learned fastest by the action the resampled batch holds most, is what sharpens it.
        // M-NE (and other games) use γ = 0 and τ = 0.05: with SPEC's values 0/5 seeds reach (C,C) (all ≈ 4.98),
        //   with γ = 0.99, τ = 0.05 also 0/5, with γ = 0, τ = 0.05 5/5 (≈ 19.95). Cause: Q̄ lags the critic by
        //   ~1/τ steps and the policy commits to A (80% of the data) before Q̄ shows C ahead; a one-state game
        //   loses nothing with γ = 0 (each step is the one-shot game, and the metric is per-step).
        // Bridge: γ = 0.9, τ = 0.05, α = 0.1, β₀ = 1, inner_steps = 2. A navigation task needs the discount: with γ = 0 (the M-NE
        //   branch, used until stop 8) the critic is the one-step reward, so stepping off the bridge to let the other
        //   pass always looks worse than pushing on, and only behaviour cloning can make an agent yield — enough on
        //   "optimal" (0.952 ± 0.068 at 4000 rounds, batch 64), not on "mixed" (0.061 ± 0.029), where 86% of the
        //   transitions are uniformly random.
        //   Why 0.9 and not 0.99: the failures on mixed with γ = 0.99 were one mode — an agent keeps walking into a wall
        //   or the map edge (the yielder parked at (2,1) stepping "right" into (2,2) once the other is home; or both
        //   agents pushing "right" with the yielder against the east edge). Such a move is a self-loop: its critic
        //   value starts wherever the network's generalisation puts it ("right" is good for agent 0 almost
        //   everywhere) and approaches its true value r/(1 − γ) only by a factor γ per backup — hundreds of backups at
        //   0.99, tens at 0.9. A 0.9 horizon still sees the whole crossing (≤ 9 steps), and a deadlock (−0.32 per step,
        //   −3.2 discounted) still costs far more than yielding (−1.26 for the whole episode).
        //   Measured at the quick profile's Bridge budget (8000 rounds, batch 256, BridgeRunEnvironment.Budget),
        //   return_normalised of the final policy, seeds in order (Runner; stop 10 = Table 3's own cells):
        //     γ = 0.9 (these defaults), seeds 0–4: optimal 0.995 0.995 0.993 0.994 0.883, mixed 0.979 0.980 0.968
        //       0.974 0.946, optimal-reference 0.987 0.997 0.996 0.989 0.995, mixed-reference 0.974 0.964 0.970 0.978
        //       0.961. (Optimal seed 4: the agents' start-state yield probabilities are not yet coordinated,
        //       .36/.64 and .10/.90, so a third of episodes lose a step or two to a blocked swap; 0.883 with one inner
        //       step as well.)
        //     Seeds 5–9, not used to choose γ: optimal 0.996 0.997 0.996 0.999 0.943, mixed 0.971 0.965 0.977 0.970 0.968.
        //     γ = 0.95, mixed seeds 0, 3: 0.960 0.938.
        //     γ = 0.99, seeds 0–4 (stop 9): optimal 0.996 0.995 0.993 0.995 0.995, mixed 0.114 0.971 0.976 0.157
        //       0.965, optimal-reference 0.99 ± 0.00, mixed-reference 0.968 0.977 0.577 0.752 0.847; with one inner
        //       step mixed 0.938 0.570 0.689 0.730 0.896. Also at γ = 0.99 (mixed, seeds 1, 2 unless said; none
        //       removed the self-loops): batch 64 with 4000 rounds 0.508 / 0.490 / 0.539 (seeds 0–2), 16000 rounds
        //       0.850 / 0.788 / 0.743; α = 0.03, β₀ = 0.1 0.645 / 0.978 / 0.931 (seeds 0–2); 128 hidden units
        //       0.947 / 0.789, 256 (seed 1) 0.102; τ = 0.2 0.840 / 0.706; lr = 3e-3 0.193 (seed 1); bootstrapping
        //       through the 50-step time limit instead of ending there: no gain (4000 × 64, 5 seeds: 0.30 vs 0.43).
        //   Two critic-and-policy steps per agent per round (inner_steps = 2, one ρ for both) beat one on three of
        //   the four datasets at γ = 0.99 (above).
        // SMAC-lite (the recurrent learner, InspoEpisodes): SPEC 3's γ = 0.99 and τ = 0.005, α auto-tuned from 1 towards
        // D̄_KL = 0.18 (Eq. 25; Table 5 compares fixed α), β₀ = 5, gradient clip 10, batches of whole episodes.
        bool smac = InSPO.Envs.Smac.SmacMaps.Names.Contains(env);
        var d = new InspoOptions
        {
            Alpha = xor || bridge ? 0.1 : 1, Beta0 = xor || bridge ? 1 : 5, Gamma = xor || smac ? 0.99 : bridge ? 0.9 : 0,
            Tau = xor || smac ? 0.005 : 0.05, InnerSteps = bridge ? 2 : 1, AlphaAuto = smac, GradClip = smac ? 10 : 0,
            BatchSize = profile.BatchSize, BehaviourSteps = profile.BehaviourSteps, Hidden = profile.Hidden,
            EpisodeBatch = InSPO.Nets.AgentNetworks.EpisodeBatch(profile),
        };
        double G(string name, double fallback) => Learners.Get(hyper, name, fallback);
        var o = d with
        {
            Alpha = G("alpha", d.Alpha),
            AlphaAuto = G("alpha_auto", d.AlphaAuto ? 1 : 0) != 0,
            KlTarget = G("kl_target", d.KlTarget),
            Beta0 = G("beta0", d.Beta0),
            BetaFinalRatio = G("beta_final_ratio", d.BetaFinalRatio),
            Entropy = G("entropy", 1) != 0,
            Sequential = G("sequential", 1) != 0,
            Order = (AgentOrder)(int)G("order", 0),
            Resample = (ResampleScope)(int)G("resample", 0),
            RhoMax = G("rho_max", d.RhoMax),
            WeightMax = G("weight_max", d.WeightMax),
            CqlWeight = G("cql", d.CqlWeight),
            Tau = G("tau", d.Tau),
            Gamma = G("gamma", d.Gamma),
            Hidden = (int)G("hidden", d.Hidden),
            LearningRate = G("lr", d.LearningRate),
            AlphaLearningRate = G("alpha_lr", d.AlphaLearningRate),
            InnerSteps = (int)G("inner_steps", d.InnerSteps),
            EpisodeBatch = (int)G("episode_batch", d.EpisodeBatch),
            GradClip = G("grad_clip", d.GradClip),
            FeedForward = G("feedforward", 0) != 0,
            TdLambda = G("td_lambda", 0),
        };
        if (!(o.Alpha > 0)) throw new ArgumentException($"inspo: alpha = {o.Alpha} must be > 0");
        if (!(o.Beta0 >= 0)) throw new ArgumentException($"inspo: beta0 = {o.Beta0} must be ≥ 0");
        if (!Enum.IsDefined(o.Order)) throw new ArgumentException($"inspo: order = {(int)o.Order}: expected 0 random, 1 fixed, 2 semi-greedy");
        if (o.InnerSteps < 1) throw new ArgumentException($"inspo: inner_steps = {o.InnerSteps} must be ≥ 1");
        if (!(o.TdLambda >= 0 && o.TdLambda <= 1)) throw new ArgumentException($"inspo: td_lambda = {o.TdLambda} must be in [0, 1]");
        if (o.TdLambda > 0 && !smac)
            throw new ArgumentException($"inspo: td_lambda = {o.TdLambda} needs whole episodes (SMAC-lite maps); {env} trains on transitions");
        if (!Enum.IsDefined(o.Resample)) throw new ArgumentException($"inspo: resample = {(int)o.Resample}: expected 0 batch, 1 dataset");
        return o;
    }

    /// <summary>The options the members of one ensemble may set apart (hyperparameter names): the loss coefficients
    /// α (fixed or auto-tuned, with its D̄_KL) and the entropy schedule (β₀, its decay, on/off), so that the paper's α and
    /// β₀ sweeps (C.4, Table 5) train as one ensemble. They enter only as per-member numbers in Eq. 20, 24 and 25; every
    /// other option shapes the networks, the batches or the round and is shared by a group.</summary>
    public static readonly string[] PerMember = { "alpha", "alpha_auto", "kl_target", "beta0", "beta_final_ratio", "entropy" };

    /// <summary>The members' options when they differ only in <see cref="PerMember"/> options; otherwise an
    /// ArgumentException naming the option that differs.</summary>
    public static IReadOnlyList<InspoOptions> CheckGroup(IReadOnlyList<InspoOptions> members)
    {
        if (members.Count == 0) throw new ArgumentException("inspo: an ensemble needs at least one member");
        var first = members[0];
        foreach (var m in members)
        {
            // set the per-member options to the first member's: what is left must be the first member's options
            var shared = m with { Alpha = first.Alpha, AlphaAuto = first.AlphaAuto, KlTarget = first.KlTarget, Beta0 = first.Beta0,
                                  BetaFinalRatio = first.BetaFinalRatio, Entropy = first.Entropy };
            if (shared == first) continue;
            var differing = typeof(InspoOptions).GetProperties().Where(p => !Equals(p.GetValue(shared), p.GetValue(first))).Select(p => p.Name);
            throw new ArgumentException($"inspo: the members of one ensemble differ in {string.Join(", ", differing)}; only "
                                        + $"{string.Join(", ", PerMember)} may differ within a group");
        }
        return members;
    }

    /// <summary>β at policy-phase step t of T (0 with entropy off).</summary>
    public double BetaAt(long t, long total) =>
        Entropy ? Beta0 * Math.Pow(BetaFinalRatio, total <= 1 ? 1 : (double)t / (total - 1)) : 0;
}
