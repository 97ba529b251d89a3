namespace InSPO.Algorithms;

/// <summary>
/// Every option of OMIGA (Wang et al. 2023b; SPEC 8). Hyperparameter names are in <see cref="Names"/>. Defaults
/// are the authors' (both branches of `ZhengYinan-AIR/OMIGA`, notes §4): nothing here was tuned on the games.
/// "OMIGA (relaxed)" (InSPO's Figure 3) is the same learner with a smaller regularisation temperature
/// <c>alpha</c>; the value the experiments use is chosen in experiments/fig3_xor_policies.fsx (see there).
/// </summary>
public sealed record OmigaOptions
{
    /// <summary>Regularisation temperature α of the implicit value regulariser (α = 10, hard-coded in both branches).</summary>
    public double Alpha { get; init; } = 10;
    /// <summary>Discount (0.99).</summary>
    public double Gamma { get; init; } = 0.99;
    /// <summary>Polyak rate of the target Q, V and mixer (0.005).</summary>
    public double Tau { get; init; } = 0.005;
    /// <summary>Adam learning rate of actor, Q + mixer, and V (5e-4).</summary>
    public double LearningRate { get; init; } = 5e-4;
    /// <summary>Gradient-norm clip of each of the three optimisers (1.0).</summary>
    public double GradClip { get; init; } = 1.0;
    /// <summary>Hidden units of the per-agent Q, V and actor MLPs (the profile's; the authors' 256).</summary>
    public int Hidden { get; init; } = 256;
    /// <summary>Hidden units of the mixer's state embedding (`hyper_hidden_dim` 64).</summary>
    public int MixerHidden { get; init; } = 64;
    /// <summary>Transitions per batch (from the profile on games and Bridge; the authors' 128 on SMAC-lite).</summary>
    public int BatchSize { get; init; } = 256;
    /// <summary>The Q, V and actor networks: null on games and Bridge (one MLP per agent of <see cref="Hidden"/> units, and
    /// absent from the run record so the games' records stay as they were); on SMAC-lite the SMAC branch's one MLP shared
    /// by all agents with the agent id appended.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public InSPO.Nets.AgentNetworkOptions? Network { get; init; }

    public static readonly string[] Names = { "alpha", "gamma", "tau", "lr", "grad_clip", "hidden", "mixer_hidden" };

    /// <summary>The authors' defaults for every environment, then overrides.</summary>
    /// <remarks>Measured with these defaults (quick profile, seeds 0–4, exact expected return of the stochastic
    /// joint policy): XOR (a) 0.00 ± 0.01, (b) 0.20 ± 0.00, (c) 0.05 ± 0.01 (paper 0.00, 0.21, 0.05): at α = 10 the
    /// policy is μⁱ·exp(w̄ᵢQ̄ⁱ/α), close to behaviour cloning. M-NE balanced 4.89 ± 0.14, imbalanced 3.69 ± 0.06.
    /// Relaxed α (XOR (b)): α = 1 gives −0.18 ± 0.01 (π(B) ≈ 0.58, the closed form predicts −0.175), α = 0.1 gives
    /// −2.00 ± 0.00 (the OOD (B,B) on every seed: Figure 3's behaviour, hence the relaxed value 0.1).
    /// Bridge (quick, 4000 steps, return_normalised): optimal 0.73 ± 0.07, mixed 0.05 ± 0.02; at the current budget
    /// (8000 × 256, stop 9): optimal 0.73 ± 0.18, mixed 0.16 ± 0.05, optimal-reference 0.68 ± 0.16, mixed-reference
    /// 0.09 ± 0.01.</remarks>
    /// <remarks>SMAC-lite maps take the SMAC branch's settings (notes §4.4): one MLP shared across agents on [oⁱ, id],
    /// 256 units, batch 128 transitions, at every profile but smoke (the profile's width and batch, to keep CI fast).
    /// Measured on 5m_vs_6m at quick (1 CPU thread, the shared 2-core machine): 3.6–4.3 CPU-seconds per 100 steps at
    /// 256 units and batch 128 (1.7 at 64 units; the quick profile's 1800 steps ≈ 70 CPU-seconds), so quick keeps the code's width;
    /// win rate of the greedy policy after quick (seed 0, 32 episodes): 5m_vs_6m expert tier 1.00 (data 0.998), medium 0.22
    /// (data 0.20), 2s3z medium 0.09 (data 0.27): no gain over the data on the medium tiers (at α = 10 the policy
    /// is μⁱ·exp(w̄ᵢQ̄ⁱ/α), near behaviour cloning). One seed each: indications, not results.</remarks>
    public static OmigaOptions For(InSPO.Envs.EnvSpec spec, IReadOnlyDictionary<string, double>? hyper, InSPO.Training.Profile profile)
    {
        Learners.CheckKnown("omiga", hyper, Names);
        bool smac = InSPO.Nets.AgentNetworks.IsSmac(spec), smoke = profile.Name == "smoke";
        var d = !smac
            ? new OmigaOptions { BatchSize = profile.BatchSize, Hidden = profile.Hidden }
            : new OmigaOptions { BatchSize = smoke ? profile.BatchSize : 128, Hidden = smoke ? profile.Hidden : 256 };
        double G(string name, double fallback) => Learners.Get(hyper, name, fallback);
        var o = d with
        {
            Alpha = G("alpha", d.Alpha),
            Gamma = G("gamma", d.Gamma),
            Tau = G("tau", d.Tau),
            LearningRate = G("lr", d.LearningRate),
            GradClip = G("grad_clip", d.GradClip),
            Hidden = (int)G("hidden", d.Hidden),
            MixerHidden = (int)G("mixer_hidden", d.MixerHidden),
        };
        // the shared network's width follows "hidden" like the per-agent one's
        if (smac) o = o with { Network = new InSPO.Nets.AgentNetworkOptions(InSPO.Nets.AgentNetworkKind.Mlp, true, true, false, o.Hidden) };
        if (!(o.Alpha > 0)) throw new ArgumentException($"omiga: alpha = {o.Alpha} must be > 0");
        return o;
    }
}
