using System.Text.Json;
using System.Text.Json.Serialization;

namespace InSPO.Envs.Smac;

/// <summary>A group of identical units created together (creation order fixes enemy ids).</summary>
public sealed record UnitGroup(UnitType Type, int Count);

/// <summary>
/// A SMAC-lite scenario, pure data: unit groups of both sides in creation order, geometry,
/// spawn and attack-move points, pathable cells, type-bit layout and episode limit.
/// Built-in maps are JSON text parsed by the same loader a user's map file goes through
/// (<see cref="SmacMaps.Load"/>), so adding a map is a data change.
/// </summary>
public sealed record SmacMap(
    string Name,
    int Width, int Height,
    int EpisodeLimit,
    IReadOnlyList<UnitGroup> Allies,
    IReadOnlyList<UnitGroup> Enemies,
    (double X, double Y) AllySpawn,
    (double X, double Y) EnemySpawn,
    (double X, double Y) AttackPoint,
    bool[] PathableCells,
    int UnitTypeBits,
    IReadOnlyList<UnitType> AllyTypeOrder,
    IReadOnlyList<UnitType> EnemyTypeOrder)
{
    public int AgentCount => Allies.Sum(g => g.Count);
    public int EnemyCount => Enemies.Sum(g => g.Count);
    /// <summary>SMAC: 6 non-attack actions (no-op, stop, N, S, E, W) + one per enemy.</summary>
    public int ActionCount => 6 + EnemyCount;
    public bool AlliesHaveShields => Allies.Any(g => g.Type.Race == Race.Protoss);
    public bool EnemiesHaveShields => Enemies.Any(g => g.Type.Race == Race.Protoss);
    public int EnemyObsFeatures => 4 + 1 + (EnemiesHaveShields ? 1 : 0) + UnitTypeBits;
    public int AllyObsFeatures => 4 + 1 + (AlliesHaveShields ? 1 : 0) + UnitTypeBits;
    public int OwnObsFeatures => 1 + (AlliesHaveShields ? 1 : 0) + UnitTypeBits;
    public int ObservationSize => 4 + EnemyCount * EnemyObsFeatures + (AgentCount - 1) * AllyObsFeatures + OwnObsFeatures;
    public int AllyStateFeatures => 4 + (AlliesHaveShields ? 1 : 0) + UnitTypeBits;
    public int EnemyStateFeatures => 3 + (EnemiesHaveShields ? 1 : 0) + UnitTypeBits;
    public int StateSize => AgentCount * AllyStateFeatures + EnemyCount * EnemyStateFeatures + AgentCount * ActionCount;

    /// <summary>SMAC's max_reward: 10 per enemy + 200 + Σ enemies (health_max + shield_max).</summary>
    public double MaxReward => Enemies.Sum(g => g.Count * (10 + g.Type.Health + g.Type.Shield)) + 200;

    /// <summary>Whether cell (x, y) lies on the map and is pathable.</summary>
    public bool IsPathable(int x, int y) => x >= 0 && y >= 0 && x < Width && y < Height && PathableCells[y * Width + x];

    /// <summary>Type index of an ally unit type in the ally one-hot (0 when there are no type bits).</summary>
    public int AllyTypeId(UnitType t) => UnitTypeBits == 0 ? 0 : IndexOf(AllyTypeOrder, t);
    /// <summary>Type index of an enemy unit type in the enemy one-hot (SMAC swaps it on 2s3z).</summary>
    public int EnemyTypeId(UnitType t) => UnitTypeBits == 0 ? 0 : IndexOf(EnemyTypeOrder, t);

    /// <summary>Rank of an ally type in <see cref="AllyTypeOrder"/> (the first key of SMAC's ally sort).</summary>
    public int AllyTypeRank(UnitType t) => IndexOf(AllyTypeOrder, t);

    private static int IndexOf(IReadOnlyList<UnitType> order, UnitType t)
    {
        for (int i = 0; i < order.Count; i++) if (ReferenceEquals(order[i], t)) return i;
        return 0;
    }
}

