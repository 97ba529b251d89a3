using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using InSPO.Algorithms;
using InSPO.Data;
using InSPO.Envs;
using InSPO.Runtime;
using static TorchSharp.torch;

namespace InSPO.Training;

/// <summary>Extra controls of <see cref="Runner.Run(RunSpec, RunControl)"/> (tests and tools).</summary>
public sealed record RunControl
{
    public bool Resume { get; init; }
    public IProgress<TrainingProgress>? Progress { get; init; }
    /// <summary>Stop after this many steps, leaving a checkpoint and no record (a simulated kill).</summary>
    public long? StopAfter { get; init; }
    /// <summary>A dataset to train on instead of the one the spec names (tests: e.g. one with NaN rewards).</summary>
    public EpisodeDataset? DatasetOverride { get; init; }
    /// <summary>A budget to use instead of the spec's named profile (tests, measurements).</summary>
    public Profile? ProfileOverride { get; init; }
    /// <summary>Write TensorBoard event files (default true).</summary>
    public bool TensorBoard { get; init; } = true;
    /// <summary>Evaluate the current policy every this many steps as well (a learning curve: LearningCurve's
    /// curve.csv in the run folder and eval/* in TensorBoard); null or 0: the final policy only. It does not
    /// change the run: the evaluator samples with its own generator.</summary>
    public long? EvaluateEvery { get; init; }
}

/// <summary>A run stopped by <see cref="RunControl.StopAfter"/> before its end.</summary>
public sealed class RunInterruptedException : Exception
{
    public RunInterruptedException(long step, string checkpoint) : base($"run stopped at step {step}; resume from {checkpoint}") { Step = step; }
    public long Step { get; }
}

/// <summary>
/// Runs one cell end to end: dataset → device buffer → learner → trainer (checkpoints, TensorBoard, progress,
/// NaN guard) → evaluator → atomic record. The run folder is
/// <c>{OutputRoot ?? "runs"}/{env}/{dataset}/{algorithm}{-name=value…}/seed{seed}/</c> holding record.json,
/// checkpoint.bin and the TensorBoard events (tb/). A cell whose record exists is not run again.
/// </summary>
public static class Runner
{
    /// <summary>Episodes × steps of generated matrix-game datasets (AlberDICE's layout, SPEC 5.1).</summary>
    public const int MatrixEpisodes = 100, MatrixSteps = 50;

    /// <summary>Runs (or resumes) a cell; a finished cell returns its stored record.</summary>
    public static RunResult Run(RunSpec spec, bool resume = false, IProgress<TrainingProgress>? progress = null) =>
        Run(spec, new RunControl { Resume = resume, Progress = progress });

    /// <summary>The record of a finished cell, or null.</summary>
    public static RunResult? TryLoadFinished(RunSpec spec)
    {
        var path = Path.Combine(RunDirectory(spec), RunRecord.FileName);
        return File.Exists(path) ? RunRecord.Read(path, spec) : null;
    }

    /// <summary>The record of a finished cell when it is to be reused, else null; trains and writes nothing. The rule
    /// (<see cref="Run(RunSpec, RunControl)"/> applies it first): a record is reused only when it was made with the same
    /// resolved options, budget and data. Report-only tables read cells through it, so they show exactly what a run
    /// would reuse.</summary>
    public static RunResult? TryReuse(RunSpec spec, RunControl? control = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var finished = TryLoadFinished(spec);
        if (finished is null) return null;
        using var cell = Cell.Build(spec, control ?? new RunControl());
        return cell.Reuses(finished) ? finished.AsReused() : null;
    }

    /// <summary>What the reuse check and the run both need, built once: the environment, budget and device, the
    /// dataset (checked against the environment) and the learner as the run trains it — its resolved options are
    /// what a reusable record must have been made with.</summary>
    sealed class Cell : IDisposable
    {
        public required RunEnvironment Environment { get; init; }
        public required Profile Profile { get; init; }
        public required Device Device { get; init; }
        public required int DatasetSeed { get; init; }
        public required EpisodeDataset Data { get; init; }
        public required string DatasetIdentity { get; init; }
        public required IOfflineLearner Learner { get; init; }
        public required JsonObject? Options { get; init; }
        public required bool DatasetFromFolder { get; init; }

