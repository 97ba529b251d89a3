namespace InSPO.Envs.Smac;

/// <summary>
/// SMAC's environment interface over the SMAC-lite <see cref="Simulator"/>, with SMAC's defaults
/// (obs_all_health, obs_own_health, no obs_last_action, state_last_action, reward_only_positive,
/// reward_scale 20, death value 10, win 200). Actions: 0 no-op (dead only), 1 stop, 2–5 move
/// N/S/E/W by 2, 6+j attack enemy j. One step = 8 game loops. Feature layouts and
/// normalisations follow SMAC's <c>get_obs_agent</c> / <c>get_state</c> exactly (notes §1.3–1.10).
/// </summary>
public sealed class SmacEnv : IMultiAgentEnv
{
    /// <summary>Game loops per environment step (SMAC's step_mul).</summary>
    public const int StepMul = 8;
    /// <summary>SMAC's unit_sight_range: a unit is visible iff alive and centre distance &lt; 9.</summary>
    public const double SightRange = 9;
    /// <summary>SMAC's unit_shoot_range (the same 6 for every unit type): attack j available iff centre distance ≤ 6.</summary>
    public const double ShootRange = 6;
    /// <summary>SMAC's move_amount: a move order targets the point 2 units away.</summary>
    public const double MoveAmount = 2;
    public const double RewardDeathValue = 10, RewardWin = 200, RewardScaleRate = 20;

    public const int NoOp = 0, Stop = 1, North = 2, South = 3, East = 4, West = 5, FirstAttack = 6;

    public SmacMap Map { get; }
    public Simulator Sim { get; }
    public EnvSpec Spec { get; }
    /// <summary>Steps taken in the current episode.</summary>
    public int EpisodeSteps { get; private set; }
    /// <summary>Whether the current episode has ended (win, loss, draw or limit).</summary>
    public bool Done { get; private set; }
    /// <summary>Whether the current episode was won (all enemies dead, some agent alive).</summary>
    public bool BattleWon { get; private set; }
    /// <summary>The unscaled reward of the last step (damage + kills + win bonus, before ×20/max_reward).</summary>
    public double LastUnscaledReward { get; private set; }

    private readonly Dictionary<string, double> _info = new();
    private readonly int[] _lastActions;
    private readonly double[] _prevEnemyHealthShield;
    private readonly bool[] _enemyDeadBefore;
    private readonly int _n, _m, _nActions;

    public SmacEnv(SmacMap map)
    {
        Map = map;
        Sim = new Simulator(map);
        _n = map.AgentCount; _m = map.EnemyCount; _nActions = map.ActionCount;
        Spec = new EnvSpec(map.Name, _n, _nActions, map.ObservationSize, map.StateSize, map.EpisodeLimit);
        _lastActions = new int[_n];
        _prevEnemyHealthShield = new double[_m];
        _enemyDeadBefore = new bool[_m];
        Reset(0);
    }

    /// <summary>Environment for a built-in map name or a .json map file.</summary>
    public SmacEnv(string mapNameOrPath) : this(SmacMaps.Get(mapNameOrPath)) { }

    /// <summary>SMAC's max_reward (10 per enemy + 200 + Σ enemy health_max + shield_max).</summary>
    public double MaxReward => Map.MaxReward;

    public IReadOnlyDictionary<string, double> Info => _info;

    public void Reset(int seed)
    {
        Sim.Reset(SmacRng.Mix(seed, 0x5AC));
        EpisodeSteps = 0; Done = false; BattleWon = false; LastUnscaledReward = 0;
        Array.Fill(_lastActions, -1);
        for (int e = 0; e < _m; e++) { _enemyDeadBefore[e] = false; }
        _info["battle_won"] = 0; _info["dead_allies"] = 0; _info["dead_enemies"] = 0;
    }

    /// <summary>SMAC's can_move: the probe cell one unit away (int-truncated) is on the map and pathable.</summary>
    public bool CanMove(int agent, int moveAction)
    {
        ref readonly var u = ref Sim.Units[agent];
        double x = u.X, y = u.Y;
        switch (moveAction)
        {
            case North: y += MoveAmount / 2; break;
            case South: y -= MoveAmount / 2; break;
            case East: x += MoveAmount / 2; break;
            case West: x -= MoveAmount / 2; break;
            default: throw new ArgumentOutOfRangeException(nameof(moveAction));
        }
        return Map.IsPathable((int)x, (int)y);
    }

