namespace InSPO.Tabular;

/// <summary>
/// Expectations of a joint Q over some agents' actions, the building block of the sequential update
/// (Eq. 5/18) and of the multi-agent advantage decomposition (Lemma 9). Policies are passed per agent
/// as <c>policies[k][s · Aᵏ + a]</c>, so a caller can mix NEW policies for agents already updated in
/// a round with OLD ones for the rest.
/// </summary>
public static class TeammateMarginals
{
    /// <summary>Qⁱ(s, aⁱ) = Σ_{a^{-i}} ∏_{k≠i} πᵏ(aᵏ|s) Q(s, a), written into <paramref name="result"/> (length Aⁱ).</summary>
    public static void AgentQ(TabularGame game, double[] q, int state, int agent, double[][] policies, Span<double> result)
    {
        int J = game.JointActions;
        result.Clear();
        for (int j = 0; j < J; j++)
        {
            double w = 1;
            for (int k = 0; k < game.Agents && w != 0; k++)
                if (k != agent) w *= policies[k][state * game.ActionCounts[k] + game.ActionOf(j, k)];
            if (w != 0) result[game.ActionOf(j, agent)] += w * q[state * J + j];
        }
    }

    /// <summary>
    /// Q^{fixed}(s, a^{fixed}) = E over the agents NOT in <paramref name="fixedAgents"/> (drawn from their policies)
    /// of Q(s, a), with the fixed agents' actions taken from <paramref name="joint"/>.
    /// With no fixed agent this is E_{a∼π}[Q(s,a)]; with all fixed it is Q(s, joint).
    /// </summary>
    public static double ConditionalQ(TabularGame game, double[] q, int state, bool[] fixedAgents, int joint, double[][] policies)
    {
        int J = game.JointActions;
        double total = 0;
        for (int j = 0; j < J; j++)
        {
            double w = 1;
            for (int k = 0; k < game.Agents && w != 0; k++)
            {
                int ak = game.ActionOf(j, k);
                if (fixedAgents[k]) { if (ak != game.ActionOf(joint, k)) w = 0; }
                else w *= policies[k][state * game.ActionCounts[k] + ak];
            }
            if (w != 0) total += w * q[state * J + j];
        }
        return total;
    }
}