        public static Cell Build(RunSpec spec, RunControl control)
        {
            var (environment, profile, device) = Prepare(spec, control);
            TorchRuntime.Seed(spec.Seed);
            int datasetSeed = Runner.DatasetSeed(spec.Seed);
            var data = control.DatasetOverride ?? environment.Dataset(spec.Dataset, datasetSeed);
            // Before the learner: data of another environment would train and fail only in evaluation.
            environment.CheckDataset(data.Spec, spec.Dataset);
            // Initial weights come from a CPU generator of the run's own (not libtorch's global one, which
            // concurrent runs in one process would share), so a seed gives the same start on every device.
            using var init = new Generator((ulong)spec.Seed, CPU);
            var learner = Learners.Create(spec.Algorithm, data.Spec, spec.Hyperparameters, profile, device, init);
            return new Cell
            {
                Environment = environment, Profile = profile, Device = device, DatasetSeed = datasetSeed, Data = data,
                DatasetIdentity = environment.DatasetIdentity(spec.Dataset, datasetSeed), Learner = learner, Options = OptionsOf(learner),
                DatasetFromFolder = Directory.Exists(spec.Dataset),
            };
        }

        /// <summary>The reuse rule: a record is reused only when made with the same resolved options, budget and data.</summary>
        public bool Reuses(RunResult finished) =>
            RunRecord.SameConfiguration(finished.RecordPath, Options, Profile, DatasetIdentity, DatasetFromFolder);

        public void Dispose() => Learner.Dispose();
    }

    /// <summary>A learner's resolved options as its record stores them (null for a learner without options).</summary>
    static JsonObject? OptionsOf(IOfflineLearner learner) =>
        learner is IHasOptions h ? JsonSerializer.SerializeToNode(h.Options, h.Options.GetType())?.AsObject() : null;

