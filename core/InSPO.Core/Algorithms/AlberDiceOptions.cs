namespace InSPO.Algorithms;

/// <summary>
/// Every option of AlberDICE (<see cref="AlberDice"/>). Hyperparameter names are in <see cref="Names"/>. Sources:
/// the authors' code (`learners/alberdice_learner.py`, `config/algs/alberdice.yaml`, `config/default.yaml`;
/// notes §2.1–2.4), the same for every environment.
/// </summary>
public sealed record AlberDiceOptions
{
    /// <summary>KL weight α at the start of the policy phase (alpha_start 5).</summary>
    public double AlphaStart { get; init; } = 5;
    /// <summary>α at the end (alpha_end 0.001); α_t = α_start (α_end/α_start)^(t/T), geometric.</summary>
    public double AlphaEnd { get; init; } = 0.001;
    /// <summary>Discount (0.99).</summary>
    public double Gamma { get; init; } = 0.99;
    /// <summary>Clamp of the teammates' importance ratio ρ (other_policy_ratio_max 100).</summary>
    public double RhoMax { get; init; } = 100;
    /// <summary>Weight of ν's gradient penalty (nu_grad_penalty_coeff 0.1).</summary>
    public double GradPenalty { get; init; } = 0.1;
    /// <summary>Weight of the e-network's CQL term (cql_coeff 0.1, default.yaml).</summary>
    public double CqlWeight { get; init; } = 0.1;
    /// <summary>Teammate joint actions sampled per row for KL_{-i} (16).</summary>
    public int KlSamples { get; init; } = 16;
    /// <summary>Adam rate of πⁱ, π^D_i and μ^{-i}. The code's 1e-4 at the paper profile; 1e-3 in the CPU profiles,
    /// whose 1500 policy steps are ≈ 1/100 of the code's ≈ 150k iterations (measured, see <see cref="For"/>).</summary>
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>Adam rate of ν and e (nu_lr; same choice as <see cref="LearningRate"/>).</summary>
    public double NuLearningRate { get; init; } = 1e-4;
    /// <summary>Hidden units of every network (the profile's; the code uses 128).</summary>
    public int Hidden { get; init; } = 128;
    /// <summary>Transitions per batch (the profile's).</summary>
    public int BatchSize { get; init; } = 256;
    /// <summary>Steps fitting π^D_i and μ^{-i} before the DICE phase (the profile's).</summary>
    public int BehaviourSteps { get; init; } = 200;

    /// <summary>absorbing_state (True in the authors' alberdice.yaml, every environment): terminals become a learned
    /// absorbing state, see <see cref="InSPO.Data.AbsorbingStates"/>. Off: ν(s') is masked at Done instead.</summary>
    public bool Absorbing { get; init; } = true;
    /// <summary>Slots kept per episode (0: all). The authors' buffer holds episode_limit + 1 slots of the training
    /// env's config and slices the stored episodes to it (notes §1.8): 21 on Bridge (episode_limit 20, datasets of
    /// 51 slots); on the matrix games episode_limit 100 exceeds the datasets' 51 slots, so all are kept.</summary>
    public int Window { get; init; }
    /// <summary>Keep fitting π^D_i and μ^{-i} (one BC step per DICE step, on its batch) after the warm-up, as the
    /// code fits them on every iteration; off: frozen after <see cref="BehaviourSteps"/>.</summary>
    public bool BehaviourThroughout { get; init; } = true;

    public static readonly string[] Names =
    {
        "alpha_start", "alpha_end", "gamma", "rho_max", "grad_penalty", "cql", "kl_samples", "lr", "nu_lr", "hidden",
        "absorbing", "window", "behaviour_throughout",
    };

    /// <summary>The code's values; at profiles other than "paper" the learning rates are 1e-3 instead of 1e-4.
    /// Measured on the quick profile (exact XOR return of the final policy): lr = nu_lr = 1e-3 gives 1.000 on (a) and
    /// (b) in 5/5 seeds; the code's 1e-4 gives, seed 0, (a) 0.005, (b) −0.821, (c) 0.999: in 1500 steps (≈ 1% of the
    /// code's ≈ 150k iterations) the policies do not leave π^D's mixture before α has annealed.</summary>
    public static AlberDiceOptions For(string env, IReadOnlyDictionary<string, double>? hyper, InSPO.Training.Profile profile)
    {
        Learners.CheckKnown("alberdice", hyper, Names);
        bool paper = profile.Name == InSPO.Training.Profiles.Paper.Name;
        var d = new AlberDiceOptions
        {
            LearningRate = paper ? 1e-4 : 1e-3, NuLearningRate = paper ? 1e-4 : 1e-3,
            BatchSize = profile.BatchSize, BehaviourSteps = profile.BehaviourSteps, Hidden = profile.Hidden,
            Window = string.Equals(env, "bridge", StringComparison.OrdinalIgnoreCase) ? InSPO.Envs.BridgeEnv.EvaluationEpisodeLimit + 1 : 0,
        };
        double G(string name, double fallback) => Learners.Get(hyper, name, fallback);
        var o = d with
        {
            AlphaStart = G("alpha_start", d.AlphaStart),
            AlphaEnd = G("alpha_end", d.AlphaEnd),
            Gamma = G("gamma", d.Gamma),
            RhoMax = G("rho_max", d.RhoMax),
            GradPenalty = G("grad_penalty", d.GradPenalty),
            CqlWeight = G("cql", d.CqlWeight),
            KlSamples = (int)G("kl_samples", d.KlSamples),
            LearningRate = G("lr", d.LearningRate),
            NuLearningRate = G("nu_lr", d.NuLearningRate),
            Hidden = (int)G("hidden", d.Hidden),
            Absorbing = G("absorbing", d.Absorbing ? 1 : 0) != 0,
            Window = (int)G("window", d.Window),
            BehaviourThroughout = G("behaviour_throughout", d.BehaviourThroughout ? 1 : 0) != 0,
        };
        if (!(o.AlphaStart > 0 && o.AlphaEnd > 0)) throw new ArgumentException($"alberdice: alpha_start = {o.AlphaStart}, alpha_end = {o.AlphaEnd} must be > 0");
        if (!(o.Gamma >= 0 && o.Gamma < 1)) throw new ArgumentException($"alberdice: gamma = {o.Gamma} must be in [0, 1)");
        if (o.Window < 0 || o.Window == 1) throw new ArgumentException($"alberdice: window = {o.Window} must be 0 (all) or ≥ 2");
        if (o.KlSamples < 1) throw new ArgumentException($"alberdice: kl_samples = {o.KlSamples} must be ≥ 1");
        return o;
    }

    /// <summary>α at DICE-phase step t of T: α_start (α_end/α_start)^(t/(T−1)).</summary>
    public double AlphaAt(long t, long total) =>
        AlphaStart * Math.Pow(AlphaEnd / AlphaStart, total <= 1 ? 1 : (double)t / (total - 1));
}
