using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InSPO.Algorithms;
using InSPO.Data;
using InSPO.Envs;
using static TorchSharp.torch;

namespace InSPO.Training;

/// <summary>
/// What the <see cref="Runner"/> needs to know about an environment: how a dataset name becomes data, and how a
/// final policy is evaluated (and which metrics that reports). A dataset folder (the project's format) works
/// for every environment.
/// </summary>
public abstract class RunEnvironment
{
    /// <summary>The environment the run's policy acts in (evaluation's episode limit).</summary>
    public abstract EnvSpec Spec { get; }

    /// <summary>The dataset the spec names: a folder, or a name the environment defines (generated datasets use
    /// <paramref name="datasetSeed"/>, derived from the run seed, see <see cref="Runner.DatasetSeed"/>).</summary>
    public EpisodeDataset Dataset(string dataset, int datasetSeed) =>
        Directory.Exists(dataset) ? DatasetStore.Load(dataset).Data : Named(dataset, datasetSeed);

    /// <summary>
    /// Refuses data of another environment, which would train and then fail in evaluation (a libtorch shape
    /// error): agents, actions, observation and state sizes must be the environment's. The episode limit may
    /// differ (Bridge data hold 50 steps, evaluation 20). The name must match too, except for an import
    /// (<c>inspo import pymarl</c>), which is named by its buffer's folder (the reference XOR buffers:
    /// "xor_alberdice").
    /// </summary>
    public void CheckDataset(EnvSpec data, string dataset)
    {
        bool sizes = data.Agents == Spec.Agents && data.Actions == Spec.Actions
            && data.ObservationSize == Spec.ObservationSize && data.StateSize == Spec.StateSize;
        bool name = string.Equals(data.Name, Spec.Name, StringComparison.OrdinalIgnoreCase) || IsImport(dataset);
        if (!sizes || !name)
            throw new ArgumentException($"dataset {dataset} was recorded in environment {Describe(data)}, not the run's environment {Describe(Spec)}");
    }

    static bool IsImport(string dataset) =>
        Directory.Exists(dataset) && DatasetStore.ReadManifest(dataset).Generator["name"] is JsonValue v
        && v.TryGetValue<string>(out var generator) && generator == "pymarl-import";   // PymarlImporter.ImportTo's

    static string Describe(EnvSpec s) =>
        $"'{s.Name}' ({s.Agents} agents, {s.Actions} actions, observation {s.ObservationSize}, state {s.StateSize})";

    /// <summary>What determines the data a dataset names, kept in the run record so that a finished run is reused
    /// only for the same data: for a folder a SHA-256 over its manifest's field checksums (name and sha256 of each,
    /// in manifest order; the arrays are not read again), for a named dataset the environment's name, the
    /// dataset's and its seed, which generate it.</summary>
    public string DatasetIdentity(string dataset, int datasetSeed)
    {
        if (!Directory.Exists(dataset)) return $"{Spec.Name}/{dataset}/seed {datasetSeed}";
        var fields = string.Concat(DatasetStore.ReadManifest(dataset).Fields.Select(f => $"{f.Key} {f.Value.Sha256}\n"));
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fields)));
    }

    /// <summary>A dataset the environment defines by name.</summary>
    protected abstract EpisodeDataset Named(string dataset, int datasetSeed);

    /// <summary>The budget of a named profile in this environment (by default the profile itself).</summary>
    public virtual Profile Budget(Profile profile) => profile;

    /// <summary>Evaluates a trained learner on <paramref name="episodes"/> episodes (SPEC 4).</summary>
    public abstract Evaluation Evaluate(InSPO.Actors.IDecentralisedPolicy learner, int episodes, int seed, Device device);
}

/// <summary>The environments the runner knows, by name: "bridge", "smac:MAP" (SMAC-lite), else a matrix game
/// (built-in or a file).</summary>
public static class RunEnvironments
{
    public static RunEnvironment Resolve(string env) =>
        string.Equals(env, "bridge", StringComparison.OrdinalIgnoreCase) ? new BridgeRunEnvironment()
        : SmacRunEnvironment.TryResolve(env) is { } smac ? smac
        : new MatrixGameRunEnvironment(MatrixGames.Resolve(env));
}

/// <summary>A repeated matrix game: AlberDICE's layout (100 episodes × 50 steps, SPEC 5.1); evaluation reports
/// the exact expected per-step return ("return") and the sampled mean ("return_sampled").</summary>
public sealed class MatrixGameRunEnvironment : RunEnvironment
{
    public MatrixGameRunEnvironment(MatrixGame game) => Game = game;
    public MatrixGame Game { get; }
    public override EnvSpec Spec => new MatrixGameEnv(Game, Runner.MatrixSteps).Spec;

    protected override EpisodeDataset Named(string dataset, int datasetSeed) =>
        MatrixGameDatasets.Record(Game, dataset, Runner.MatrixEpisodes, Runner.MatrixSteps, datasetSeed);

