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

    /// <summary>Focus fire: among the attackable enemies already within the unit's weapon reach, attack the one
    /// with the least health + shield (nearest on ties); with none within reach, attack the nearest enemy
    /// if attackable (the order closes in), else move towards it.</summary>
    private sealed class FocusFirePolicy : ISmacPolicy
    {
        public string Name => "focus-fire";
        public void Act(SmacEnv env, Span<int> actions, ref SmacRng rng)
        {
            var units = env.Sim.Units;
            int n = env.Sim.Agents;
            for (int a = 0; a < n; a++)
            {
                if (!units[a].Alive) { actions[a] = SmacEnv.NoOp; continue; }
                int best = -1;
                double bestHp = double.MaxValue, bestD = double.MaxValue;
                for (int e = n; e < units.Length; e++)
                {
                    if (!env.IsAvailable(a, SmacEnv.FirstAttack + e - n) || !env.Sim.InWeaponRange(a, e)) continue;
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
