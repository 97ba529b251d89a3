using InSPO.Data;
using InSPO.Algorithms;
using InSPO.Envs;
using InSPO.Tabular;
using static TorchSharp.torch;

namespace InSPO.Training;

/// <summary>Metrics of a final policy and the per-agent distributions at the first state (for matrix games the
/// single state, restricted to each agent's actions).</summary>
public sealed record Evaluation(IReadOnlyDictionary<string, double> Metrics, double[][] FinalPolicy);

/// <summary>
/// The one evaluator every algorithm shares (SPEC 4): decentralised execution, each agent sampling from
/// πⁱ(·|oⁱ) (stochastic, as AlberDICE's evaluation), <c>episodes</c> episodes run in lockstep (one batched
/// forward per step). Matrix games add the exact expected per-step return of the final joint policy.
/// </summary>
public static class Evaluator
{
    /// <summary>"return_sampled" = mean episode return of the sampled episodes ("return" too, for environments
    /// without an exact value). With <paramref name="game"/> (a repeated matrix game): both per step, and
    /// "return" = exact E_{a∼π}[r(a)] from <see cref="PolicyEvaluation.ExpectedReturn"/>.</summary>
    public static Evaluation Evaluate(IOfflineLearner learner, Func<IMultiAgentEnv> makeEnv, int episodes, int seed, Device device, MatrixGame? game = null)
    {
        using var scope = NewDisposeScope();
        var envs = Enumerable.Range(0, episodes).Select(_ => makeEnv()).ToArray();
        var spec = envs[0].Spec;
        int n = spec.Agents, a = spec.Actions, o = spec.ObservationSize;
        var rng = new Random(seed);
        var returns = new double[episodes];
        var lengths = new int[episodes];
        var done = new bool[episodes];
        for (int e = 0; e < episodes; e++) envs[e].Reset(EpisodeRecorder.EnvironmentSeed(seed, e));   // not HashCode.Combine: randomised per process
        var obs = new float[episodes * n * o];
        var avail = new bool[episodes * n * a];
        var joint = new int[n];
        double[][]? firstPolicy = null;
        for (int t = 0; t < spec.EpisodeLimit && done.Any(d => !d); t++)
        {
            for (int e = 0; e < episodes; e++)
            {
                envs[e].WriteObservations(obs.AsSpan(e * n * o, n * o));
                envs[e].WriteAvailableActions(avail.AsSpan(e * n * a, n * a));
            }
            var probs = learner.Policy(tensor(obs, new long[] { episodes, n, o }).to(device), tensor(avail, new long[] { episodes, n, a }).to(device))
                .cpu().to_type(float64).data<double>().ToArray();
            firstPolicy ??= Enumerable.Range(0, n).Select(i => probs.AsSpan(i * a, a).ToArray()).ToArray();
            for (int e = 0; e < episodes; e++)
            {
                if (done[e]) continue;
                for (int i = 0; i < n; i++) joint[i] = SampleIndex(probs.AsSpan((e * n + i) * a, a), rng.NextDouble());
                var outcome = envs[e].Step(joint);
                returns[e] += outcome.Reward;
                lengths[e]++;
                done[e] = outcome.Done;
            }
        }
        var metrics = new Dictionary<string, double>();
        if (game is not null)
        {
            // the single state's distributions, restricted to each agent's own actions
            var final = firstPolicy!.Select((p, i) => Normalise(p.Take(game.Actions[i].Length).ToArray())).ToArray();
            metrics["return"] = PolicyEvaluation.ExpectedReturn(game.Tabular, ProductPolicy.StateIndependent(1, final));
            metrics["return_sampled"] = Enumerable.Range(0, episodes).Average(e => returns[e] / Math.Max(1, lengths[e]));
            return new Evaluation(metrics, final);
        }
        metrics["return"] = metrics["return_sampled"] = returns.Average();
        return new Evaluation(metrics, firstPolicy!);   // the start state's distributions (diagnostics)
    }

    static double[] Normalise(double[] p)
    {
        double s = p.Sum();
        return p.Select(x => x / s).ToArray();
    }

    static int SampleIndex(ReadOnlySpan<double> p, double u)
    {
        double acc = 0;
        for (int k = 0; k < p.Length; k++)
        {
            acc += p[k];
            if (u < acc) return k;
        }
        for (int k = p.Length - 1; k >= 0; k--) if (p[k] > 0) return k;
        return 0;
    }
}
