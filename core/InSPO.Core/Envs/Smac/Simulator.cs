namespace InSPO.Envs.Smac;

/// <summary>What a unit is doing. Agents' units only do what they are told (SMAC's <c>*_RL</c> units are
/// passive); enemies attack-move.</summary>
public enum OrderKind { Idle, Move, Attack, AttackMove }

/// <summary>One unit's full state. Health 0 means dead.</summary>
public struct SimUnit
{
    public UnitType Type;
    /// <summary>0 = the agents' side, 1 = the built-in AI's side.</summary>
    public int Team;
    public double X, Y;
    public double Health, Shield;
    /// <summary>Weapon cooldown in game loops; the unit may fire when it is ≤ 0.</summary>
    public double Cooldown;
    /// <summary>Game loops since the unit last took damage (drives shield regeneration).</summary>
    public int LoopsSinceDamage;
    public OrderKind Order;
    /// <summary>Attack target (unit index) of an Attack order, or the AI's current target; −1 when none.</summary>
    public int Target;
    /// <summary>Destination of a Move or AttackMove order.</summary>
    public double GoalX, GoalY;
    public readonly bool Alive => Health > 0;
}

/// <summary>A shot fired during a step, for replays.</summary>
public readonly record struct AttackEvent(int Loop, int Attacker, int Target);

/// <summary>
/// The deterministic SMAC-lite combat simulator: a continuous 2-D map stepped in StarCraft II game
/// loops (16 per game second, Normal speed). Per loop: (1) enemy AI target upkeep, (2) desired
/// velocities from orders (attack orders chase until in range, then stand), (3) movement with
/// terrain sliding and movers sliding around units that stand still, (4) pairwise separation of overlapping units, (5) cooldowns tick, (6) attacks in
/// a seeded random unit order (instant damage: shields first, then health minus armour, minimum 0.5;
/// bonus per hit; next cooldown = period + uniform {−1, 0, 1, 2} loops), (7) shield and health
/// regeneration. Units 0..Agents−1 are the agents (sorted by type, x, y as SMAC does), the rest are
/// enemies in creation order. Everything random comes from one <see cref="SmacRng"/>, so a seed and
/// the orders fix the episode.
/// </summary>
public sealed class Simulator
{
    public SmacMap Map { get; }
    public int Agents { get; }
    public int Enemies { get; }
    /// <summary>All units: agents first, then enemies.</summary>
    public SimUnit[] Units { get; }
    /// <summary>Game loops since the episode began.</summary>
    public int Loop { get; private set; }
    /// <summary>When non-null, every shot is appended here (replays).</summary>
    public List<AttackEvent>? AttackLog { get; set; }

    /// <summary>Separation iterations per loop.</summary>
    public const int SeparationIterations = 2;

    private SmacRng _rng;
    private readonly int[] _order;
    private readonly bool[] _moved;
    private readonly double[] _dx, _dy;
    private readonly (double X, double Y)[] _allySpawnLayout, _enemySpawnLayout;
    private readonly UnitType[] _allyTypes, _enemyTypes;

    public Simulator(SmacMap map)
    {
        Map = map;
        Agents = map.AgentCount;
        Enemies = map.EnemyCount;
        Units = new SimUnit[Agents + Enemies];
        _order = new int[Units.Length];
        _moved = new bool[Units.Length];
        _dx = new double[Units.Length];
        _dy = new double[Units.Length];
        _allyTypes = map.Allies.SelectMany(g => Enumerable.Repeat(g.Type, g.Count)).ToArray();
        _enemyTypes = map.Enemies.SelectMany(g => Enumerable.Repeat(g.Type, g.Count)).ToArray();
        _allySpawnLayout = SpawnLayout(map, _allyTypes, map.AllySpawn);
        _enemySpawnLayout = SpawnLayout(map, _enemyTypes, map.EnemySpawn);
    }

