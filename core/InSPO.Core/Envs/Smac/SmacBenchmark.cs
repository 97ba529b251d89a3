using System.Diagnostics;
using InSPO.Actors;

namespace InSPO.Envs.Smac;

/// <summary>Outcome of one scripted episode.</summary>
public readonly record struct SmacEpisodeResult(double Return, bool Won, int Steps, int EnemiesKilled, int AgentsLost);

/// <summary>Win rate and mean return of a policy on a map.</summary>
public sealed record SmacPolicyScore(string Map, string Policy, int Episodes, double WinRate, double MeanReturn, double MeanSteps, double MeanEnemiesKilled);

/// <summary>Simulation speed of one map under random actions.</summary>
public sealed record SmacSpeed(string Map, int Threads, long AgentSteps, double Seconds, double AgentStepsPerSecond, double AgentStepsPerSecondPerCore);

/// <summary>
/// Entry points for the CLI and build scripts: scripted-policy win-rate tables and the
/// simulation speed benchmark. Everything is deterministic given the seed (speed aside).
/// </summary>
public static class SmacBenchmark
{
    /// <summary>Runs one episode of <paramref name="policy"/>; the policy's randomness is seeded from the same seed.</summary>
    public static SmacEpisodeResult RunEpisode(SmacEnv env, ISmacPolicy policy, int seed) => Run(env.Map, policy, 1, seed, 1, [env])[0];

    /// <summary>Episodes seed, seed+1, … of a scripted policy through the rollout loop, on
    /// <paramref name="threads"/> threads (0 = all cores); results do not depend on it.</summary>
    static SmacEpisodeResult[] Run(SmacMap map, ISmacPolicy policy, int episodes, int seed, int threads, IMultiAgentEnv[]? envs = null)
    {
        envs ??= Enumerable.Range(0, Math.Clamp(episodes, 1, 64)).Select(_ => (IMultiAgentEnv)new SmacEnv(map)).ToArray();
        var vector = new VectorEnv(envs, threads > 0 ? threads : Environment.ProcessorCount);
        var actor = new ScriptedSmacActor(policy, vector.Count, e => seed + e);
        var summaries = Rollout.Run(vector, actor, new RolloutOptions { Episodes = episodes, Seed = seed, Choice = ActionChoice.Greedy, EnvironmentSeed = e => seed + e });
        return summaries.Select(s => new SmacEpisodeResult(s.Return, s.Won == 1, s.Length, (int)s.Info["dead_enemies"], (int)s.Info["dead_allies"])).ToArray();
    }

    /// <summary>Scores a policy over <paramref name="episodes"/> episodes with seeds seed, seed+1, ...
    /// Episodes run in parallel over <paramref name="threads"/> threads (0 = all cores); results do not depend on it.</summary>
    public static SmacPolicyScore Evaluate(SmacMap map, ISmacPolicy policy, int episodes, int seed = 0, int threads = 0)
    {
        var results = Run(map, policy, episodes, seed, threads);
        return new SmacPolicyScore(map.Name, policy.Name, episodes,
            results.Count(r => r.Won) / (double)episodes, results.Average(r => r.Return), results.Average(r => r.Steps), results.Average(r => r.EnemiesKilled));
    }

    /// <summary>The win-rate table: every built-in map × random, attack-nearest, focus-fire (200 episodes each by default).</summary>
    public static IReadOnlyList<SmacPolicyScore> WinRateTable(int episodes = 200, int seed = 0, int threads = 0, IEnumerable<string>? maps = null) =>
        (maps ?? SmacMaps.Names).SelectMany(m => ScriptedPolicies.All.Select(p => Evaluate(SmacMaps.Get(m), p, episodes, seed, threads))).ToList();

    /// <summary>Formats scores as a fixed-width text table.</summary>
    public static string Format(IEnumerable<SmacPolicyScore> scores)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"{"map",-10} {"policy",-15} {"episodes",8} {"win rate",9} {"return",8} {"steps",7} {"kills",6}");
        foreach (var s in scores)
            sb.AppendLine($"{s.Map,-10} {s.Policy,-15} {s.Episodes,8} {s.WinRate,9:F3} {s.MeanReturn,8:F2} {s.MeanSteps,7:F1} {s.MeanEnemiesKilled,6:F2}");
        return sb.ToString();
    }

    /// <summary>
    /// Agent-steps per second under uniformly random available actions (policy time included; observation,
    /// state and mask writes included, as a learner would need them), on <paramref name="threads"/> threads
    /// stepping a <see cref="VectorEnv"/> of <paramref name="envs"/> environments for about
    /// <paramref name="seconds"/> seconds. Per core = total ÷ threads.
    /// </summary>
    public static SmacSpeed Speed(SmacMap map, double seconds = 2.0, int threads = 1, int envs = 64, int seed = 0)
    {
        var batch = new VectorEnv(Enumerable.Range(0, envs).Select(_ => (IMultiAgentEnv)new SmacEnv(map)).ToArray(), threads);
        int started = 0;
        batch.Start(_ => (started, seed + started++));
        var spec = batch.Spec;
        var actions = new int[envs * spec.Agents];
        var obs = new float[envs * spec.Agents * spec.ObservationSize];
        var state = new float[envs * spec.StateSize];
        var avail = new bool[envs * spec.Agents * spec.Actions];
        var outcomes = new StepOutcome[envs];
        var rngs = Enumerable.Range(0, envs).Select(i => new SmacRng(SmacRng.Mix(seed, 1000 + i))).ToArray();
        long steps = 0;
        // Warm-up (JIT), then timed.
        for (int pass = 0; pass < 2; pass++)
        {
            var sw = Stopwatch.StartNew();
            double budget = pass == 0 ? Math.Min(0.3, seconds) : seconds;
            steps = 0;
            while (sw.Elapsed.TotalSeconds < budget)
            {
                batch.WriteAvailableActions(avail);
                for (int e = 0; e < envs; e++)
                    for (int a = 0; a < spec.Agents; a++)
                    {
                        int b = (e * spec.Agents + a) * spec.Actions, c = 0;
                        for (int k = 0; k < spec.Actions; k++) if (avail[b + k]) c++;
                        int pick = rngs[e].NextInt(c);
                        for (int k = 0; k < spec.Actions; k++) if (avail[b + k] && pick-- == 0) { actions[e * spec.Agents + a] = k; break; }
                    }
                // the speed bench steps through the vector environment directly: a rollout would add an actor's work
                batch.Step(actions, outcomes);
                batch.WriteObservations(obs);
                batch.WriteStates(state);
                steps += (long)envs * spec.Agents;
            }
            if (pass == 1)
            {
                double t = sw.Elapsed.TotalSeconds;
                return new SmacSpeed(map.Name, threads, steps, t, steps / t, steps / t / threads);
            }
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Speed of every built-in map.</summary>
    public static IReadOnlyList<SmacSpeed> SpeedTable(double seconds = 2.0, int threads = 1, int envs = 64) =>
        SmacMaps.Names.Select(m => Speed(SmacMaps.Get(m), seconds, threads, envs)).ToList();

    public static string Format(IEnumerable<SmacSpeed> speeds)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"{"map",-10} {"threads",7} {"agent-steps/s",14} {"per core",12}");
        foreach (var s in speeds) sb.AppendLine($"{s.Map,-10} {s.Threads,7} {s.AgentStepsPerSecond,14:F0} {s.AgentStepsPerSecondPerCore,12:F0}");
        return sb.ToString();
    }
}