/// <summary>The built-in maps and the JSON map loader.</summary>
public static class SmacMaps
{
    // Pathable cells are inclusive rectangles [x0, y0, x1, y1] (notes §2.1, decoded from the .SC2Map cell flags).
    // 2s3z / 5m_vs_6m: a strip y 8..23 over the whole width. 3s_vs_5z: the cell flags mark the whole 32×32
    // pathable (SMAClite's walls contradict them; no dataset was available here to check). 6h_vs_8z: octagonal
    // plateau, x 8..21 for rows 10..17 and x 10..19 for rows 8, 9, 18, 19.
    private const string Json2s3z = """
        { "name": "2s3z", "width": 32, "height": 32, "episode_limit": 120,
          "allies":  [ { "type": "stalker", "count": 2 }, { "type": "zealot", "count": 3 } ],
          "enemies": [ { "type": "stalker", "count": 2 }, { "type": "zealot", "count": 3 } ],
          "ally_spawn": [9, 16], "enemy_spawn": [23, 16], "attack_point": [9, 16],
          "pathable": [ [0, 8, 31, 23] ],
          "unit_type_bits": 2, "ally_type_order": ["stalker", "zealot"], "enemy_type_order": ["zealot", "stalker"] }
        """;
    private const string Json3s_vs_5z = """
        { "name": "3s_vs_5z", "width": 32, "height": 32, "episode_limit": 250,
          "allies":  [ { "type": "stalker", "count": 3 } ],
          "enemies": [ { "type": "zealot", "count": 5 } ],
          "ally_spawn": [9, 16], "enemy_spawn": [23, 16], "attack_point": [9, 16],
          "pathable": [ [0, 0, 31, 31] ],
          "unit_type_bits": 0 }
        """;
    private const string Json5m_vs_6m = """
        { "name": "5m_vs_6m", "width": 32, "height": 32, "episode_limit": 70,
          "allies":  [ { "type": "marine", "count": 5 } ],
          "enemies": [ { "type": "marine", "count": 6 } ],
          "ally_spawn": [9, 16], "enemy_spawn": [23, 16], "attack_point": [9, 16],
          "pathable": [ [0, 8, 31, 23] ],
          "unit_type_bits": 0 }
        """;
    private const string Json6h_vs_8z = """
        { "name": "6h_vs_8z", "width": 32, "height": 32, "episode_limit": 150,
          "allies":  [ { "type": "hydralisk", "count": 6 } ],
          "enemies": [ { "type": "zealot", "count": 8 } ],
          "ally_spawn": [14.5998, 9.49], "enemy_spawn": [14.41, 16.7597], "attack_point": [14.5998, 9.49],
          "pathable": [ [8, 10, 21, 17], [10, 8, 19, 9], [10, 18, 19, 19] ],
          "unit_type_bits": 0 }
        """;

    /// <summary>The JSON text of a built-in map: a template for user map files.</summary>
    public static string BuiltInJson(string name) => name switch
    {
        "2s3z" => Json2s3z,
        "3s_vs_5z" => Json3s_vs_5z,
        "5m_vs_6m" => Json5m_vs_6m,
        "6h_vs_8z" => Json6h_vs_8z,
        _ => throw new ArgumentException($"unknown built-in SMAC map '{name}' (built-in: {string.Join(", ", Names)})"),
    };

    /// <summary>The four built-in maps, by name.</summary>
    public static readonly IReadOnlyDictionary<string, SmacMap> BuiltIn = new[]
    {
        Parse(Json2s3z, "built-in 2s3z"), Parse(Json3s_vs_5z, "built-in 3s_vs_5z"),
        Parse(Json5m_vs_6m, "built-in 5m_vs_6m"), Parse(Json6h_vs_8z, "built-in 6h_vs_8z"),
    }.ToDictionary(m => m.Name);

    /// <summary>Names of the built-in maps in the paper's order.</summary>
    public static readonly IReadOnlyList<string> Names = ["2s3z", "3s_vs_5z", "5m_vs_6m", "6h_vs_8z"];

