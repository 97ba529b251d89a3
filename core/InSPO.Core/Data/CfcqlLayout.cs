using InSPO.Envs;
using PureHDF;

namespace InSPO.Data;

/// <summary>
/// The HDF5 layout of the CFCQL authors' SMAC datasets (<c>{map}_{tier}.h5</c>, also re-hosted by OG-MARL),
/// shared by <see cref="CfcqlImporter"/> and <see cref="CfcqlExporter"/>. One HDF5 dataset per key at the root,
/// laid out [episodes, T1 = episode limit + 1 rows, …]. An episode of L steps fills rows 0..L: rows before L
/// hold what the agents saw before acting, the action and the reward; row L the final observation, state and
/// mask (reward 0, terminated 0); later rows are zeros. <c>terminated</c> is 1 on row L − 1 for a win, a loss
/// and a time-out alike.
/// </summary>
public static class CfcqlLayout
{
    /// <summary>How one key is stored: its element type (class, size in bytes, signedness for integers), the
    /// NumPy name of that type, and the names of its axes after (episodes, rows).</summary>
    public sealed record Key(string Name, H5DataTypeClass Class, int Size, bool Signed, string Dtype, string[] Axes)
    {
        /// <summary>The shape <paramref name="episodes"/> episodes of <paramref name="spec"/> have under this key.</summary>
        public long[] Shape(EnvSpec spec, long episodes) =>
            [episodes, spec.EpisodeLimit + 1, .. Axes.Select(axis => (long)AxisSize(spec, axis))];
    }

    // Axis names double as the words of error messages ("observation size 54, expected 55").
    internal const string AgentsAxis = "agents", ObservationAxis = "observation size", StateAxis = "state size",
        ActionsAxis = "actions", OneAxis = "trailing axis";

    private static int AxisSize(EnvSpec spec, string axis) => axis switch
    {
        AgentsAxis => spec.Agents,
        ObservationAxis => spec.ObservationSize,
        StateAxis => spec.StateSize,
        ActionsAxis => spec.Actions,
        OneAxis => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(axis), axis, "unknown axis"),
    };

    private static Key Float32(string name, params string[] axes) => new(name, H5DataTypeClass.FloatingPoint, 4, true, "float32", axes);
    private static Key Integer(string name, int size, bool signed, params string[] axes) =>
        new(name, H5DataTypeClass.FixedPoint, size, signed, (signed ? "int" : "uint") + (8 * size), axes);

    public static readonly Key State = Float32("state", StateAxis);
    public static readonly Key Obs = Float32("obs", AgentsAxis, ObservationAxis);
    public static readonly Key Actions = Integer("actions", 8, true, AgentsAxis, OneAxis);
    public static readonly Key AvailActions = Integer("avail_actions", 4, true, AgentsAxis, ActionsAxis);
    /// <summary>The behaviour policy's probabilities: zeros in the published files; importers ignore it.</summary>
    public static readonly Key Probs = Float32("probs", AgentsAxis, ActionsAxis);
    public static readonly Key Reward = Float32("reward", OneAxis);
    public static readonly Key Terminated = Integer("terminated", 1, false, OneAxis);
    public static readonly Key Filled = Integer("filled", 8, true, OneAxis);

    /// <summary>Every key, in the order CFCQL's writer creates them.</summary>
    public static IReadOnlyList<Key> Keys { get; } = [State, Obs, Actions, AvailActions, Probs, Reward, Terminated, Filled];

    /// <summary>Episodes read or written at a time: 64 episodes of 3s_vs_5z (the widest map per episode,
    /// 251 rows) are ≈ 18 MB of observations, so memory beside the dataset stays small.</summary>
    public const int ChunkEpisodes = 64;

    /// <summary>The built-in map a file is named after (<c>5m_vs_6m_expert.h5</c> → 5m_vs_6m), or null.</summary>
    public static string? MapFromFileName(string path)
    {
        var name = Path.GetFileName(path);
        // Longest first: no built-in name is a prefix of another today, but a future one might be.
        return Envs.Smac.SmacMaps.Names.OrderByDescending(m => m.Length)
            .FirstOrDefault(m => name.StartsWith(m + "_", StringComparison.Ordinal));
    }

    /// <summary>The environment sizes a SMAC map's files have.</summary>
    public static EnvSpec SpecOf(Envs.Smac.SmacMap map) =>
        new(map.Name, map.AgentCount, map.ActionCount, map.ObservationSize, map.StateSize, map.EpisodeLimit);
}
