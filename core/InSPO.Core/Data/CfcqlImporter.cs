using System.Text.Json.Nodes;
using InSPO.Envs;
using PureHDF;
using PureHDF.Selections;
using PureHDF.VOL.Native;

namespace InSPO.Data;

/// <summary>
/// Imports a CFCQL SMAC dataset (<c>{map}_{tier}.h5</c>, layout in <see cref="CfcqlLayout"/>) into the project's
/// format. The file is read <see cref="CfcqlLayout.ChunkEpisodes"/> episodes at a time, straight into the arrays of
/// the resulting <see cref="EpisodeDataset"/> (a real file is ≈ 1.4 GB: only one chunk's integer fields are held
/// beside the result). The file marks rows 0..L of an L-step episode as filled; here <c>filled</c> marks the L
/// steps and slot L keeps the final observation, state and mask. The files store a time-out as terminated, and
/// the dataset says so (<see cref="TimeLimitConvention.StoredAsTerminated"/>). <c>probs</c> is ignored (zeros in
/// the published files) and may be absent; the action on row L is ignored. Every refusal is a one-line
/// <see cref="DatasetFormatException"/> naming the file, the key and the element.
/// </summary>
public static class CfcqlImporter
{
    /// <summary>The generator name recorded in the manifest of an imported dataset.</summary>
    public const string GeneratorName = "cfcql-hdf5";

    static readonly CfcqlLayout.Key[] Required =
    [
        CfcqlLayout.State, CfcqlLayout.Obs, CfcqlLayout.Actions, CfcqlLayout.AvailActions,
        CfcqlLayout.Reward, CfcqlLayout.Terminated, CfcqlLayout.Filled,
    ];

