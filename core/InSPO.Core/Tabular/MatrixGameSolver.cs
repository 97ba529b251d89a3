using InSPO.Data;
using InSPO.Envs;

namespace InSPO.Tabular;

/// <summary>What <c>inspo solve</c> reports: the final joint policy, its exact expected return and QRE gap.</summary>
/// <param name="BehaviourSource">Where μ came from: "definition" (exact marginals) or the dataset folder counted.</param>
/// <param name="QreGap">Best unilateral deviation gain of the final policy under the last round's α, β.</param>
public sealed record MatrixSolveResult(MatrixGame Game, string Dataset, string BehaviourSource, ProductPolicy Behaviour,
                                       TabularInspoResult Run, double QreGap)
{
    public ProductPolicy Policy => Run.Policy;
    public double ExpectedReturn => Run.ExpectedReturn;
    public double FinalBeta => Run.History[^1].Beta;

    /// <summary>How close to the optimum the expected return must be to count as reaching it.</summary>
    public const double OptimumTolerance = 1e-3;

    /// <summary>Whether the final policy's expected return is within <see cref="OptimumTolerance"/> of the optimum.
    /// A QRE gap of 0 does not say this: the gap measures an equilibrium of the regularised game, which may be
    /// another joint action (the climbing game from uniform data ends near (b,b)).</summary>
    public bool ReachesOptimum => Game.Optimum - ExpectedReturn <= OptimumTolerance;

    /// <summary>The joint actions whose reward is the optimum, by action names, e.g. ["(a,a)"].</summary>
    public IReadOnlyList<string> OptimalJointActions =>
        Enumerable.Range(0, Game.Rewards.Length).Where(j => Game.Rewards[j] == Game.Optimum).Select(Game.JointName).ToArray();

    /// <summary>The most likely joint action of the final policy, e.g. "(C,C)".</summary>
    public string ModeJointAction =>
        "(" + string.Join(",", Enumerable.Range(0, Game.Agents.Length).Select(i =>
        {
            var p = Policy.At(i, 0);
            int best = 0;
            for (int a = 1; a < p.Length; a++) if (p[a] > p[best]) best = a;
            return Game.Actions[i][best];
        })) + ")";
}

/// <summary>Solves a matrix game exactly from a named dataset definition or a dataset folder.</summary>
public static class MatrixGameSolver
{
    /// <summary>SPEC 2 defaults: XOR α = 0.1, β₀ = 1; M-NE (and any other game) α = 1, β₀ = 5; β ×0.97 per round; 300 rounds.</summary>
    public static TabularInspoOptions DefaultOptions(MatrixGame game) =>
        game.Name == MatrixGames.Xor.Name ? TabularInspoOptions.ForXor : TabularInspoOptions.ForMne;

    /// <summary>μ of a dataset the game defines (exact marginals), or counted from a dataset folder.</summary>
    public static (ProductPolicy Behaviour, string Source) Behaviour(MatrixGame game, string datasetNameOrFolder)
    {
        if (game.Datasets.ContainsKey(datasetNameOrFolder))
            return (game.Dataset(datasetNameOrFolder).Behaviour(game), "definition");
        if (Directory.Exists(datasetNameOrFolder) || datasetNameOrFolder.Contains('/') || datasetNameOrFolder.Contains('\\'))
            return (BehaviourEstimate.FromDataset(DatasetStore.Load(datasetNameOrFolder).Data, game), datasetNameOrFolder);
        throw new ArgumentException($"game '{game.Name}': unknown dataset '{datasetNameOrFolder}' (known: {string.Join(", ", game.Datasets.Keys)}, or a dataset folder)");
    }

    public static MatrixSolveResult Solve(MatrixGame game, string datasetNameOrFolder, TabularInspoOptions options)
    {
        var (mu, source) = Behaviour(game, datasetNameOrFolder);
        var run = TabularInspo.Run(game.Tabular, mu, options);
        var last = run.History[^1];
        double gap = QreGap.Compute(game.Tabular, run.Policy, new Regularizer(mu, options.Alpha, last.Beta)).Gap;
        return new MatrixSolveResult(game, datasetNameOrFolder, source, mu, run, gap);
    }
}
