using InSPO.Actors;
using InSPO.Envs;
using InSPO.Tabular;
using static TorchSharp.torch;

namespace InSPO.Training;

/// <summary>Metrics of a final policy and the per-agent distributions at the first state (for matrix games the
/// single state, restricted to each agent's actions).</summary>
public sealed record Evaluation(IReadOnlyDictionary<string, double> Metrics, double[][] FinalPolicy);

/// <summary>
/// The one evaluator every algorithm shares (SPEC 4): decentralised execution through the rollout loop, each agent
/// sampling from πⁱ(·|τⁱ) (stochastic, as AlberDICE's evaluation) or acting greedily (SMAC: CFCQL and PyMARL
/// test greedily), <c>episodes</c> episodes in lockstep (one batched forward per step). Reports "return" (mean
/// undiscounted episode return), "length" (mean episode length) and, where the environment reports "battle_won",
/// "win_rate". Matrix games add the exact expected per-step return of the final joint policy.
/// </summary>
public static class Evaluator
{
    /// <summary>"return_sampled" = mean episode return of the sampled episodes ("return" too, for environments
    /// without an exact value). With <paramref name="game"/> (a repeated matrix game): both per step, and
    /// "return" = exact E_{a∼π}[r(a)] from <see cref="PolicyEvaluation.ExpectedReturn"/>.</summary>
    public static Evaluation Evaluate(IDecentralisedPolicy policy, Func<IMultiAgentEnv> makeEnv, int episodes, int seed, Device device,
                                      MatrixGame? game = null, ActionChoice choice = ActionChoice.Sample)
    {
        var env = VectorEnv.Of(episodes, makeEnv, threads: 1);
        var spec = env.Spec;
        using var actor = new PolicyActor(policy, spec, episodes, device);
        var first = new FirstDistributions(spec);
        // Every episode starts at once, one per slot; the choices come from one generator in lockstep, as this
        // evaluator always drew them, so a policy's numbers do not move.
        var summaries = Rollout.Run(env, actor, new RolloutOptions
        {
            Episodes = episodes, Seed = seed, Choice = choice, SharedChoiceStream = true,
            EnvironmentSeed = e => EpisodeSeeds.Environment(seed, e),
        }, first);
        var metrics = new Dictionary<string, double>();
        if (game is not null)
        {
            // the single state's distributions, restricted to each agent's own actions
            var final = first.Policy!.Select((p, i) => Normalise(p.Take(game.Actions[i].Length).ToArray())).ToArray();
            metrics["return"] = PolicyEvaluation.ExpectedReturn(game.Tabular, ProductPolicy.StateIndependent(1, final));
            metrics["return_sampled"] = summaries.Average(s => s.Return / Math.Max(1, s.Length));
            metrics["length"] = summaries.Average(s => s.Length);
            return new Evaluation(metrics, final);
        }
        metrics["return"] = metrics["return_sampled"] = summaries.Select(s => s.Return).Average();
        metrics["length"] = summaries.Average(s => s.Length);
        if (summaries.All(s => s.Won is not null)) metrics["win_rate"] = summaries.Average(s => s.Won!.Value);
        return new Evaluation(metrics, first.Policy!);   // the start state's distributions (diagnostics)
    }

    /// <summary>Keeps slot 0's distributions at the first step.</summary>
    sealed class FirstDistributions(EnvSpec spec) : IRolloutObserver
    {
        public double[][]? Policy { get; private set; }

        public void Acting(ActorInput input, ReadOnlySpan<float> probabilities, ReadOnlySpan<int> actions)
        {
            if (Policy is not null) return;
            var p = new double[spec.Agents][];
            for (int i = 0; i < spec.Agents; i++)
            {
                p[i] = new double[spec.Actions];
                for (int k = 0; k < spec.Actions; k++) p[i][k] = probabilities[i * spec.Actions + k];
            }
            Policy = p;
        }
    }

    static double[] Normalise(double[] p)
    {
        double s = p.Sum();
        return p.Select(x => x / s).ToArray();
    }
}
