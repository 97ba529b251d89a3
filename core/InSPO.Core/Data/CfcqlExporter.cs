using PureHDF;
using PureHDF.Selections;

namespace InSPO.Data;

/// <summary>
/// Writes any project dataset as a CFCQL SMAC file (<see cref="CfcqlLayout"/>: same keys, dtypes and shapes as
/// the published <c>{map}_{tier}.h5</c>), so that CFCQL's and OG-MARL's Python code can train on SMAC-lite data.
/// Rows are laid out as CFCQL's writer lays them: for an episode of L steps, rows 0..L are filled; row L holds
/// the final observation, state and mask, reward 0 and terminated 0, and as its action the lowest-numbered
/// action available there (CFCQL records the controller's pick on that row, always an available one; ours is
/// never used, so any available action keeps the files' rule that every filled row's action is available); a
/// time-limit cut is stored as terminated, as CFCQL stores it; <c>probs</c> is zeros; later rows are zeros.
/// <see cref="CfcqlImporter"/> reads the file back to the same arrays, with time-outs as terminations.
/// Written <see cref="CfcqlLayout.ChunkEpisodes"/> episodes at a time into a hidden sibling file that replaces
/// <c>file</c> only when complete.
/// </summary>
public static class CfcqlExporter
{
    /// <param name="data">The episodes (at least one, each with at least one step).</param>
    /// <param name="file">The .h5 file to write; an existing file is replaced.</param>
    /// <param name="progress">Receives the number of episodes written after each chunk.</param>
    /// <param name="chunkEpisodes">Episodes written at a time.</param>
    public static void Export(EpisodeDataset data, string file, IProgress<int>? progress = null,
                              int chunkEpisodes = CfcqlLayout.ChunkEpisodes)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkEpisodes, 1);
        if (data.Episodes == 0) throw new ArgumentException("cannot export a dataset without episodes to a CFCQL file");
        // A file Python code will trust: only well-formed episodes go in (a loaded dataset passed this already).
        if (data.FindValueProblem() is { } problem) throw new ArgumentException($"cannot export to a CFCQL file: {problem}");
        for (int e = 0; e < data.Episodes; e++)
            if (data.EpisodeLength(e) == 0)
                throw new ArgumentException($"cannot export to a CFCQL file: episode {e} has no steps (a CFCQL episode has at least one)");

        var final = Path.GetFullPath(file);
        if (Directory.Exists(final)) throw new IOException($"cannot write {final}: a folder of that name exists");
        var folder = Path.GetDirectoryName(final)!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(final)}.tmp-{Guid.NewGuid():N}");
        try
        {
            Write(data, temp, progress, chunkEpisodes);
            File.Move(temp, final, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static void Write(EpisodeDataset data, string path, IProgress<int>? progress, int chunkEpisodes)
    {
        var spec = data.Spec;
        int episodes = data.Episodes, t1 = data.Steps, n = data.Agents, a = data.ActionCount;
        int o = data.ObservationSize, s = data.StateSize;

        // Declared with their full shapes, then filled one hyperslab of episodes at a time (contiguous layout:
        // each write goes straight to its place in the file).
        H5Dataset<T[]> Declare<T>(CfcqlLayout.Key key) =>
            new(fileDims: key.Shape(spec, episodes).Select(d => (ulong)d).ToArray(), chunks: null);
        var state = Declare<float>(CfcqlLayout.State);
        var obs = Declare<float>(CfcqlLayout.Obs);
        var actions = Declare<long>(CfcqlLayout.Actions);
        var avail = Declare<int>(CfcqlLayout.AvailActions);
        var probs = Declare<float>(CfcqlLayout.Probs);
        var reward = Declare<float>(CfcqlLayout.Reward);
        var terminated = Declare<byte>(CfcqlLayout.Terminated);
        var filled = Declare<long>(CfcqlLayout.Filled);
        var h5 = new H5File
        {
            [CfcqlLayout.State.Name] = state, [CfcqlLayout.Obs.Name] = obs, [CfcqlLayout.Actions.Name] = actions,
            [CfcqlLayout.AvailActions.Name] = avail, [CfcqlLayout.Probs.Name] = probs, [CfcqlLayout.Reward.Name] = reward,
            [CfcqlLayout.Terminated.Name] = terminated, [CfcqlLayout.Filled.Name] = filled,
        };

        int chunk = Math.Min(chunkEpisodes, episodes);
        var stateBuf = new float[chunk * t1 * s];
        var obsBuf = new float[chunk * t1 * n * o];
        var actionsBuf = new long[chunk * t1 * n];
        var availBuf = new int[chunk * t1 * n * a];
        var probsBuf = new float[chunk * t1 * n * a];   // stays zero
        var rewardBuf = new float[chunk * t1];
        var terminatedBuf = new byte[chunk * t1];
        var filledBuf = new long[chunk * t1];

        using var writer = h5.BeginWrite(path);
        for (int e0 = 0; e0 < episodes; e0 += chunk)
        {
            int k = Math.Min(chunk, episodes - e0);
            foreach (var buffer in new Array[] { stateBuf, obsBuf, actionsBuf, availBuf, rewardBuf, terminatedBuf, filledBuf })
                Array.Clear(buffer);
            for (int i = 0; i < k; i++)
                FillEpisode(data, e0 + i, i * t1, stateBuf, obsBuf, actionsBuf, availBuf, rewardBuf, terminatedBuf, filledBuf);

            void Put<T>(CfcqlLayout.Key key, H5Dataset<T[]> ds, T[] buffer)
            {
                var shape = key.Shape(spec, episodes).Select(d => (ulong)d).ToArray();
                var start = new ulong[shape.Length];
                start[0] = (ulong)e0;
                shape[0] = (ulong)k;
                ulong count = shape.Aggregate(1UL, (p, d) => p * d);
                // The buffers are a whole chunk long; the last chunk may use only their beginning.
                writer.Write(ds, buffer, memorySelection: new HyperslabSelection(0, count),
                             fileSelection: new HyperslabSelection(shape.Length, start, shape));
            }
            Put(CfcqlLayout.State, state, stateBuf);
            Put(CfcqlLayout.Obs, obs, obsBuf);
            Put(CfcqlLayout.Actions, actions, actionsBuf);
            Put(CfcqlLayout.AvailActions, avail, availBuf);
            Put(CfcqlLayout.Probs, probs, probsBuf);
            Put(CfcqlLayout.Reward, reward, rewardBuf);
            Put(CfcqlLayout.Terminated, terminated, terminatedBuf);
            Put(CfcqlLayout.Filled, filled, filledBuf);
            progress?.Report(e0 + k);
        }
    }

    /// <summary>Lays out episode e in CFCQL's rows, from row <paramref name="row0"/> of the (cleared) chunk buffers.</summary>
    private static void FillEpisode(EpisodeDataset data, int e, int row0, float[] state, float[] obs, long[] actions,
                                    int[] avail, float[] reward, byte[] terminated, long[] filled)
    {
        int n = data.Agents, a = data.ActionCount, o = data.ObservationSize, s = data.StateSize;
        int length = data.EpisodeLength(e);   // a prefix: checked by FindValueProblem
        for (int t = 0; t <= length; t++)
        {
            int row = row0 + t, slot = data.SlotIndex(e, t);
            data.Observations.AsSpan(slot * n * o, n * o).CopyTo(obs.AsSpan(row * n * o));
            data.States.AsSpan(slot * s, s).CopyTo(state.AsSpan(row * s));
            for (int i = 0; i < n * a; i++) avail[row * n * a + i] = data.AvailableActions[slot * n * a + i] ? 1 : 0;
            filled[row] = 1;
            if (t == length)
            {
                // Row L: no step was taken; the lowest available action stands in for the controller's pick.
                for (int agent = 0; agent < n; agent++)
                    actions[row * n + agent] = Math.Max(0, data.Available(e, t, agent).IndexOf(true));
                break;
            }
            for (int agent = 0; agent < n; agent++) actions[row * n + agent] = data.Actions[slot * n + agent];
            reward[row] = data.Rewards[slot];
            // CFCQL keeps no truncation flag: a time-out is a termination there.
            terminated[row] = (byte)(data.Ends(slot) ? 1 : 0);
        }
    }
}