    /// <summary>A built-in map by name, or a map file when <paramref name="nameOrPath"/> ends in .json.</summary>
    public static SmacMap Get(string nameOrPath)
    {
        if (BuiltIn.TryGetValue(nameOrPath, out var m)) return m;
        if (nameOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return Load(nameOrPath);
        throw new ArgumentException($"unknown SMAC map '{nameOrPath}' (built-in: {string.Join(", ", Names)}; or give a .json map file)");
    }

    /// <summary>Loads a user map from a JSON file (same format as the built-in maps).</summary>
    public static SmacMap Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"SMAC map file '{path}' does not exist", path);
        return Parse(File.ReadAllText(path), $"map file '{path}'");
    }

    private sealed class GroupDto
    {
        [JsonPropertyName("type")] public string? Type { get; set; }
        [JsonPropertyName("count")] public int Count { get; set; }
    }

    private sealed class MapDto
    {
        [JsonPropertyName("name")] public string? Name { get; set; }
        [JsonPropertyName("width")] public int Width { get; set; } = 32;
        [JsonPropertyName("height")] public int Height { get; set; } = 32;
        [JsonPropertyName("episode_limit")] public int EpisodeLimit { get; set; }
        [JsonPropertyName("allies")] public List<GroupDto>? Allies { get; set; }
        [JsonPropertyName("enemies")] public List<GroupDto>? Enemies { get; set; }
        [JsonPropertyName("ally_spawn")] public double[]? AllySpawn { get; set; }
        [JsonPropertyName("enemy_spawn")] public double[]? EnemySpawn { get; set; }
        [JsonPropertyName("attack_point")] public double[]? AttackPoint { get; set; }
        [JsonPropertyName("pathable")] public List<int[]>? Pathable { get; set; }
        [JsonPropertyName("unit_type_bits")] public int? UnitTypeBits { get; set; }
        [JsonPropertyName("ally_type_order")] public List<string>? AllyTypeOrder { get; set; }
        [JsonPropertyName("enemy_type_order")] public List<string>? EnemyTypeOrder { get; set; }
    }

    /// <summary>Parses map JSON; every error is one line naming <paramref name="source"/> and the field.</summary>
    public static SmacMap Parse(string json, string source = "map")
    {
        MapDto dto;
        try
        {
            dto = JsonSerializer.Deserialize<MapDto>(json, new JsonSerializerOptions { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
                  ?? throw new FormatException($"{source}: empty JSON");
        }
        catch (JsonException e)
        {
            throw new FormatException($"{source}: invalid JSON ({e.Message.Split('\n')[0]})");
        }
        FormatException Bad(string what) => new($"{source}: {what}");
        if (string.IsNullOrWhiteSpace(dto.Name)) throw Bad("field 'name' is missing");
        if (dto.Width <= 0 || dto.Height <= 0 || dto.Width > 1024 || dto.Height > 1024) throw Bad("'width' and 'height' must be in 1..1024");
        if (dto.EpisodeLimit <= 0) throw Bad("field 'episode_limit' is missing or not positive");
        List<UnitGroup> Groups(List<GroupDto>? list, string field)
        {
            if (list is null || list.Count == 0) throw Bad($"field '{field}' is missing or empty");
            var groups = new List<UnitGroup>();
            foreach (var g in list)
            {
                if (string.IsNullOrWhiteSpace(g.Type)) throw Bad($"a group in '{field}' has no 'type'");
                if (g.Count <= 0) throw Bad($"group '{g.Type}' in '{field}' needs a positive 'count'");
                UnitType t;
                try { t = UnitTypes.ByName(g.Type); }
                catch (ArgumentException e) { throw Bad($"'{field}': {e.Message}"); }
                groups.Add(new UnitGroup(t, g.Count));
            }
            return groups;
        }
        var allies = Groups(dto.Allies, "allies");
        var enemies = Groups(dto.Enemies, "enemies");
        (double, double) Point(double[]? p, string field)
        {
            if (p is null || p.Length != 2) throw Bad($"field '{field}' must be [x, y]");
            if (p[0] < 0 || p[1] < 0 || p[0] > dto.Width || p[1] > dto.Height) throw Bad($"'{field}' ({p[0]}, {p[1]}) lies outside the {dto.Width}x{dto.Height} map");
            return (p[0], p[1]);
        }
        var allySpawn = Point(dto.AllySpawn, "ally_spawn");
        var enemySpawn = Point(dto.EnemySpawn, "enemy_spawn");
        var attackPoint = dto.AttackPoint is null ? allySpawn : Point(dto.AttackPoint, "attack_point");
        var cells = new bool[dto.Width * dto.Height];
        if (dto.Pathable is null) Array.Fill(cells, true);
        else
            foreach (var r in dto.Pathable)
            {
                if (r is null || r.Length != 4) throw Bad("each 'pathable' entry must be [x0, y0, x1, y1] (inclusive cells)");
                if (r[0] < 0 || r[1] < 0 || r[2] >= dto.Width || r[3] >= dto.Height || r[0] > r[2] || r[1] > r[3])
                    throw Bad($"'pathable' rectangle [{string.Join(", ", r)}] is empty or leaves the map");
                for (int y = r[1]; y <= r[3]; y++)
                    for (int x = r[0]; x <= r[2]; x++) cells[y * dto.Width + x] = true;
            }
        bool Walkable((double X, double Y) p) => cells[Math.Min((int)p.Y, dto.Height - 1) * dto.Width + Math.Min((int)p.X, dto.Width - 1)];
        if (!Walkable(allySpawn)) throw Bad("'ally_spawn' is not on a pathable cell");
        if (!Walkable(enemySpawn)) throw Bad("'enemy_spawn' is not on a pathable cell");
        List<UnitType> Order(List<string>? names, List<UnitGroup> groups, string field)
        {
            var distinct = groups.Select(g => g.Type).Distinct().ToList();
            if (names is null) return distinct;
            var order = new List<UnitType>();
            foreach (var n in names)
            {
                try { order.Add(UnitTypes.ByName(n)); }
                catch (ArgumentException e) { throw Bad($"'{field}': {e.Message}"); }
            }
            foreach (var t in distinct)
                if (!order.Contains(t)) throw Bad($"'{field}' does not list '{t.Name}'");
            return order;
        }
        var allyOrder = Order(dto.AllyTypeOrder, allies, "ally_type_order");
        var enemyOrder = Order(dto.EnemyTypeOrder, enemies, "enemy_type_order");
        int distinctTypes = allies.Concat(enemies).Select(g => g.Type).Distinct().Count();
        int bits = dto.UnitTypeBits ?? (distinctTypes > 1 ? distinctTypes : 0);
        if (bits < 0) throw Bad("'unit_type_bits' must be >= 0");
        if (bits > 0 && (allyOrder.Count > bits || enemyOrder.Count > bits))
            throw Bad($"'unit_type_bits' = {bits} is fewer than the unit types in 'ally_type_order' / 'enemy_type_order'");
        return new SmacMap(dto.Name!, dto.Width, dto.Height, dto.EpisodeLimit, allies, enemies, allySpawn, enemySpawn, attackPoint,
            cells, bits, allyOrder, enemyOrder);
    }
}
