using InSPO.Envs;

namespace InSPO.Data;

/// <summary>
/// AlberDICE's data loading (its authors' code, notes §1.8): keep the first <c>window</c> slots of every episode
/// (their ReplayBuffer holds episode_limit + 1 slots, so Bridge's 51-slot datasets are read as 21), then turn every
/// terminal into a learned absorbing state (<c>absorbing_state: True</c>):
/// <list type="bullet">
/// <item>observations and state gain one trailing flag feature, 0 on real steps;</item>
/// <item>the terminal flag is removed; the slot after the last transition (the real final observation) becomes a
///   transition too, with reward 0, into the absorbing state;</item>
/// <item>every later slot is the absorbing state: observations and state all zero but the flag (1), reward 0,
///   a self-loop; its actions (and their availability) are copied from a uniformly drawn earlier slot ≤ the
///   terminal one;</item>
/// <item>so every slot but the last of the window is a transition, and the problem is infinite-horizon.</item>
/// </list>
/// An episode still running at the end of the window is cut there without a terminal (as the authors' slice).
/// An episode that ends within the window without a terminal flag (none in the project's recorders) is kept as is.
/// </summary>
public static class AbsorbingStates
{
    /// <summary>The transformed dataset. <paramref name="window"/>: slots kept per episode (≤ 0 or more than the
    /// dataset has: all); <paramref name="seed"/> seeds the copied actions.</summary>
    public static EpisodeDataset Apply(EpisodeDataset data, int window, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        int t1 = window <= 0 || window > data.Steps ? data.Steps : window;
        if (t1 < 2) throw new ArgumentException($"window {window} keeps fewer than 2 slots");
        var s = data.Spec;
        var spec = s with { ObservationSize = s.ObservationSize + 1, StateSize = s.StateSize + 1, EpisodeLimit = t1 - 1 };
        var r = EpisodeDataset.Empty(spec, data.Episodes);
        var random = new Random(seed);
        int n = s.Agents, a = s.Actions;
        for (int e = 0; e < data.Episodes; e++)
        {
            int term = -1;
            for (int t = 0; t < t1 - 1 && term < 0; t++)
                if (data.Filled[data.SlotIndex(e, t)] && data.Ends(data.SlotIndex(e, t))) term = t;   // as AlberDICE, whose data store time-outs as terminated
            for (int t = 0; t < t1; t++)
            {
                int src = data.SlotIndex(e, t), dst = r.SlotIndex(e, t);
                bool absorbing = term >= 0 && t >= term + 2;
                if (!absorbing)
                {
                    for (int i = 0; i < n; i++)
                        data.Observation(e, t, i).CopyTo(r.Observations.AsSpan(r.ObservationIndex(e, t, i), s.ObservationSize));
                    data.State(e, t).CopyTo(r.States.AsSpan(r.StateIndex(e, t), s.StateSize));
                }
                else
                {
                    for (int i = 0; i < n; i++) r.Observations[r.ObservationIndex(e, t, i) + s.ObservationSize] = 1;
                    r.States[r.StateIndex(e, t) + s.StateSize] = 1;
                }
                bool padded = term >= 0 && t > term;   // the final observation and the absorbing slots
                int from = padded ? data.SlotIndex(e, random.Next(term + 1)) : src;
                Array.Copy(data.Actions, from * n, r.Actions, dst * n, n);
                Array.Copy(data.AvailableActions, (long)from * n * a, r.AvailableActions, (long)dst * n * a, n * a);
                if (t < t1 - 1)
                {
                    r.Rewards[dst] = padded ? 0 : data.Rewards[src];
                    r.Filled[dst] = padded || data.Filled[src];
                }
            }
        }
        return r;
    }

    /// <summary>Real observations K × N × O with the flag 0 appended (K × N × (O + 1)), as the authors' runner pads
    /// them when acting.</summary>
    public static TorchSharp.torch.Tensor AppendFlag(TorchSharp.torch.Tensor observations) =>
        TorchSharp.torch.nn.functional.pad(observations, new long[] { 0, 1 });
}