    /// <summary>Spawns every unit and orders the enemies to attack-move to the map's attack point.</summary>
    public void Reset(ulong seed)
    {
        _rng = new SmacRng(seed);
        Loop = 0;
        AttackLog?.Clear();
        // Agents: created in map order, then sorted by (type id, x, y) as SMAC's init_units does.
        var idx = Enumerable.Range(0, Agents).ToArray();
        Array.Sort(idx, (a, b) =>
        {
            int c = Map.AllyTypeRank(_allyTypes[a]).CompareTo(Map.AllyTypeRank(_allyTypes[b]));
            if (c != 0) return c;
            c = _allySpawnLayout[a].X.CompareTo(_allySpawnLayout[b].X);
            return c != 0 ? c : _allySpawnLayout[a].Y.CompareTo(_allySpawnLayout[b].Y);
        });
        for (int i = 0; i < Agents; i++)
            Units[i] = NewUnit(_allyTypes[idx[i]], 0, _allySpawnLayout[idx[i]], OrderKind.Idle, default);
        for (int e = 0; e < Enemies; e++)
            Units[Agents + e] = NewUnit(_enemyTypes[e], 1, _enemySpawnLayout[e], OrderKind.AttackMove, Map.AttackPoint);
    }

    private static SimUnit NewUnit(UnitType t, int team, (double X, double Y) p, OrderKind order, (double X, double Y) goal) => new()
    {
        Type = t, Team = team, X = p.X, Y = p.Y, Health = t.Health, Shield = t.Shield, Cooldown = 0,
        LoopsSinceDamage = 0, Order = order, Target = -1, GoalX = goal.X, GoalY = goal.Y,
    };

    /// <summary>
    /// Positions for a group created around <paramref name="point"/>: each unit in creation order takes the
    /// nearest free pathable spot (candidates on a 1/8-unit grid, ties broken by angle), as SC2's
    /// "create units at point" places units at the nearest placeable positions.
    /// </summary>
    public static (double X, double Y)[] SpawnLayout(SmacMap map, UnitType[] types, (double X, double Y) point)
    {
        var candidates = new List<(double Dist, double Angle, double X, double Y)>();
        const double step = 0.125;
        for (int i = -48; i <= 48; i++)
            for (int j = -48; j <= 48; j++)
            {
                double dx = i * step, dy = j * step;
                candidates.Add((Math.Sqrt(dx * dx + dy * dy), Math.Atan2(dy, dx), point.X + dx, point.Y + dy));
            }
        candidates.Sort((a, b) => a.Dist != b.Dist ? a.Dist.CompareTo(b.Dist) : a.Angle.CompareTo(b.Angle));
        var placed = new (double X, double Y)[types.Length];
        for (int u = 0; u < types.Length; u++)
        {
            bool found = false;
            foreach (var c in candidates)
            {
                double r = types[u].Radius;
                if (c.X - r < 0 || c.Y - r < 0 || c.X + r > map.Width || c.Y + r > map.Height) continue;
                if (!map.IsPathable((int)c.X, (int)c.Y)) continue;
                bool free = true;
                for (int v = 0; v < u && free; v++)
                {
                    double ddx = placed[v].X - c.X, ddy = placed[v].Y - c.Y, rr = r + types[v].Radius;
                    free = ddx * ddx + ddy * ddy >= rr * rr - 1e-9;
                }
                if (!free) continue;
                placed[u] = (c.X, c.Y);
                found = true;
                break;
            }
            if (!found) throw new InvalidOperationException($"map {map.Name}: no free spawn position for unit {u} near ({point.X}, {point.Y})");
        }
        return placed;
    }

    // ---- orders -------------------------------------------------------------------------------

    /// <summary>Stop: stand still, no auto-attack (agents' units are passive).</summary>
    public void OrderStop(int i) { ref var u = ref Units[i]; u.Order = OrderKind.Idle; u.Target = -1; }

    /// <summary>Move towards a point (replaces the previous order).</summary>
    public void OrderMove(int i, double x, double y) { ref var u = ref Units[i]; u.Order = OrderKind.Move; u.Target = -1; u.GoalX = x; u.GoalY = y; }

    /// <summary>Attack a unit: chase it until in range, then fire whenever the weapon is ready, until it dies.</summary>
    public void OrderAttack(int i, int target) { ref var u = ref Units[i]; u.Order = OrderKind.Attack; u.Target = target; }

    // ---- geometry -----------------------------------------------------------------------------

    public double Distance(int a, int b)
    {
        double dx = Units[a].X - Units[b].X, dy = Units[a].Y - Units[b].Y;
        return Math.Sqrt(dx * dx + dy * dy);
    }

    /// <summary>Edge-to-edge distance (centre distance minus both radii).</summary>
    public double EdgeDistance(int a, int b) => Distance(a, b) - Units[a].Type.Radius - Units[b].Type.Radius;

    /// <summary>Whether <paramref name="a"/>'s weapon reaches <paramref name="b"/> (edge to edge ≤ range).</summary>
    public bool InWeaponRange(int a, int b) => EdgeDistance(a, b) <= Units[a].Type.Range + 1e-9;

