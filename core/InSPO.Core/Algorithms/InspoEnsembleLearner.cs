using InSPO.Data;
using InSPO.Envs;
using InSPO.Nets;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Algorithms;

/// <summary>
/// What the feed-forward InSPO ensemble (<see cref="InspoEnsemble"/>) and the recurrent one
/// (<see cref="InspoEpisodesEnsemble"/>) share, as <see cref="InspoLearner"/> does for the single runs: the role
/// ensembles (π and μ of the subclass's kind; Q, Q̄ as <see cref="EnsembleMlp"/>s, row j·S + s = agent j of seed s;
/// μ^{-i} per agent), one log α per member, the members' own loss coefficients (α fixed or auto-tuned towards its own
/// D̄_KL, β₀ and its schedule: <see cref="InspoOptions.PerMember"/>; every other option is shared), the optimisers (π and Q by <see cref="MemberAdam"/>, only the rows a slot
/// updates step; μ with μ^{-i} and log α by Adam), the checkpointed modules, the two phases, the losses every round
/// ends with, and the divergence rule: a member whose loss is not finite ends the round at once and returns its losses
/// so far; the group runner then stops the whole group naming its seed (a NaN ρ would make the next resampling fail).
/// </summary>
public abstract class InspoEnsembleLearner<TPolicy> : EnsembleLearner where TPolicy : nn.Module
{
    /// <summary>The options every member shares (member 0's; members differ at most in <see cref="InspoOptions.PerMember"/>).</summary>
    protected readonly InspoOptions o;
    protected readonly IReadOnlyList<InspoOptions> memberOptions;
    protected readonly int N, A, S;
    protected readonly Device device;
    protected readonly TPolicy pi, mu;
    protected readonly EnsembleMlp q, qTarget;
    protected readonly EnsembleAutoregressiveBehaviour[] muMinus;
    protected readonly LogAlpha logAlpha;
    protected readonly MemberAdam piOpt, qOpt;
    protected readonly optim.Optimizer muOpt, alphaOpt;
    protected readonly Tensor memberIndex;   // 0..S−1
    readonly Tensor alphaFixed, alphaAuto;   // S: each member's fixed α, whether its α is tuned
    protected readonly Tensor klTarget;      // S: each member's D̄_KL (Eq. 25)

    /// <summary>The role ensembles, copied from the members' single learners.</summary>
    protected sealed record Roles(TPolicy Pi, TPolicy Mu, EnsembleMlp Q, EnsembleMlp QTarget, EnsembleAutoregressiveBehaviour[] MuMinus);

    protected InspoEnsembleLearner(EnvSpec spec, IReadOnlyList<InspoOptions> members, Device device, Roles roles) : base("inspo", members[0], members.Count)
    {
        memberOptions = members;
        o = members[0];
        N = spec.Agents;
        A = spec.Actions;
        S = members.Count;
        this.device = device;
        (pi, mu, q, qTarget, muMinus) = (roles.Pi, roles.Mu, roles.Q, roles.QTarget, roles.MuMinus);
        foreach (var p in qTarget.parameters()) p.requires_grad = false;
        logAlpha = new LogAlpha(members.Select(m => m.Alpha).ToArray(), device);
        memberIndex = arange(S, dtype: int64, device: device);
        alphaFixed = tensor(members.Select(m => (float)m.Alpha).ToArray(), device: device);
        alphaAuto = tensor(members.Select(m => m.AlphaAuto).ToArray(), device: device);
        klTarget = tensor(members.Select(m => (float)m.KlTarget).ToArray(), device: device);

        piOpt = new MemberAdam("pi_adam", pi.parameters(), o.LearningRate);
        qOpt = new MemberAdam("q_adam", q.parameters(), o.LearningRate);
        muOpt = optim.Adam(mu.parameters().Concat(muMinus.SelectMany(m => m.parameters())), o.LearningRate);
        alphaOpt = optim.Adam(logAlpha.parameters(), o.AlphaLearningRate);
        Modules = new (string, nn.Module)[] { ("pi", pi), ("mu", mu), ("q", q), ("q_target", qTarget) }
            .Concat(muMinus.Select((m, i) => ($"mu_minus{i}", (nn.Module)m)))
            .Concat(new (string, nn.Module)[] { ("log_alpha", logAlpha), ("pi_adam", piOpt), ("q_adam", qOpt) }).ToArray();
        Optimizers = new (string, optim.Optimizer)[] { ("mu", muOpt), ("log_alpha", alphaOpt) };
    }

