namespace InSPO.Envs.Smac;

/// <summary>A scripted joint policy for SMAC-lite: fills one available action per agent.
/// Scripted policies read the simulator directly (positions, health); they are references, not learners.</summary>
public interface ISmacPolicy
{
    string Name { get; }
    void Act(SmacEnv env, Span<int> actions, ref SmacRng rng);
}

/// <summary>The reference policies: random, attack-nearest, focus-fire.</summary>
public static class ScriptedPolicies
{
    public static readonly ISmacPolicy Random = new RandomPolicy();
    public static readonly ISmacPolicy AttackNearest = new AttackNearestPolicy();
    public static readonly ISmacPolicy FocusFire = new FocusFirePolicy();
    public static readonly IReadOnlyList<ISmacPolicy> All = [Random, AttackNearest, FocusFire];

    /// <summary>"random", "attack-nearest" or "focus-fire".</summary>
    public static ISmacPolicy ByName(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown SMAC policy '{name}' (known: {string.Join(", ", All.Select(p => p.Name))})");

    /// <summary>Uniform over each agent's available actions.</summary>
    private sealed class RandomPolicy : ISmacPolicy
    {
        public string Name => "random";
        public void Act(SmacEnv env, Span<int> actions, ref SmacRng rng)
        {
            int nA = env.Spec.Actions;
            Span<int> avail = stackalloc int[nA];
            for (int a = 0; a < env.Spec.Agents; a++)
            {
                int c = 0;
                for (int k = 0; k < nA; k++) if (env.IsAvailable(a, k)) avail[c++] = k;
                actions[a] = avail[rng.NextInt(c)];
            }
        }
    }

    /// <summary>Attack the nearest living enemy when it is attackable, else move towards it.</summary>
    private sealed class AttackNearestPolicy : ISmacPolicy
    {
        public string Name => "attack-nearest";
        public void Act(SmacEnv env, Span<int> actions, ref SmacRng rng)
        {
            for (int a = 0; a < env.Spec.Agents; a++)
            {
                if (!env.Sim.Units[a].Alive) { actions[a] = SmacEnv.NoOp; continue; }
                int e = Nearest(env, a);
                if (e < 0) { actions[a] = SmacEnv.Stop; continue; }
                int attack = SmacEnv.FirstAttack + e - env.Sim.Agents;
                actions[a] = env.IsAvailable(a, attack) ? attack : MoveTowards(env, a, e);
            }
        }
    }

    /// <summary>Focus fire, one target for the team: among the enemies some agent can attack from where it stands
    /// (attackable and within weapon reach), the one with the least health + shield, ties broken by how many agents
    /// reach it, then by the summed distance. Every agent that reaches the team's target attacks it; the others
    /// attack the weakest enemy within their own reach, else the nearest enemy if attackable (the order closes
    /// in), else move towards it. Choosing per agent instead splits the fire at the start, when every enemy is at
    /// full health and each agent's "weakest" is just its nearest.</summary>
    private sealed class FocusFirePolicy : ISmacPolicy
    {
        public string Name => "focus-fire";
        public void Act(SmacEnv env, Span<int> actions, ref SmacRng rng)
        {
            var units = env.Sim.Units;
            int n = env.Sim.Agents;
            int target = -1, targetReach = 0;
            double targetHp = double.MaxValue, targetD = double.MaxValue;
            for (int e = n; e < units.Length; e++)
            {
                int reach = 0;
                double d = 0;
                for (int a = 0; a < n; a++)
                    if (Reaches(env, a, e)) { reach++; d += env.Sim.Distance(a, e); }
                if (reach == 0) continue;
                double hp = units[e].Health + units[e].Shield;
                if (hp < targetHp || (hp == targetHp && (reach > targetReach || (reach == targetReach && d < targetD))))
                    (target, targetHp, targetReach, targetD) = (e, hp, reach, d);
            }
            for (int a = 0; a < n; a++)
            {
                if (!units[a].Alive) { actions[a] = SmacEnv.NoOp; continue; }
                if (target >= 0 && Reaches(env, a, target)) { actions[a] = SmacEnv.FirstAttack + target - n; continue; }
                int best = -1;
                double bestHp = double.MaxValue, bestD = double.MaxValue;
                for (int e = n; e < units.Length; e++)
                {
                    if (!Reaches(env, a, e)) continue;
                    double hp = units[e].Health + units[e].Shield, d = env.Sim.Distance(a, e);
                    if (hp < bestHp || (hp == bestHp && d < bestD)) { bestHp = hp; bestD = d; best = e; }
                }
                if (best >= 0) { actions[a] = SmacEnv.FirstAttack + best - n; continue; }
                int near = Nearest(env, a);
                if (near < 0) { actions[a] = SmacEnv.Stop; continue; }
                int attack = SmacEnv.FirstAttack + near - n;
                actions[a] = env.IsAvailable(a, attack) ? attack : MoveTowards(env, a, near);
            }
        }

        /// <summary>Whether living agent a can attack enemy e from where it stands.</summary>
        static bool Reaches(SmacEnv env, int a, int e) =>
            env.Sim.Units[a].Alive && env.IsAvailable(a, SmacEnv.FirstAttack + e - env.Sim.Agents) && env.Sim.InWeaponRange(a, e);
    }

    /// <summary>Index (unit index) of the nearest living enemy of agent <paramref name="a"/>, or −1.</summary>
    public static int Nearest(SmacEnv env, int a)
    {
        var units = env.Sim.Units;
        int best = -1;
        double bestD = double.MaxValue;
        for (int e = env.Sim.Agents; e < units.Length; e++)
        {
            if (!units[e].Alive) continue;
            double d = env.Sim.Distance(a, e);
            if (d < bestD) { bestD = d; best = e; }
        }
        return best;
    }

    /// <summary>The available cardinal move that best reduces the distance to unit <paramref name="target"/>
    /// (larger axis first), else stop.</summary>
    public static int MoveTowards(SmacEnv env, int a, int target)
    {
        ref readonly var u = ref env.Sim.Units[a];
        ref readonly var t = ref env.Sim.Units[target];
        double dx = t.X - u.X, dy = t.Y - u.Y;
        int h = dx >= 0 ? SmacEnv.East : SmacEnv.West, v = dy >= 0 ? SmacEnv.North : SmacEnv.South;
        (int first, int second) = Math.Abs(dx) >= Math.Abs(dy) ? (h, v) : (v, h);
        if (env.IsAvailable(a, first)) return first;
        if (env.IsAvailable(a, second)) return second;
        return SmacEnv.Stop;
    }
}