    // ---- simulation ---------------------------------------------------------------------------

    /// <summary>Advances <paramref name="loops"/> game loops.</summary>
    public void Advance(int loops)
    {
        for (int l = 0; l < loops; l++) Tick();
    }

    private void Tick()
    {
        var units = Units;
        int n = units.Length;
        // (1) enemy AI target upkeep.
        for (int i = Agents; i < n; i++)
            if (units[i].Alive && units[i].Order == OrderKind.AttackMove) EnemyAi.UpdateTarget(this, i);

        // (2) desired displacement this loop.
        for (int i = 0; i < n; i++)
        {
            _moved[i] = false;
            _dx[i] = _dy[i] = 0;
            ref var u = ref units[i];
            if (!u.Alive) continue;
            double step = u.Type.SpeedPerLoop;
            if (u.Order == OrderKind.Attack && !units[u.Target].Alive) { u.Order = OrderKind.Idle; u.Target = -1; }
            if ((u.Order == OrderKind.Attack || u.Order == OrderKind.AttackMove) && u.Target >= 0)
            {
                ref var t = ref units[u.Target];
                double dx = t.X - u.X, dy = t.Y - u.Y, d = Math.Sqrt(dx * dx + dy * dy);
                double edge = d - u.Type.Radius - t.Type.Radius;
                if (edge > u.Type.Range + 1e-9 && d > 0)
                {
                    double go = Math.Min(step, edge - u.Type.Range + 0.01);
                    _dx[i] = dx / d * go; _dy[i] = dy / d * go;
                    _moved[i] = true;
                }
            }
            else if (u.Order == OrderKind.Move || u.Order == OrderKind.AttackMove)
            {
                double dx = u.GoalX - u.X, dy = u.GoalY - u.Y, d = Math.Sqrt(dx * dx + dy * dy);
                if (d <= step)
                {
                    _dx[i] = dx; _dy[i] = dy;
                    if (u.Order == OrderKind.Move) u.Order = OrderKind.Idle;
                }
                else { _dx[i] = dx / d * step; _dy[i] = dy / d * step; }
                _moved[i] = d > 1e-12;
            }
        }

        // (3) movement; a mover that would run into a unit standing still slides around it (tangentially,
        // at its own speed) instead of pushing it, as SC2 units path around stationary blockers.
        for (int i = 0; i < n; i++)
        {
            if (!_moved[i]) continue;
            ref var u = ref units[i];
            double sx = _dx[i], sy = _dy[i], len = Math.Sqrt(sx * sx + sy * sy);
            int block = -1;
            double worst = 0;
            for (int j = 0; j < n; j++)
            {
                if (j == i || _moved[j] || !units[j].Alive) continue;
                double rx = units[j].X - u.X - sx, ry = units[j].Y - u.Y - sy, rr = u.Type.Radius + units[j].Type.Radius;
                double pen = rr * rr - (rx * rx + ry * ry);
                if (pen > worst) { worst = pen; block = j; }
            }
            if (block >= 0)
            {
                double rx = units[block].X - u.X, ry = units[block].Y - u.Y, d = Math.Sqrt(rx * rx + ry * ry);
                if (d > 1e-9)
                {
                    double nx = rx / d, ny = ry / d, along = sx * nx + sy * ny;
                    if (along > 0)
                    {
                        double cross = nx * sy - ny * sx, side = cross >= 0 ? 1 : -1;
                        double tx = -ny * side, ty = nx * side;
                        double normal = Math.Min(along, Math.Max(0, d - u.Type.Radius - units[block].Type.Radius));
                        double tang = Math.Sqrt(Math.Max(0, len * len - normal * normal));
                        sx = nx * normal + tx * tang; sy = ny * normal + ty * tang;
                    }
                }
            }
            MoveBy(ref u, sx, sy);
        }

        // (4) separation: push overlapping pairs apart; a unit standing still is pushed a quarter as much.
        for (int it = 0; it < SeparationIterations; it++)
            for (int i = 0; i < n; i++)
            {
                if (!units[i].Alive) continue;
                for (int j = i + 1; j < n; j++)
                {
                    if (!units[j].Alive) continue;
                    double dx = units[j].X - units[i].X, dy = units[j].Y - units[i].Y;
                    double rr = units[i].Type.Radius + units[j].Type.Radius;
                    double d2 = dx * dx + dy * dy;
                    if (d2 >= rr * rr) continue;
                    double d = Math.Sqrt(d2);
                    if (d < 1e-9) { dx = i < j ? 1e-3 : -1e-3; dy = 0; d = 1e-3; } // coincident: push along x by index
                    double overlap = rr - d;
                    double wi = _moved[i] ? 1.0 : 0.25, wj = _moved[j] ? 1.0 : 0.25;
                    double si = overlap * wi / (wi + wj), sj = overlap * wj / (wi + wj);
                    MoveBy(ref units[i], -dx / d * si, -dy / d * si);
                    MoveBy(ref units[j], dx / d * sj, dy / d * sj);
                }
            }

        // (5) cooldowns.
        for (int i = 0; i < n; i++)
            if (units[i].Alive && units[i].Cooldown > 0) units[i].Cooldown -= 1;

        // (6) attacks in a seeded random order (SC2's update order within a loop is random).
        for (int i = 0; i < n; i++) _order[i] = i;
        for (int i = n - 1; i > 0; i--) { int k = _rng.NextInt(i + 1); (_order[i], _order[k]) = (_order[k], _order[i]); }
        for (int k = 0; k < n; k++)
        {
            int i = _order[k];
            ref var u = ref units[i];
            if (!u.Alive || u.Target < 0 || u.Cooldown > 0) continue;
            if (u.Order != OrderKind.Attack && u.Order != OrderKind.AttackMove) continue;
            if (!units[u.Target].Alive || !InWeaponRange(i, u.Target)) continue;
            Fire(i, u.Target);
            u.Cooldown = Math.Max(u.Cooldown, -1) + u.Type.CooldownLoops + _rng.NextInclusive(-1, 2);
        }

        // (7) regeneration.
        for (int i = 0; i < n; i++)
        {
            ref var u = ref units[i];
            if (!u.Alive) continue;
            u.LoopsSinceDamage++;
            if (u.Type.Shield > 0 && u.Shield < u.Type.Shield && u.LoopsSinceDamage >= u.Type.ShieldRegenDelaySeconds * UnitTypes.LoopsPerSecond)
                u.Shield = Math.Min(u.Type.Shield, u.Shield + u.Type.ShieldRegenPerSecond / UnitTypes.LoopsPerSecond);
            if (u.Type.HealthRegenPerSecond > 0 && u.Health < u.Type.Health)
                u.Health = Math.Min(u.Type.Health, u.Health + u.Type.HealthRegenPerSecond / UnitTypes.LoopsPerSecond);
        }
        Loop++;
    }

