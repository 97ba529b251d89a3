namespace InSPO.Envs;

/// <summary>The built-in games of SPEC 5.1, and the lookup used by the CLI and scripts.</summary>
public static class MatrixGames
{
    /// <summary>XOR: r(A,A) = 0, r(A,B) = r(B,A) = 1, r(B,B) = −2. Optimum 1. Datasets are equal mixtures
    /// of joint actions: (a) {AB, BA}; (b) {AA, AB, BA}; (c) {AA, AB, BA, BB}.</summary>
    public static MatrixGame Xor { get; } = new(
        "xor", new[] { "agent0", "agent1" }, new[] { new[] { "A", "B" }, new[] { "A", "B" } },
        new double[] { 0, 1, 1, -2 },
        new MatrixDatasetDefinition[]
        {
            new SupportDataset("a", "equal mixture of (A,B), (B,A)", new[] { new[] { 0, 1 }, new[] { 1, 0 } }),
            new SupportDataset("b", "equal mixture of (A,A), (A,B), (B,A)", new[] { new[] { 0, 0 }, new[] { 0, 1 }, new[] { 1, 0 } }),
            new SupportDataset("c", "equal mixture of all four joint actions", new[] { new[] { 0, 0 }, new[] { 0, 1 }, new[] { 1, 0 }, new[] { 1, 1 } }),
        });

    /// <summary>M-NE: r(A,A) = 5, r(B,B) = 10, r(C,C) = 20, off-diagonal 0 (three pure equilibria). Optimum 20.
    /// Datasets: balanced (μⁱ uniform), imbalanced (μⁱ = 0.8, 0.1, 0.1).</summary>
    public static MatrixGame Mne { get; } = new(
        "mne", new[] { "agent0", "agent1" }, new[] { new[] { "A", "B", "C" }, new[] { "A", "B", "C" } },
        new double[] { 5, 0, 0, 0, 10, 0, 0, 0, 20 },
        new MatrixDatasetDefinition[]
        {
            new ProductDataset("balanced", "μⁱ uniform", new[] { new[] { 1 / 3.0, 1 / 3.0, 1 / 3.0 }, new[] { 1 / 3.0, 1 / 3.0, 1 / 3.0 } }),
            new ProductDataset("imbalanced", "μⁱ(A) = 0.8, μⁱ(B) = μⁱ(C) = 0.1", new[] { new[] { 0.8, 0.1, 0.1 }, new[] { 0.8, 0.1, 0.1 } }),
        });

    public static IReadOnlyList<MatrixGame> BuiltIn { get; } = new[] { Xor, Mne };

    /// <summary>A built-in game by name ("xor", "mne"), else a JSON game file by path.</summary>
    public static MatrixGame Resolve(string nameOrPath)
    {
        var builtIn = BuiltIn.FirstOrDefault(g => string.Equals(g.Name, nameOrPath, StringComparison.OrdinalIgnoreCase));
        if (builtIn is not null) return builtIn;
        if (File.Exists(nameOrPath) || nameOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            return MatrixGameFile.Load(nameOrPath);
        throw new ArgumentException($"unknown game '{nameOrPath}': expected {string.Join(", ", BuiltIn.Select(g => g.Name))} or a path to a .json game file");
    }
}