    /// <summary>Whether <paramref name="agent"/> may take <paramref name="action"/> now (SMAC's get_avail_agent_actions).</summary>
    public bool IsAvailable(int agent, int action)
    {
        if ((uint)action >= (uint)_nActions) return false;
        if (!Sim.Units[agent].Alive) return action == NoOp;
        if (action == NoOp) return false;
        if (action == Stop) return true;
        if (action < FirstAttack) return CanMove(agent, action);
        int e = _n + action - FirstAttack;
        return Sim.Units[e].Alive && Sim.Distance(agent, e) <= ShootRange;
    }

    public StepOutcome Step(ReadOnlySpan<int> jointAction)
    {
        if (Done) throw new InvalidOperationException($"SMAC-lite {Map.Name}: Step after the episode ended; call Reset");
        if (jointAction.Length != _n) throw new ArgumentException($"SMAC-lite {Map.Name}: expected {_n} actions, got {jointAction.Length}");
        for (int a = 0; a < _n; a++)
            if (!IsAvailable(a, jointAction[a]))
                throw new ArgumentException($"SMAC-lite {Map.Name}: agent {a} action {jointAction[a]} is not available (step {EpisodeSteps})");
        var units = Sim.Units;
        for (int e = 0; e < _m; e++)
        {
            ref var eu = ref units[_n + e];
            _prevEnemyHealthShield[e] = eu.Health + eu.Shield;
            _enemyDeadBefore[e] = !eu.Alive;
        }
        for (int a = 0; a < _n; a++)
        {
            int act = jointAction[a];
            _lastActions[a] = act;
            ref var u = ref units[a];
            switch (act)
            {
                case NoOp: break;
                case Stop: Sim.OrderStop(a); break;
                case North: Sim.OrderMove(a, u.X, u.Y + MoveAmount); break;
                case South: Sim.OrderMove(a, u.X, u.Y - MoveAmount); break;
                case East: Sim.OrderMove(a, u.X + MoveAmount, u.Y); break;
                case West: Sim.OrderMove(a, u.X - MoveAmount, u.Y); break;
                default: Sim.OrderAttack(a, _n + act - FirstAttack); break;
            }
        }
        Sim.Advance(StepMul);
        EpisodeSteps++;

        // Reward (reward_only_positive): |damage to enemy health+shield + 10 per kill|, +200 on win, scaled.
        double delta = 0, deaths = 0;
        int deadEnemies = 0, deadAllies = 0;
        for (int e = 0; e < _m; e++)
        {
            ref var eu = ref units[_n + e];
            if (!eu.Alive) deadEnemies++;
            if (_enemyDeadBefore[e]) continue;
            if (!eu.Alive) { deaths += RewardDeathValue; delta += _prevEnemyHealthShield[e]; }
            else delta += _prevEnemyHealthShield[e] - (eu.Health + eu.Shield);
        }
        for (int a = 0; a < _n; a++) if (!units[a].Alive) deadAllies++;
        double reward = Math.Abs(delta + deaths);
        bool timeLimit = false;
        if (deadEnemies == _m && deadAllies < _n) { BattleWon = true; Done = true; reward += RewardWin; }
        else if (deadAllies == _n) Done = true; // lost, or a draw when both sides died this step
        else if (EpisodeSteps >= Map.EpisodeLimit) { Done = true; timeLimit = true; }
        LastUnscaledReward = reward;
        _info["battle_won"] = BattleWon ? 1 : 0;
        _info["dead_allies"] = deadAllies;
        _info["dead_enemies"] = deadEnemies;
        return new StepOutcome((float)(reward / (Map.MaxReward / RewardScaleRate)), Done, timeLimit);
    }

    public void WriteObservations(Span<float> destination)
    {
        int size = Map.ObservationSize;
        if (destination.Length < _n * size) throw new ArgumentException($"observations need {_n * size} floats");
        for (int a = 0; a < _n; a++) WriteObservation(a, destination.Slice(a * size, size));
    }

