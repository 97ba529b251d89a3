namespace InSPO.Algorithms;

/// <summary>
/// Every option of OMAR (<see cref="Omar"/>). Hyperparameter names (RunSpec.Hyperparameters) are in
/// <see cref="Names"/>. Sources: the discrete OMAR of the CFCQL repository (`learners/omar_learner.py`,
/// `algs/baseline_omar.yaml`; notes §3.4), which is what the InSPO paper's OMAR numbers on discrete tasks come from,
/// and the original continuous OMAR (`continuous/algorithms/maddpg_cc.py`) where the discrete code has no counterpart.
/// </summary>
public sealed record OmarOptions
{
    /// <summary>omar_coe: weight of the "policy → best action" regulariser (τ of Pan et al. 2022's rectified actor objective);
    /// 0.5 in the discrete code (the continuous default is 1.0, where the actor also has its Q-maximising term).</summary>
    public double OmarCoe { get; init; } = 0.5;
    /// <summary>CQL weight α of the critic's conservative term (Pan et al.'s CQL critic): 5.0 in the discrete code
    /// (cql_alpha; the continuous code uses 1.0). Measured (quick, exact XOR return of the final policy, seeds 0–2):
    /// dataset (b) cql 5 → (A,A) 0.00 in 3/3, cql 1 → the OOD (B,B) −2.00 in 3/3 (the paper's −2.00); dataset (a)
    /// ≈ 0.00–0.01 at either weight (paper 1.00): each independent critic sees Q(A) = Q(B) = 1, a tie the per-agent
    /// argmax cannot break, so the policies stay near uniform. The default stays the discrete code's 5.</summary>
    public double CqlWeight { get; init; } = 5.0;
    /// <summary>Discount (0.99, the discrete code's and AlberDICE's for the 50-step repeated games).</summary>
    public double Gamma { get; init; } = 0.99;
    /// <summary>Polyak rate of the target critic and target actor: 0.01, the original OMAR's soft update (the discrete
    /// code copies them every 200 episodes instead; see the header of <see cref="Omar"/>).</summary>
    public double Tau { get; init; } = 0.01;
    /// <summary>Adam learning rate of actor and critic (1e-3 in the discrete code, both).</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Gradient-norm clip of actor and critic (grad_norm_clip 10 in the discrete code).</summary>
    public double GradClip { get; init; } = 10;
    /// <summary>Hidden units of actor and critic (the profile's; SPEC 3's 256 at the paper profile).</summary>
    public int Hidden { get; init; } = 256;
    /// <summary>Transitions per batch (the profile's).</summary>
    public int BatchSize { get; init; } = 256;

    public static readonly string[] Names = { "omar_coe", "cql", "gamma", "tau", "lr", "grad_clip", "hidden" };

    /// <summary>The defaults above (the same for every environment: OMAR's code has one configuration for its
    /// discrete tasks), the profile's batch and width, then overrides.</summary>
    public static OmarOptions For(string env, IReadOnlyDictionary<string, double>? hyper, InSPO.Training.Profile profile)
    {
        Learners.CheckKnown("omar", hyper, Names);
        var d = new OmarOptions { BatchSize = profile.BatchSize, Hidden = profile.Hidden };
        double G(string name, double fallback) => Learners.Get(hyper, name, fallback);
        var o = d with
        {
            OmarCoe = G("omar_coe", d.OmarCoe),
            CqlWeight = G("cql", d.CqlWeight),
            Gamma = G("gamma", d.Gamma),
            Tau = G("tau", d.Tau),
            LearningRate = G("lr", d.LearningRate),
            GradClip = G("grad_clip", d.GradClip),
            Hidden = (int)G("hidden", d.Hidden),
        };
        if (!(o.OmarCoe >= 0 && o.OmarCoe <= 1)) throw new ArgumentException($"omar: omar_coe = {o.OmarCoe} must be in [0, 1]");
        if (!(o.Tau > 0 && o.Tau <= 1)) throw new ArgumentException($"omar: tau = {o.Tau} must be in (0, 1]");
        return o;
    }
}