    /// <summary>One volley of <paramref name="a"/> on <paramref name="t"/>: every hit takes shields first, then
    /// health minus armour (minimum 0.5 per hit); bonus damage is added per hit. Public for rule tests.</summary>
    public void Fire(int a, int t)
    {
        AttackLog?.Add(new AttackEvent(Loop, a, t));
        var at = Units[a].Type;
        ref var tu = ref Units[t];
        double hit = at.HitDamageOn(tu.Type);
        for (int h = 0; h < at.Attacks && tu.Alive; h++) ApplyHit(ref tu, hit);
    }

    /// <summary>Applies one hit of <paramref name="damage"/> to a unit (shields, then armour-reduced health).</summary>
    public static void ApplyHit(ref SimUnit u, double damage)
    {
        double rest = damage;
        if (u.Shield > 0)
        {
            double absorbed = Math.Min(u.Shield, rest);
            u.Shield -= absorbed;
            rest -= absorbed;
        }
        if (rest > 0) u.Health -= Math.Max(rest - u.Type.Armour, 0.5);
        u.LoopsSinceDamage = 0;
        if (u.Health <= 0) { u.Health = 0; u.Shield = 0; u.Order = OrderKind.Idle; u.Target = -1; }
    }

    /// <summary>Moves a unit, sliding along unpathable cells and staying inside the map.</summary>
    private void MoveBy(ref SimUnit u, double dx, double dy)
    {
        double r = u.Type.Radius;
        double nx = Math.Clamp(u.X + dx, r, Map.Width - r), ny = Math.Clamp(u.Y + dy, r, Map.Height - r);
        if (Map.IsPathable((int)nx, (int)ny)) { u.X = nx; u.Y = ny; }
        else if (Map.IsPathable((int)nx, (int)u.Y)) u.X = nx;
        else if (Map.IsPathable((int)u.X, (int)ny)) u.Y = ny;
    }
}