    public override Evaluation Evaluate(InSPO.Actors.IDecentralisedPolicy learner, int episodes, int seed, Device device) =>
        Evaluator.Evaluate(learner, () => new MatrixGameEnv(Game, Runner.MatrixSteps), episodes, seed, device, Game);
}

/// <summary>
/// Bridge (SPEC 5.2). Datasets: "optimal" (500 episodes) and "mixed" (500 uniform-random + 500 optimal), generated
/// by <see cref="BridgeDatasets"/> from the dataset seed, as AlberDICE's sizes; "optimal-reference" and
/// "mixed-reference", AlberDICE's own buffers imported from <c>shared/data/bridge/{optimal,mix}</c> (see
/// <see cref="SharedData"/>). Evaluation: AlberDICE's 20-step limit, actions sampled from the policy;
/// "return" = "return_sampled" = mean undiscounted team return, "return_normalised" =
/// <see cref="BridgeValues.Normalised"/> of it (0 uniform random, 1 optimal).
/// </summary>
public sealed class BridgeRunEnvironment : RunEnvironment
{
    public const int OptimalEpisodes = 500, MixedEpisodes = 1000;
    public static readonly string[] Names = { "optimal", "mixed", "optimal-reference", "mixed-reference" };

    public override EnvSpec Spec => new BridgeEnv(BridgeEnv.EvaluationEpisodeLimit).Spec;

    protected override EpisodeDataset Named(string dataset, int datasetSeed) => dataset switch
    {
        "optimal" => BridgeDatasets.Record("optimal", OptimalEpisodes, datasetSeed),
        "mixed" => BridgeDatasets.Record("mixed", MixedEpisodes, datasetSeed),
        "optimal-reference" => PymarlImporter.Import(SharedData.Require(Path.Combine("bridge", "optimal")), "bridge"),
        "mixed-reference" => PymarlImporter.Import(SharedData.Require(Path.Combine("bridge", "mix")), "bridge"),
        _ => throw new ArgumentException($"unknown Bridge dataset '{dataset}' (known: {string.Join(", ", Names)}, or a dataset folder)"),
    };

    /// <summary>Quick profile: 8000 policy rounds of 256 transitions instead of 1500 of 64. Bridge's values must
    /// travel back over ~8 steps, and on "mixed" the critic must learn the value of states the data visit rarely;
    /// the matrix games' budget is far too short for that. Measured with InSPO's Bridge defaults of stop 9
    /// (InspoOptions.For, then γ = 0.99 and one inner step), return_normalised, seeds 0–2 (Runner with
    /// ProfileOverride): mixed at 4000 × 64
    /// 0.51 / 0.49 / 0.54, 16000 × 64 0.85 / 0.79 / 0.74, 4000 × 256 0.76 / 0.64 / 0.70, 8000 × 256
    /// 0.94 / 0.57 / 0.69 (optimal 0.996 / 0.994 / 0.993) at ≈ 50 s per run with two runs sharing the 2 cores.
    /// Larger batches are cheaper than more rounds on the CPU (per-call overhead dominates at 64 units); AlberDICE's
    /// own Bridge batches are 128 episodes × 20 steps. Every algorithm gets this budget. Other profiles are unchanged.</summary>
    public override Profile Budget(Profile profile) =>
        profile.Name == Profiles.Quick.Name ? profile with { Steps = QuickSteps, BatchSize = QuickBatchSize } : profile;

    public const int QuickSteps = 8000, QuickBatchSize = 256;

    public override Evaluation Evaluate(InSPO.Actors.IDecentralisedPolicy learner, int episodes, int seed, Device device)
    {
        var e = Evaluator.Evaluate(learner, () => new BridgeEnv(BridgeEnv.EvaluationEpisodeLimit), episodes, seed, device);
        var metrics = new Dictionary<string, double>(e.Metrics)
        {
            ["return_normalised"] = BridgeValues.Normalised(e.Metrics["return"], BridgeEnv.EvaluationEpisodeLimit),
        };
        return e with { Metrics = metrics };
    }
}

/// <summary>
/// The project's shared reference data (<c>../shared/data</c> beside the repository, never copied into it):
/// INSPO_SHARED_DATA if set, else the first <c>shared/data</c> found walking up from the current directory or
/// from the binary's folder.
/// </summary>
public static class SharedData
{
    public const string Variable = "INSPO_SHARED_DATA";

    /// <summary>The shared data folder, or null when none is found.</summary>
    public static string? Root()
    {
        var fromEnv = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrEmpty(fromEnv)) return Directory.Exists(fromEnv) ? Path.GetFullPath(fromEnv) : null;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "data");
                if (Directory.Exists(candidate)) return candidate;
            }
        return null;
    }

    /// <summary>The folder <paramref name="relative"/> under the shared data; a one-line error when absent.</summary>
    public static string Require(string relative)
    {
        var root = Root();
        var path = root is null ? null : Path.Combine(root, relative);
        if (path is null || !Directory.Exists(path))
            throw new DirectoryNotFoundException(
                $"shared data '{relative}' not found: set {Variable} to the shared/data folder, or keep ../shared/data beside the repository"
                + (root is null ? "" : $" (looked in {root})"));
        return path;
    }
}
