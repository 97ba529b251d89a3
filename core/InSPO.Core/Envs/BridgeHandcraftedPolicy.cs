namespace InSPO.Envs;

/// <summary>
/// The handcrafted multi-modal optimal policy behind AlberDICE's Bridge datasets (SPEC 5.2,
/// reconstructed from their state → joint-action counts). One agent yields, the other crosses:
/// <list type="bullet">
/// <item>each agent heads for its goal along a shortest path, ties broken uniformly;</item>
/// <item>the crosser picks, among its shortest moves, one that does not collide with the yielder's
/// intended move; when every shortest move collides it goes anyway and the yielder steps aside,
/// uniformly among the moves that leave its cell without blocking the crosser;</item>
/// <item>an agent at its goal picks uniformly among the actions that keep it there.</item>
/// </list>
/// From the start both agents step away from the yielder's side: (right, right) when agent 1 yields,
/// (left, left) when agent 0 does. Every episode takes 8 steps.
/// </summary>
public sealed class BridgeHandcraftedPolicy
{
    static readonly int[][] DistanceToGoal = BridgeEnv.Goals.Select(DistancesTo).ToArray();

    public BridgeHandcraftedPolicy(int yielder)
    {
        if (yielder is not (0 or 1)) throw new ArgumentException($"yielder must be agent 0 or 1, not {yielder}");
        Yielder = yielder;
    }

    public int Yielder { get; }
    public int Crosser => 1 - Yielder;

    /// <summary>The joint action in the state [r0, c0, gr0, gc0, r1, c1, gr1, gc1].</summary>
    public int[] Act(ReadOnlySpan<float> state, Random rng)
    {
        var pos = new[] { ((int)state[0], (int)state[1]), ((int)state[4], (int)state[5]) };
        var joint = new int[2];
        bool[] atGoal = { pos[0] == BridgeEnv.Goals[0], pos[1] == BridgeEnv.Goals[1] };
        for (int i = 0; i < 2; i++)
            if (atGoal[i]) joint[i] = Pick(rng, Enumerable.Range(0, BridgeEnv.ActionCount).Where(a => BridgeEnv.Target(pos[i], a) == pos[i]));
        if (atGoal[0] && atGoal[1]) return joint;
        if (atGoal[0] || atGoal[1])
        {
            int active = atGoal[0] ? 1 : 0;                                  // a finished agent is off the board
            joint[active] = Pick(rng, ShortestMoves(active, pos[active]));
            return joint;
        }

        int c = Crosser, y = Yielder;
        int yIntent = Pick(rng, ShortestMoves(y, pos[y]));
        var cOptions = ShortestMoves(c, pos[c]).ToList();
        var compatible = cOptions.Where(m => Compatible(pos[c], m, pos[y], yIntent)).ToList();
        if (compatible.Count > 0)
        {
            joint[c] = Pick(rng, compatible);
            joint[y] = yIntent;
        }
        else
        {
            joint[c] = Pick(rng, cOptions);
            var aside = Enumerable.Range(1, 4)
                .Where(m => BridgeEnv.Target(pos[y], m) != pos[y] && Compatible(pos[c], joint[c], pos[y], m))
                .ToList();
            joint[y] = aside.Count > 0 ? Pick(rng, aside) : 0;
        }
        return joint;
    }

    /// <summary>Moves (1..4) that bring <paramref name="agent"/> one step closer to its goal on the empty grid.</summary>
    static IEnumerable<int> ShortestMoves(int agent, (int Row, int Col) from)
    {
        var dist = DistanceToGoal[agent];
        return Enumerable.Range(1, 4).Where(m =>
        {
            var t = BridgeEnv.Target(from, m);
            return t != from && dist[Cell(t)] == dist[Cell(from)] - 1;
        });
    }

    /// <summary>False when the two moves would block each other: same target cell, a swap, or a move
    /// into the cell of an agent that stays.</summary>
    static bool Compatible((int, int) pc, int mc, (int, int) py, int my)
    {
        var tc = BridgeEnv.Target(pc, mc);
        var ty = BridgeEnv.Target(py, my);
        if (tc == ty) return false;
        if (tc == py && (ty == pc || ty == py)) return false;
        if (ty == pc && tc == pc) return false;
        return true;
    }

    static int Pick(Random rng, IEnumerable<int> options)
    {
        var list = options as IList<int> ?? options.ToList();
        if (list.Count == 0) throw new InvalidOperationException("no action to choose from");
        return list[rng.Next(list.Count)];
    }

    static int Cell((int Row, int Col) p) => p.Row * BridgeEnv.Cols + p.Col;

    /// <summary>Breadth-first distances (in moves) from every free cell to <paramref name="goal"/>.</summary>
    static int[] DistancesTo((int Row, int Col) goal)
    {
        var dist = Enumerable.Repeat(int.MaxValue, BridgeEnv.Rows * BridgeEnv.Cols).ToArray();
        var queue = new Queue<(int, int)>();
        dist[Cell(goal)] = 0;
        queue.Enqueue(goal);
        while (queue.Count > 0)
        {
            var p = queue.Dequeue();
            for (int m = 1; m <= 4; m++)
            {
                var t = BridgeEnv.Target(p, m);
                if (t != p && dist[Cell(t)] == int.MaxValue) { dist[Cell(t)] = dist[Cell(p)] + 1; queue.Enqueue(t); }
            }
        }
        return dist;
    }
}