    /// <summary>One agent's observation (SMAC's get_obs_agent): zeros when dead.</summary>
    public void WriteObservation(int agent, Span<float> o)
    {
        o.Clear();
        var units = Sim.Units;
        ref readonly var u = ref units[agent];
        if (!u.Alive) return;
        int bits = Map.UnitTypeBits;
        bool enSh = Map.EnemiesHaveShields, alSh = Map.AlliesHaveShields;
        for (int d = 0; d < 4; d++) o[d] = CanMove(agent, North + d) ? 1f : 0f;
        int off = 4, nfEn = Map.EnemyObsFeatures, nfAl = Map.AllyObsFeatures;
        for (int e = 0; e < _m; e++, off += nfEn)
        {
            ref readonly var eu = ref units[_n + e];
            if (!eu.Alive) continue;
            double dx = eu.X - u.X, dy = eu.Y - u.Y, dist = Math.Sqrt(dx * dx + dy * dy);
            if (dist >= SightRange) continue;
            o[off] = dist <= ShootRange ? 1f : 0f;
            o[off + 1] = (float)(dist / SightRange);
            o[off + 2] = (float)(dx / SightRange);
            o[off + 3] = (float)(dy / SightRange);
            int k = off + 4;
            o[k++] = (float)(eu.Health / eu.Type.Health);
            if (enSh) o[k++] = eu.Type.Shield > 0 ? (float)(eu.Shield / eu.Type.Shield) : 0f;
            if (bits > 0) o[k + Map.EnemyTypeId(eu.Type)] = 1f;
        }
        for (int j = 0; j < _n; j++)
        {
            if (j == agent) continue;
            ref readonly var al = ref units[j];
            if (al.Alive)
            {
                double dx = al.X - u.X, dy = al.Y - u.Y, dist = Math.Sqrt(dx * dx + dy * dy);
                if (dist < SightRange)
                {
                    o[off] = 1f;
                    o[off + 1] = (float)(dist / SightRange);
                    o[off + 2] = (float)(dx / SightRange);
                    o[off + 3] = (float)(dy / SightRange);
                    int k = off + 4;
                    o[k++] = (float)(al.Health / al.Type.Health);
                    if (alSh) o[k++] = al.Type.Shield > 0 ? (float)(al.Shield / al.Type.Shield) : 0f;
                    if (bits > 0) o[k + Map.AllyTypeId(al.Type)] = 1f;
                }
            }
            off += nfAl;
        }
        {
            int k = off;
            o[k++] = (float)(u.Health / u.Type.Health);
            if (alSh) o[k++] = u.Type.Shield > 0 ? (float)(u.Shield / u.Type.Shield) : 0f;
            if (bits > 0) o[k + Map.AllyTypeId(u.Type)] = 1f;
        }
    }

    /// <summary>The global state (SMAC's get_state with state_last_action): ally rows, enemy rows, last actions.</summary>
    public void WriteState(Span<float> s)
    {
        if (s.Length < Map.StateSize) throw new ArgumentException($"state needs {Map.StateSize} floats");
        s = s[..Map.StateSize];
        s.Clear();
        var units = Sim.Units;
        int bits = Map.UnitTypeBits;
        bool enSh = Map.EnemiesHaveShields, alSh = Map.AlliesHaveShields;
        double cx = Map.Width / 2.0, cy = Map.Height / 2.0;
        int nfAl = Map.AllyStateFeatures, nfEn = Map.EnemyStateFeatures;
        for (int a = 0; a < _n; a++)
        {
            ref readonly var u = ref units[a];
            if (!u.Alive) continue;
            int k = a * nfAl;
            s[k] = (float)(u.Health / u.Type.Health);
            s[k + 1] = (float)(Math.Max(u.Cooldown, 0) / u.Type.SmacMaxCooldown);
            s[k + 2] = (float)((u.X - cx) / Map.Width);
            s[k + 3] = (float)((u.Y - cy) / Map.Height);
            if (alSh) s[k + 4] = u.Type.Shield > 0 ? (float)(u.Shield / u.Type.Shield) : 0f;
            if (bits > 0) s[k + nfAl - bits + Map.AllyTypeId(u.Type)] = 1f;
        }
        int baseE = _n * nfAl;
        for (int e = 0; e < _m; e++)
        {
            ref readonly var u = ref units[_n + e];
            if (!u.Alive) continue;
            int k = baseE + e * nfEn;
            s[k] = (float)(u.Health / u.Type.Health);
            s[k + 1] = (float)((u.X - cx) / Map.Width);
            s[k + 2] = (float)((u.Y - cy) / Map.Height);
            if (enSh) s[k + 3] = u.Type.Shield > 0 ? (float)(u.Shield / u.Type.Shield) : 0f;
            if (bits > 0) s[k + nfEn - bits + Map.EnemyTypeId(u.Type)] = 1f;
        }
        int baseA = baseE + _m * nfEn;
        for (int a = 0; a < _n; a++)
            if (_lastActions[a] >= 0) s[baseA + a * _nActions + _lastActions[a]] = 1f;
    }

    public void WriteAvailableActions(Span<bool> destination)
    {
        if (destination.Length < _n * _nActions) throw new ArgumentException($"action masks need {_n * _nActions} entries");
        for (int a = 0; a < _n; a++)
            for (int k = 0; k < _nActions; k++) destination[a * _nActions + k] = IsAvailable(a, k);
    }
}
