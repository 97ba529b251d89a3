using System.Text.Json.Nodes;
using InSPO.Envs;

namespace InSPO.Data;

/// <summary>
/// Imports a PyMARL episode buffer — a folder of <c>obs</c>, <c>state</c>, <c>actions</c>,
/// <c>avail_actions</c>, <c>reward</c>, <c>terminated</c>, <c>filled</c> <c>.npy</c> files laid out
/// [episodes, T+1, …] (AlberDICE's and the CFCQL authors' dumps) — into the project's format.
/// PyMARL marks the final-observation slot as filled; here <c>filled</c> marks real steps only, so an
/// episode with k filled slots has k − 1 steps and its last slot holds the final observation.
/// </summary>
public static class PymarlImporter
{
    static readonly string[] Fields = { "obs", "state", "actions", "avail_actions", "reward", "terminated", "filled" };

    /// <param name="folder">The buffer folder.</param>
    /// <param name="envName">Environment name recorded in the dataset (e.g. "bridge", "xor").</param>
    public static EpisodeDataset Import(string folder, string envName)
    {
        if (!Directory.Exists(folder)) throw new DatasetFormatException($"pymarl buffer {folder}: folder does not exist");
        foreach (var f in Fields)
            if (!File.Exists(Path.Combine(folder, f + ".npy")))
                throw new DatasetFormatException($"pymarl buffer {folder}: missing {f}.npy");
        NpyArray Read(string f) => Npy.Read(Path.Combine(folder, f + ".npy"));
        var obs = Read("obs");
        var state = Read("state");
        var actions = Read("actions");
        var avail = Read("avail_actions");
        var reward = Read("reward");
        var terminated = Read("terminated");
        var filled = Read("filled");

        string Where(string f) => Path.Combine(folder, f + ".npy");
        void Rank(NpyArray a, string f, params int[] ranks)
        {
            if (!ranks.Contains(a.Shape.Length))
                throw new DatasetFormatException($"{Where(f)}: shape {Npy.FormatShape(a.Shape)} has rank {a.Shape.Length}, expected {string.Join(" or ", ranks)}");
        }
        Rank(obs, "obs", 4); Rank(state, "state", 3); Rank(actions, "actions", 3, 4); Rank(avail, "avail_actions", 4);
        Rank(reward, "reward", 2, 3); Rank(terminated, "terminated", 2, 3); Rank(filled, "filled", 2, 3);
        long episodes = obs.Shape[0], slots = obs.Shape[1], agents = obs.Shape[2];
        foreach (var (a, f) in new[] { (state, "state"), (actions, "actions"), (avail, "avail_actions"), (reward, "reward"), (terminated, "terminated"), (filled, "filled") })
        {
            if (a.Shape[0] != episodes)
                throw new DatasetFormatException($"{Where(f)}: {a.Shape[0]} episodes, but obs.npy has {episodes}");
            if (a.Shape[1] != slots)
                throw new DatasetFormatException($"{Where(f)}: {a.Shape[1]} time steps, but obs.npy has {slots}");
        }
        foreach (var (a, f) in new[] { (actions, "actions"), (avail, "avail_actions") })
            if (a.Shape[2] != agents) throw new DatasetFormatException($"{Where(f)}: {a.Shape[2]} agents, but obs.npy has {agents}");
        if (actions.Shape.Length == 4 && actions.Shape[3] != 1)
            throw new DatasetFormatException($"{Where("actions")}: last dimension {actions.Shape[3]}, expected 1 (one action index per agent)");
        foreach (var (a, f) in new[] { (reward, "reward"), (terminated, "terminated"), (filled, "filled") })
            if (a.Shape.Length == 3 && a.Shape[2] != 1)
                throw new DatasetFormatException($"{Where(f)}: last dimension {a.Shape[2]}, expected 1");
        if (slots < 2) throw new DatasetFormatException($"{Where("obs")}: {slots} time slots, expected at least 2 (one step and the final observation)");

        int E = (int)episodes, T1 = (int)slots, N = (int)agents, O = (int)obs.Shape[3], S = (int)state.Shape[2], A = (int)avail.Shape[3];
        var spec = new EnvSpec(envName, N, A, O, S, T1 - 1);
        var data = EpisodeDataset.Empty(spec, E);
        data.TimeLimits = TimeLimitConvention.StoredAsTerminated;   // PyMARL's buffers store a time-out as terminated
        var obsF = obs.ToFloatArray();
        var stateF = state.ToFloatArray();
        var actionsI = actions.ToInt32Array();
        var availB = avail.ToBoolArray();
        var rewardF = reward.ToFloatArray();
        var terminatedB = terminated.ToBoolArray();
        var filledB = filled.ToBoolArray();

        for (int e = 0; e < E; e++)
        {
            int filledSlots = 0;
            while (filledSlots < T1 && filledB[e * T1 + filledSlots]) filledSlots++;
            for (int t = filledSlots; t < T1; t++)
                if (filledB[e * T1 + t])
                    throw new DatasetFormatException($"{Where("filled")}: episode {e} is filled at step {t} after a gap (filled must be a prefix)");
            if (filledSlots < 2)
                throw new DatasetFormatException($"{Where("filled")}: episode {e} has {filledSlots} filled slots, expected at least 2 (a step and the final observation)");
            int steps = filledSlots - 1;
            for (int t = 0; t < T1; t++)
            {
                bool real = t < steps;
                bool kept = t <= steps;                        // the final slot keeps obs, state and avail
                int slot = e * T1 + t;
                if (kept)
                {
                    Array.Copy(obsF, (long)slot * N * O, data.Observations, (long)slot * N * O, N * O);
                    Array.Copy(stateF, (long)slot * S, data.States, (long)slot * S, S);
                    Array.Copy(availB, (long)slot * N * A, data.AvailableActions, (long)slot * N * A, N * A);
                }
                if (real)
                {
                    Array.Copy(actionsI, (long)slot * N, data.Actions, (long)slot * N, N);
                    data.Rewards[slot] = rewardF[slot];
                    data.Filled[slot] = true;
                    data.Terminated[slot] = terminatedB[slot];
                    if (terminatedB[slot] && t != steps - 1)
                        throw new DatasetFormatException($"{Where("terminated")}: episode {e} terminates at step {t}, before its last step {steps - 1}");
                }
            }
        }
        var problem = data.FindValueProblem();
        if (problem is not null) throw new DatasetFormatException($"pymarl buffer {folder}: {problem}");
        return data;
    }

    /// <summary>Imports and saves atomically as a project dataset.</summary>
    public static EpisodeDataset ImportTo(string folder, string envName, string outFolder)
    {
        var data = Import(folder, envName);
        var generator = new JsonObject { ["name"] = "pymarl-import", ["source"] = Path.GetFullPath(folder) };
        DatasetStore.Save(outFolder, data, generator, seed: null);
        return data;
    }
}