    /// <summary>The members' options, checked before any network is built (a subclass's base call passes them first):
    /// one per initial generator, differing at most in <see cref="InspoOptions.PerMember"/>.</summary>
    protected static IReadOnlyList<InspoOptions> Checked(IReadOnlyList<InspoOptions> members, IReadOnlyList<Generator> inits) =>
        members.Count == inits.Count ? InspoOptions.CheckGroup(members)
        : throw new ArgumentException($"inspo: {members.Count} members' options for {inits.Count} members");

    /// <summary>The role ensembles from the members' single learners (each built from its member's options and
    /// generator: the weights its single run starts from; disposed here), π and μ batched by <paramref name="policy"/>
    /// (role name, network of a single learner → the subclass's kind).</summary>
    protected static Roles RolesOf(IReadOnlyList<InspoLearner> singles, EnvSpec spec, Device device, Func<string, Func<InspoLearner, AgentNetwork>, TPolicy> policy)
    {
        int n = spec.Agents;
        var roles = new Roles(policy("pi", s => s.Networks.Pi), policy("mu", s => s.Networks.Mu),
            AgentMajor("q", singles, s => s.Networks.Q, n, device), AgentMajor("q_target", singles, s => s.Networks.QTarget, n, device),
            Ensembles.TeammateModels(singles, s => s.Networks.MuMinus, n, spec.Actions, device));
        foreach (var s in singles) s.Dispose();
        return roles;
    }

    /// <summary>Agent j of every member as one <see cref="EnsembleMlp"/> per role, agent-major (row j·S + s).</summary>
    protected static EnsembleMlp AgentMajor<TSingle>(string name, IReadOnlyList<TSingle> singles, Func<TSingle, AgentNetwork> net, int agents, Device device) =>
        new(name, Enumerable.Range(0, agents).SelectMany(j => singles.Select(s => (Mlp)net(s).Member(j))).ToArray(), device);

    public override IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> Step(long step, long totalSteps, IReadOnlyList<DeviceEpisodeBuffer> data,
                                                                                    IReadOnlyList<Generator> generators) =>
        step < o.BehaviourSteps
            ? BehaviourStep(data, generators)
            : Round(step - o.BehaviourSteps, Math.Max(1, totalSteps - o.BehaviourSteps), data, generators);

    /// <summary>Phase 1: one step of μⁱ (Eq. 21) and μ^{-i} (Eq. 22) for every agent of every member.</summary>
    protected abstract IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> BehaviourStep(IReadOnlyList<DeviceEpisodeBuffer> data, IReadOnlyList<Generator> generators);

    /// <summary>Phase 2: round <paramref name="t"/> of <paramref name="total"/> for every member.</summary>
    protected abstract IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> Round(long t, long total, IReadOnlyList<DeviceEpisodeBuffer> data,
                                                                                      IReadOnlyList<Generator> generators);

    /// <summary>The behaviour phase's losses per member: S × N of each.</summary>
    protected IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> BehaviourLosses(Tensor muLoss, Tensor teamLoss) =>
        Ensembles.PerMember(S, Enumerable.Range(0, N)
            .SelectMany(i => new[] { ($"loss/mu{i}", muLoss.select(1, i)), ($"loss/mu_minus{i}", teamLoss.select(1, i)) }).ToArray());

    public override object MemberOptions(int k) => memberOptions[k];

    /// <summary>Diagnostics: member k's <see cref="InspoLearner.TargetActionValues"/> (Q̄ⁱ(s,·) of every agent, rows
    /// i·S + k) at global states K × state → K × N × A.</summary>
    public Tensor MemberTargetActionValues(int k, Tensor states)
    {
        using var _ = no_grad();
        return stack(Enumerable.Range(0, N).Select(i => qTarget.ForwardMember(i * S + k, states)).ToArray(), 1);
    }

