namespace InSPO.Envs.Smac;

/// <summary>StarCraft II race; decides whether SMAC's feature vectors carry a shield column.</summary>
public enum Race { Terran, Protoss, Zerg }

/// <summary>
/// One unit type's combat statistics, all in StarCraft II <b>Normal</b>-speed units
/// (16 game loops per game second). Speeds are map units per game second, cooldowns are game
/// seconds, ranges and radii are map units; weapon range is measured edge to edge.
/// </summary>
/// <param name="Name">Lower-case id used by maps and map files ("marine", "stalker", ...).</param>
/// <param name="Race">Race (Protoss units have shields).</param>
/// <param name="Health">Maximum health.</param>
/// <param name="Shield">Maximum shield (0 for non-Protoss).</param>
/// <param name="ShieldRegenPerSecond">Shield regeneration per game second once regeneration has started.</param>
/// <param name="ShieldRegenDelaySeconds">Game seconds without taking damage before shields regenerate.</param>
/// <param name="HealthRegenPerSecond">Health regeneration per game second (Zerg), always on while alive.</param>
/// <param name="Armour">Health armour, subtracted from every hit that reaches health (shield armour is 0).</param>
/// <param name="Damage">Damage per hit.</param>
/// <param name="Attacks">Hits per volley (zealot 2).</param>
/// <param name="BonusVsArmoured">Extra damage per hit against Armoured targets.</param>
/// <param name="BonusVsLight">Extra damage per hit against Light targets.</param>
/// <param name="CooldownSeconds">Weapon period in game seconds (Normal speed).</param>
/// <param name="Range">Weapon range, edge to edge (melee 0.1).</param>
/// <param name="Sight">Sight range of the unit in SC2 (SMAC's interface ignores it and uses 9 for all).</param>
/// <param name="Speed">Movement speed, map units per game second (Normal speed).</param>
/// <param name="Radius">Collision radius.</param>
/// <param name="Armoured">Has the Armoured attribute (else Light).</param>
/// <param name="SmacMaxCooldown">SMAC's <c>unit_max_cooldown</c> constant (game loops) dividing the state's cooldown feature.</param>
public sealed record UnitType(
    string Name, Race Race,
    double Health, double Shield, double ShieldRegenPerSecond, double ShieldRegenDelaySeconds, double HealthRegenPerSecond,
    double Armour, double Damage, int Attacks, double BonusVsArmoured, double BonusVsLight,
    double CooldownSeconds, double Range, double Sight, double Speed, double Radius,
    bool Armoured, double SmacMaxCooldown)
{
    /// <summary>Weapon period in game loops (16 per game second).</summary>
    public double CooldownLoops => CooldownSeconds * UnitTypes.LoopsPerSecond;
    /// <summary>Distance moved per game loop.</summary>
    public double SpeedPerLoop => Speed / UnitTypes.LoopsPerSecond;
    /// <summary>Has the Light attribute (every unit here that is not Armoured).</summary>
    public bool Light => !Armoured;
    /// <summary>Damage of one hit on <paramref name="target"/> before shields and armour: base plus the bonus
    /// against the target's attribute (Armoured or Light).</summary>
    public double HitDamageOn(UnitType target) => Damage + (target.Armoured ? BonusVsArmoured : BonusVsLight);
}

/// <summary>
/// The unit table. Source: StarCraft II 4.10 data as read from the SMAC map files
/// (<c>Marine_RL</c>, <c>Stalker_RL</c>, <c>Zealot_RL</c>, <c>Hydralisk_RL</c>: health, shield, armour,
/// speed, radius, regeneration) and the LotV weapon data published by Liquipedia and mirrored in
/// SMAClite's <c>smaclite_units/*.json</c> and JaxMARL SMAX's <c>smax_env.py</c> (damage, bonus, range,
/// cooldown), converted from "Faster" to Normal speed (speed ÷ 1.4, cooldown × 1.4). Collected in
/// <c>shared/notes/smac-semantics.md</c> §2.2 and SPEC §5.3.
/// </summary>
public static class UnitTypes
{
    /// <summary>StarCraft II game loops per game second at Normal speed.</summary>
    public const double LoopsPerSecond = 16.0;

    //                                   name         race           hp   sh  shRg delay hpRg   arm dmg att +arm +lt  cd(s)   range sight speed   radius armoured smacMaxCd
    public static readonly UnitType Marine    = new("marine",    Race.Terran,  45,  0, 0, 10, 0,       0, 6,  1, 0, 0, 0.8608, 5,    9,  2.25,   0.375, false, 15);
    public static readonly UnitType Stalker   = new("stalker",   Race.Protoss, 80, 80, 2, 10, 0,       1, 13, 1, 5, 0, 1.87,   6,   10,  2.9531, 0.625, true,  35);
    public static readonly UnitType Zealot    = new("zealot",    Race.Protoss, 100, 50, 2, 10, 0,      1, 8,  2, 0, 0, 1.2,    0.1,  9,  2.25,   0.5,   false, 22);
    public static readonly UnitType Hydralisk = new("hydralisk", Race.Zerg,    80,  0, 0, 10, 0.2734,  0, 12, 1, 0, 0, 0.83,   5,    9,  2.25,   0.625, false, 10);
    public static readonly UnitType Zergling  = new("zergling",  Race.Zerg,    35,  0, 0, 10, 0.2734,  0, 5,  1, 0, 0, 0.696,  0.1,  8,  2.9531, 0.375, false, 11);

    /// <summary>All built-in unit types.</summary>
    public static readonly IReadOnlyList<UnitType> All = [Marine, Stalker, Zealot, Hydralisk, Zergling];

    /// <summary>Looks a unit type up by name (case-insensitive); throws with the known names listed.</summary>
    public static UnitType ByName(string name) =>
        All.FirstOrDefault(u => string.Equals(u.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown unit type '{name}' (known: {string.Join(", ", All.Select(u => u.Name))})");
}