    /// <summary>The folder of a cell (see the class summary). Hyperparameters are sorted by name.</summary>
    public static string RunDirectory(RunSpec spec)
    {
        var algo = spec.Algorithm.ToLowerInvariant() + string.Concat((spec.Hyperparameters ?? new Dictionary<string, double>())
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"-{kv.Key}={kv.Value.ToString("R", CultureInfo.InvariantCulture)}"));
        return Path.Combine(spec.OutputRoot ?? "runs", EnvironmentLabel(spec.Env), DatasetLabel(spec.Dataset), algo, $"seed{spec.Seed}");
    }

    /// <summary>How run folders name an environment: lower case; a game file by its name without the extension (an
    /// absolute path would put the run folder under the file itself); "smac:5m_vs_6m" as "smac-5m_vs_6m" (a colon
    /// is not a file-name character everywhere).</summary>
    public static string EnvironmentLabel(string env) =>
        (env.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? Path.GetFileNameWithoutExtension(env) : env)
            .ToLowerInvariant().Replace(':', '-');

    /// <summary>How run folders and progress lines name a dataset: a folder by its last name (its path would nest
    /// folders, and show as "xor//data/…" after the environment), a named dataset by its name.</summary>
    public static string DatasetLabel(string dataset) =>
        Directory.Exists(dataset) ? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataset))) : dataset;

    /// <summary>The seed of a generated dataset, derived from the run seed so that seed k of every algorithm
    /// trains on the same data (and different seeds on different draws, as independent data collections).</summary>
    public static int DatasetSeed(int runSeed) => unchecked(runSeed * 7919 + 1_000_003) & int.MaxValue;

    /// <summary>The seed of a run's evaluation episodes: every evaluation of a seed, mid-run or final, single or in an
    /// ensemble, plays the same episodes.</summary>
    public static int EvaluationSeed(int runSeed) => unchecked(runSeed * 31 + 17);

    /// <summary>What every cell starts with: its environment, its budget (the profile as the environment sizes it, or
    /// the override) and its device, with libtorch loaded and, on CPU, one intra-op thread — the networks are small,
    /// so threads mostly contend: measured on the 2-core machine at 8.8 vs 176 ms per InSPO step (batch 64, hidden
    /// 64) with 1 vs 2 threads under load.</summary>
    internal static (RunEnvironment Environment, Profile Profile, Device Device) Prepare(RunSpec spec, RunControl control)
    {
        var environment = RunEnvironments.Resolve(spec.Env);
        var profile = control.ProfileOverride ?? environment.Budget(Profiles.Get(spec.Profile));
        TorchRuntime.Initialize();
        var device = TorchRuntime.ResolveDevice(spec.Device);
        if (device.type == TorchSharp.DeviceType.CPU) set_num_threads(1);
        TorchRuntime.DrainFinalizers();
        return (environment, profile, device);
    }

    public static RunResult Run(RunSpec spec, RunControl control)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var finished = TryLoadFinished(spec);
        var clock = new RunClock();
        using var cell = Cell.Build(spec, control);
        if (finished is not null)
        {
            if (cell.Reuses(finished)) return finished.AsReused();
            // A record of another configuration (a changed default, a changed profile, another folder of the same last
            // name) is set aside, never overwritten.
            var aside = RunRecord.SetAside(finished.RecordPath);
            Console.Error.WriteLine($"runner: {RunDirectory(spec)}: the finished record was made with other options, another budget or other data; kept as {Path.GetFileName(aside)}, training again");
        }
        var (environment, profile, device, learner) = (cell.Environment, cell.Profile, cell.Device, cell.Learner);
        var dir = RunDirectory(spec);
        var checkpointPath = Path.Combine(dir, "checkpoint.bin");
        using var buffer = new DeviceEpisodeBuffer(cell.Data, device);
        var state = new TrainerState(new Generator((ulong)spec.Seed + 0x5EED, device));
        if (control.Resume && File.Exists(checkpointPath))
        {
            Checkpoint.Load(checkpointPath, learner, state);
            // Said in the run's output (a group's log under Slurm), so a resubmitted task shows it continued.
            Console.Error.WriteLine($"runner: resumed from {checkpointPath} at step {state.Step}");
        }
        // The processes before a resume count too: their training seconds, wall and processor, are in the checkpoint.
        clock.CountFrom(state);

        Directory.CreateDirectory(dir);
        var tb = control.TensorBoard ? utils.tensorboard.SummaryWriter(Path.Combine(dir, "tb")) : null;
        // Every evaluation, mid-run or final, uses the same episodes' seed, so the curve's points are comparable.
        int evalSeed = EvaluationSeed(spec.Seed);
        var evaluations = new EvaluationLog(dir, state.Step, control, tb);
        bool completed = Trainer.Train(learner, buffer, state, profile.TotalSteps, new TrainerHooks
        {
            Checkpoint = s => Checkpoint.Save(checkpointPath, learner, s),
            CheckpointEvery = profile.CheckpointEvery,
            TensorBoards = tb is null ? null : [tb],
            LogEvery = profile.LogEvery,
            Progress = control.Progress,
            StopAfter = control.StopAfter,
            Evaluate = evaluations.MidRun ? step => evaluations.Add(step, environment.Evaluate(learner, profile.EvalEpisodes, evalSeed, device)) : null,
            EvaluateEvery = EvaluationLog.Every(control),
        });
        if (!completed) throw new RunInterruptedException(state.Step, checkpointPath);

        var evaluation = environment.Evaluate(learner, profile.EvalEpisodes, evalSeed, device);
        evaluations.Add(state.Step, evaluation);
        var result = clock.Stamp(new RunResult(spec, evaluation.Metrics, evaluation.FinalPolicy, clock.WallSeconds(), state.Step,
            device.ToString(), RunRecord.Commit(), Path.Combine(dir, RunRecord.FileName)));
        RunRecord.Write(result.RecordPath, result, cell.Options, profile, cell.DatasetSeed, cell.DatasetIdentity);
        return result;
    }
}