    /// <summary>α per member as S × 1 (its fixed α, or exp(log α) when auto-tuned), without gradient.</summary>
    protected Tensor AlphaPerMember()
    {
        using var _ = no_grad();
        return where(alphaAuto, logAlpha.Value.exp(), alphaFixed).view(S, 1);
    }

    /// <summary>β per member at policy-phase step t of T as S × 1 (each member's own schedule), and as numbers.</summary>
    protected (Tensor Beta, double[] Values) BetaPerMember(long t, long total)
    {
        var values = memberOptions.Select(m => m.BetaAt(t, total)).ToArray();
        return (tensor(values.Select(v => (float)v).ToArray(), device: device).view(S, 1), values);
    }

    /// <summary>Eq. 25 per member: minimise α_s · <paramref name="klGap"/>_s (Σᵢ KL(πⁱ‖μⁱ) − D̄_KL, S, without
    /// gradient) over its log α; returns the loss per member. A member with a fixed α contributes no gradient (its
    /// log α, unused, stays where it started).</summary>
    protected Tensor AlphaStep(Tensor klGap)
    {
        var loss = logAlpha.Value.exp() * klGap.masked_fill(alphaAuto.logical_not(), 0);
        alphaOpt.zero_grad();
        loss.sum().backward();
        alphaOpt.step();
        return loss.detach();
    }

    /// <summary>What every round reports after its agents' losses: the mean ρ over the round, β, the α loss (auto-tuned
    /// α; <paramref name="klGap"/> then steps log α) and α after the round.</summary>
    protected void EndRound(List<KeyValuePair<string, double>>[] losses, Tensor rhoMean, double[] beta, Func<Tensor>? klGap)
    {
        var rhoHost = rhoMean.cpu().data<float>().ToArray();
        var alphaLoss = memberOptions.Any(m => m.AlphaAuto) && klGap is not null ? AlphaStep(klGap()).cpu().data<float>().ToArray() : null;
        var alphaNow = AlphaPerMember().cpu().data<float>().ToArray();
        for (int s = 0; s < S; s++)
        {
            losses[s].Add(new("train/rho_mean", rhoHost[s]));
            losses[s].Add(new("train/beta", beta[s]));
            if (alphaLoss is not null && memberOptions[s].AlphaAuto) losses[s].Add(new("loss/alpha", alphaLoss[s]));
            losses[s].Add(new("train/alpha", alphaNow[s]));
        }
    }

    /// <summary>An agent's losses of one slot, per member (member s updated agent <paramref name="agentOf"/>[s]).</summary>
    protected static void AddSlotLosses(List<KeyValuePair<string, double>>[] losses, int[] agentOf, float[] td, float[] cql, float[] policy)
    {
        for (int s = 0; s < losses.Length; s++)
        {
            int i = agentOf[s];
            losses[s].Add(new($"loss/critic{i}", td[s]));
            losses[s].Add(new($"loss/cql{i}", cql[s]));
            losses[s].Add(new($"loss/policy{i}", policy[s]));
        }
    }

    /// <summary>Each member's own agent: x with members first and agents at <paramref name="dim"/>, agents S (int64) →
    /// x without that dimension.</summary>
    protected static Tensor OfAgents(Tensor x, Tensor agents, int dim)
    {
        var view = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
        view[0] = x.shape[0];
        var shape = x.shape.ToArray();
        shape[dim] = 1;
        return x.gather(dim, agents.view(view).expand(shape)).squeeze(dim);
    }

    /// <summary>True (and the members' losses so far completed with the non-finite ones) when a member's loss is not finite.</summary>
    protected static bool Diverged(List<KeyValuePair<string, double>>[] losses, Tensor agents, params (string Name, float[] Values)[] values)
    {
        if (values.All(v => v.Values.All(float.IsFinite))) return false;
        var agent = agents.cpu().data<long>().ToArray();
        for (int s = 0; s < losses.Length; s++)
            foreach (var (name, v) in values)
                losses[s].Add(new($"loss/{name}{agent[s]}", v[s]));
        return true;
    }
}
