namespace InSPO.Tabular;

/// <param name="Gap">max over agents and states of V_{BRⁱ, π^{-i}}(s) − V_π(s); 0 exactly at a QRE.</param>
/// <param name="PerAgent">The same maximum for each agent separately.</param>
/// <param name="BestResponses">Each agent's exact regularised best response to its teammates.</param>
public sealed record QreGapResult(double Gap, double[] PerAgent, ProductPolicy[] BestResponses);

/// <summary>
/// The quantal-response-equilibrium condition (Prop. 3, Eq. 11/16): at a QRE no agent can raise the
/// regularised value by changing only its own policy. Each agent's exact best response to fixed
/// teammates is found by soft policy iteration on the MDP they induce (evaluate the joint policy
/// exactly, replace that agent's policy by the closed form, repeat; monotone and convergent).
/// </summary>
public static class QreGap
{
    public static QreGapResult Compute(TabularGame game, ProductPolicy policy, Regularizer reg,
                                       double tolerance = 1e-13, int maxIterations = 100_000)
    {
        var vPolicy = PolicyEvaluation.LinearSolve(game, policy, reg).V;
        var perAgent = new double[game.Agents];
        var responses = new ProductPolicy[game.Agents];
        for (int i = 0; i < game.Agents; i++)
        {
            var response = BestResponse(game, policy, reg, i, tolerance, maxIterations);
            var vResponse = PolicyEvaluation.LinearSolve(game, response, reg).V;
            perAgent[i] = vResponse.Zip(vPolicy, (b, p) => b - p).Max();
            responses[i] = response;
        }
        return new QreGapResult(perAgent.Max(), perAgent, responses);
    }

    /// <summary>The joint policy in which <paramref name="agent"/> plays its regularised best response.</summary>
    public static ProductPolicy BestResponse(TabularGame game, ProductPolicy policy, Regularizer reg, int agent,
                                             double tolerance = 1e-13, int maxIterations = 100_000)
    {
        var current = policy.Clone();
        int actions = game.ActionCounts[agent];
        var next = new double[game.States * actions];
        var agentQ = new double[actions];
        for (int it = 0; it < maxIterations; it++)
        {
            var q = PolicyEvaluation.LinearSolve(game, current, reg).Q;
            for (int s = 0; s < game.States; s++)
            {
                TeammateMarginals.AgentQ(game, q, s, agent, current.Probabilities, agentQ);
                reg.ClosedForm(agentQ, reg.Behaviour.At(agent, s), next.AsSpan(s * actions, actions));
            }
            double change = 0;
            for (int k = 0; k < next.Length; k++) change = Math.Max(change, Math.Abs(next[k] - current.Probabilities[agent][k]));
            Array.Copy(next, current.Probabilities[agent], next.Length);
            if (change < tolerance || game.Transition is null) return current;   // one step is exact in a matrix game
        }
        throw new InvalidOperationException($"best response of agent {agent} did not converge in {maxIterations} iterations");
    }
}