    /// <param name="file">The .h5 file.</param>
    /// <param name="spec">The environment the file must match (<see cref="CfcqlLayout.SpecOf"/> of the map);
    /// its name is recorded in the dataset.</param>
    /// <param name="progress">Receives the number of episodes read after each chunk.</param>
    /// <param name="chunkEpisodes">Episodes read at a time.</param>
    public static EpisodeDataset Import(string file, EnvSpec spec, IProgress<int>? progress = null,
                                        int chunkEpisodes = CfcqlLayout.ChunkEpisodes)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkEpisodes, 1);
        if (Directory.Exists(file)) throw new DatasetFormatException($"{file}: is a folder, not an HDF5 file");
        if (!File.Exists(file)) throw new DatasetFormatException($"{file}: file does not exist");
        NativeFile h5;
        try { h5 = H5File.OpenRead(file); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new DatasetFormatException($"{file}: not a readable HDF5 file ({e.Message})", e);
        }
        using (h5) return new Reader(file, h5, spec).Read(progress, chunkEpisodes);
    }

    /// <summary>The number of episodes the file says it holds (the first dimension of <c>filled</c>), for a
    /// progress bar; 0 when it cannot be told (<see cref="Import"/> then names the problem).</summary>
    public static int CountEpisodes(string file)
    {
        try
        {
            using var h5 = H5File.OpenRead(file);
            return h5.LinkExists(CfcqlLayout.Filled.Name) && h5.Get(CfcqlLayout.Filled.Name) is IH5Dataset ds
                   && ds.Space.Dimensions is [var episodes, ..] && episodes <= int.MaxValue ? (int)episodes : 0;
        }
        catch (Exception e) when (e is not OutOfMemoryException) { return 0; }
    }

    /// <summary>Imports and saves atomically as a project dataset (generator "cfcql-hdf5" with the source file).</summary>
    public static EpisodeDataset ImportTo(string file, EnvSpec spec, string outFolder, IProgress<int>? progress = null)
    {
        var data = Import(file, spec, progress);
        var generator = new JsonObject { ["name"] = GeneratorName, ["source"] = Path.GetFullPath(file), ["map"] = spec.Name };
        DatasetStore.Save(outFolder, data, generator, seed: null);
        return data;
    }

    /// <summary>One import: the open file, its checked keys and the dataset being filled.</summary>
    private sealed class Reader
    {
        readonly string _label;
        readonly NativeFile _h5;
        readonly EnvSpec _spec;
        readonly Dictionary<string, NativeDataset> _keys = new();
        readonly Dictionary<string, H5DatasetAccess> _access = new();
        readonly int _t1, _n, _a;

        public Reader(string label, NativeFile h5, EnvSpec spec)
        {
            _label = label;
            _h5 = h5;
            _spec = spec;
            _t1 = spec.EpisodeLimit + 1;
            _n = spec.Agents;
            _a = spec.Actions;
        }

        DatasetFormatException Bad(string problem) => new($"{_label}: {problem}");

        /// <summary>Opens every required key and checks its element type and shape against the environment;
        /// returns the episode count.</summary>
        int CheckKeys(int chunkEpisodes)
        {
            foreach (var key in Required)
                if (!_h5.LinkExists(key.Name))
                    throw Bad($"missing key '{key.Name}' (a CFCQL file has {string.Join(", ", Required.Select(k => k.Name))})");
            long episodes = -1;
            string? first = null;
            foreach (var key in Required)
            {
                if (_h5.Get(key.Name) is not NativeDataset ds) throw Bad($"'{key.Name}' is not a dataset");
                var type = ds.Type;
                bool typeOk = type.Class == key.Class && type.Size == key.Size
                    && (type.Class != H5DataTypeClass.FixedPoint || type.FixedPoint.IsSigned == key.Signed);
                if (!typeOk) throw Bad($"'{key.Name}' has dtype {Describe(type)}, expected {key.Dtype}");

                var dims = ds.Space.Dimensions.Select(d => (long)d).ToArray();
                if (first is null) { episodes = dims.Length > 0 ? dims[0] : 0; first = key.Name; }
                var expected = key.Shape(_spec, episodes);
                if (dims.Length != expected.Length)
                    throw Bad($"'{key.Name}' has rank {dims.Length} (shape {Npy.FormatShape(dims)}), expected {expected.Length}: " +
                              $"(episodes, rows, {string.Join(", ", key.Axes)})");
                if (dims[0] != episodes) throw Bad($"'{key.Name}' has {dims[0]} episodes, but '{first}' has {episodes}");
                if (dims[1] != expected[1])
                    throw Bad($"'{key.Name}' has {dims[1]} rows per episode, expected {expected[1]} " +
                              $"({_spec.Name}'s episode limit {_spec.EpisodeLimit} + 1; shape {Npy.FormatShape(dims)})");
                for (int i = 2; i < dims.Length; i++)
                    if (dims[i] != expected[i])
                        throw Bad($"'{key.Name}' has {key.Axes[i - 2]} {dims[i]}, expected {expected[i]} for {_spec.Name} " +
                                  $"(shape {Npy.FormatShape(dims)})");
                _keys[key.Name] = ds;
                if (CacheFor(ds, chunkEpisodes) is { } access) _access[key.Name] = access;
            }
            if (episodes == 0) throw Bad("holds no episodes");
            if (episodes > int.MaxValue) throw Bad($"{episodes} episodes are more than one dataset can hold");
            return (int)episodes;
        }

        public EpisodeDataset Read(IProgress<int>? progress, int chunkEpisodes)
        {
            int episodes = CheckKeys(chunkEpisodes);
            var data = EpisodeDataset.Empty(_spec, episodes);
            data.TimeLimits = TimeLimitConvention.StoredAsTerminated;   // the files store a time-out as terminated

            // The integer fields need converting: one chunk of each, reused.
            int chunk = Math.Min(chunkEpisodes, episodes);
            var filled = new long[chunk * _t1];
            var terminated = new byte[chunk * _t1];
            var actions = new long[chunk * _t1 * _n];
            var avail = new int[chunk * _t1 * _n * _a];
            var lengths = new int[chunk];

            for (int e0 = 0; e0 < episodes; e0 += chunk)
            {
                int k = Math.Min(chunk, episodes - e0);
                int rows = k * _t1, first = e0 * _t1;
                ReadInto(CfcqlLayout.Filled, e0, k, filled.AsSpan(0, rows));
                for (int i = 0; i < k; i++) lengths[i] = EpisodeLength(e0 + i, filled.AsSpan(i * _t1, _t1));

                // Floats go straight into the dataset; what lies after an episode's rows is cleared.
                int o = _spec.ObservationSize, s = _spec.StateSize;
                ReadInto(CfcqlLayout.Obs, e0, k, data.Observations.AsSpan(first * _n * o, rows * _n * o));
                ReadInto(CfcqlLayout.State, e0, k, data.States.AsSpan(first * s, rows * s));
                ReadInto(CfcqlLayout.Reward, e0, k, data.Rewards.AsSpan(first, rows));
                ReadInto(CfcqlLayout.AvailActions, e0, k, avail.AsSpan(0, rows * _n * _a));
                ReadInto(CfcqlLayout.Actions, e0, k, actions.AsSpan(0, rows * _n));
                ReadInto(CfcqlLayout.Terminated, e0, k, terminated.AsSpan(0, rows));

                for (int i = 0; i < k; i++)
                {
                    int e = e0 + i, length = lengths[i];
                    int after = data.SlotIndex(e, length + 1), rest = (e + 1) * _t1 - after;
                    data.Observations.AsSpan(after * _n * o, rest * _n * o).Clear();
                    data.States.AsSpan(after * s, rest * s).Clear();
                    data.Rewards.AsSpan(after - 1, rest + 1).Clear();   // row L's reward too: it is no step's
                    for (int t = 0; t <= length; t++)
                        CopyRow(data, avail, actions, terminated, e, i * _t1 + t, t, length);
                }
                progress?.Report(e0 + k);
            }
            if (data.FindValueProblem() is { } problem) throw Bad(problem);
            return data;
        }

        /// <summary>Checks and converts one filled row (t ≤ L) of episode e; <paramref name="row"/> indexes the chunk.</summary>
        void CopyRow(EpisodeDataset data, int[] avail, long[] actions, byte[] terminated, int e, int row, int t, int length)
        {
            int slot = data.SlotIndex(e, t);
            for (int n = 0; n < _n; n++)
                for (int a = 0; a < _a; a++)
                {
                    var v = avail[(row * _n + n) * _a + a];
                    if (v is not (0 or 1)) throw Bad($"'avail_actions' is {v} at episode {e}, row {t}, agent {n}, action {a}; expected 0 or 1");
                    data.AvailableActions[(slot * _n + n) * _a + a] = v == 1;
                }
            if (t == length) return;   // row L: the final observation; its action and reward are no step's

            for (int n = 0; n < _n; n++)
            {
                var action = actions[row * _n + n];
                if (action < 0 || action >= _a)
                    throw Bad($"'actions' is {action} at episode {e}, row {t}, agent {n}; expected 0..{_a - 1}");
                if (!data.AvailableActions[(slot * _n + n) * _a + action])
                    throw Bad($"'actions': episode {e}, row {t}, agent {n} takes action {action}, which 'avail_actions' marks unavailable");
                data.Actions[slot * _n + n] = (int)action;
            }
            var end = terminated[row];
            if (end is not (0 or 1)) throw Bad($"'terminated' is {end} at episode {e}, row {t}; expected 0 or 1");
            if (end == 1 && t != length - 1)
                throw Bad($"'terminated' is set at episode {e}, row {t}, before the episode's last step (row {length - 1})");
            data.Terminated[slot] = end == 1;
            data.Filled[slot] = true;
        }

        /// <summary>L from the filled rows 0..L of episode e, refusing gaps and values other than 0 and 1.</summary>
        int EpisodeLength(int e, ReadOnlySpan<long> filled)
        {
            int count = 0;
            while (count < filled.Length && filled[count] == 1) count++;
            for (int t = count; t < filled.Length; t++)
            {
                if (filled[t] == 0) continue;
                if (filled[t] == 1)
                    throw Bad($"'filled' has a gap in episode {e}: row {t} is filled after unfilled row {count} (an episode fills rows 0..L)");
                throw Bad($"'filled' is {filled[t]} at episode {e}, row {t}; expected 0 or 1");
            }
            if (count < 2)
                throw Bad($"'filled' marks {count} row(s) of episode {e}; expected at least 2 (a step and the final observation)");
            return count - 1;
        }

        /// <summary>Reads episodes [e0, e0 + k) of a key into <paramref name="target"/> (row-major, as stored).</summary>
        void ReadInto<T>(CfcqlLayout.Key key, int e0, int k, Span<T> target) where T : unmanaged
        {
            var ds = _keys[key.Name];
            var dims = ds.Space.Dimensions;
            var start = new ulong[dims.Length];
            var block = (ulong[])dims.Clone();
            start[0] = (ulong)e0;
            block[0] = (ulong)k;
            var slab = new HyperslabSelection(dims.Length, start, block);
            try
            {
                if (_access.TryGetValue(key.Name, out var access)) ds.Read(access, target, fileSelection: slab);
                else ds.Read(target, fileSelection: slab);
            }
            catch (Exception e) when (e is not (DatasetFormatException or OutOfMemoryException))
            {
                throw Bad($"cannot read '{key.Name}' of episodes {e0}..{e0 + k - 1}: {e.Message}");
            }
        }

        /// <summary>
        /// A chunk cache for a chunked key that holds every chunk one read touches, and the next episode-chunk row
        /// for the next read. PureHDF walks a hyperslab element run by element run; h5py's chunks of a dataset grown
        /// batch by batch are small (e.g. 128 × 32 × 1 × 6 for 3s_vs_5z's obs), so with the default cache of a few
        /// chunks every run reloads its chunk: reading 640 episodes of obs took 6 minutes instead of 5 seconds.
        /// Null for contiguous data (nothing to cache).
        /// </summary>
        static H5DatasetAccess? CacheFor(NativeDataset ds, int chunkEpisodes)
        {
            var dims = ds.Space.Dimensions;
            if (ds.Layout.Class != H5DataLayoutClass.Chunked || ds.Layout.Chunks is not { } chunks
                || chunks.Length != dims.Length || chunks.Contains(0UL))
                return null;
            ulong perEpisodeRow = 1, chunkBytes = (ulong)ds.Type.Size;
            for (int i = 0; i < dims.Length; i++)
            {
                if (i > 0) perEpisodeRow *= (dims[i] + chunks[i] - 1) / chunks[i];
                chunkBytes *= chunks[i];
            }
            // A read of k episodes spans at most k / c + 2 episode-chunk rows (c episodes per chunk).
            ulong slots = perEpisodeRow * ((ulong)chunkEpisodes / chunks[0] + 2);
            return new H5DatasetAccess { ChunkCache = new SimpleReadingChunkCache((int)Math.Min(slots, int.MaxValue), slots * chunkBytes) };
        }

        static string Describe(IH5DataType type) => type.Class switch
        {
            H5DataTypeClass.FixedPoint => (type.FixedPoint.IsSigned ? "int" : "uint") + 8 * type.Size,
            H5DataTypeClass.FloatingPoint => "float" + 8 * type.Size,
            _ => type.Class.ToString().ToLowerInvariant(),
        };
    }
}
