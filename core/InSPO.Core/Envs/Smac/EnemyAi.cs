namespace InSPO.Envs.Smac;

/// <summary>
/// The built-in enemy AI: at every reset each enemy is ordered to attack-move to the agents' spawn
/// point (SMAC's map trigger <c>gf_EnemyAttack</c>). While attack-moving it keeps its target if that
/// target is alive and either attacking it or still within weapon range; otherwise it acquires the
/// nearest living agent within the scan range (centre distance ≤ 5 + the target's radius), or failing
/// that the nearest agent that is attacking it (retaliation); with no target it walks on to the point.
/// Ties go to the lower unit index. This is SMAClite's approximation of SC2's acquisition rules
/// (notes §1.9, §3.1) without the threat table, which none of the four maps' units need.
/// </summary>
public static class EnemyAi
{
    /// <summary>Scan range added to the target's radius (SC2 minimum scan range).</summary>
    public const double ScanRange = 5.0;

    /// <summary>Updates enemy <paramref name="i"/>'s target for this game loop.</summary>
    public static void UpdateTarget(Simulator sim, int i)
    {
        var units = sim.Units;
        ref var u = ref units[i];
        int lo = u.Team == 1 ? 0 : sim.Agents, hi = u.Team == 1 ? sim.Agents : units.Length;
        if (u.Target >= 0)
        {
            ref var t = ref units[u.Target];
            bool keep = t.Alive && (IsAttacking(in t, i) || sim.InWeaponRange(i, u.Target));
            if (keep) return;
            u.Target = -1;
        }
        int best = -1, attacker = -1;
        double bestD = double.MaxValue, attackerD = double.MaxValue;
        for (int j = lo; j < hi; j++)
        {
            if (!units[j].Alive) continue;
            double d = sim.Distance(i, j);
            if (d <= ScanRange + units[j].Type.Radius && d < bestD) { best = j; bestD = d; }
            if (IsAttacking(in units[j], i) && d < attackerD) { attacker = j; attackerD = d; }
        }
        u.Target = best >= 0 ? best : attacker;
    }

    private static bool IsAttacking(in SimUnit t, int victim) =>
        (t.Order == OrderKind.Attack || t.Order == OrderKind.AttackMove) && t.Target == victim;
}
