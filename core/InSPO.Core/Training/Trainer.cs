using System.Diagnostics;
using InSPO.Algorithms;
using InSPO.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InSPO.Training;

/// <summary>What the trainer reports while it runs (the CLI draws a progress bar from it).</summary>
/// <param name="Step">Steps done.</param>
/// <param name="TotalSteps">Steps of the whole run.</param>
/// <param name="Losses">The last step's losses and logged scalars.</param>
/// <param name="Elapsed">Training time so far in this process (plus the checkpoint's, when resumed).</param>
/// <param name="Eta">Estimated time to the end, from this process's rate; null before the first step.</param>
public sealed record TrainingProgress(long Step, long TotalSteps, IReadOnlyList<KeyValuePair<string, double>> Losses, TimeSpan Elapsed, TimeSpan? Eta);

/// <summary>A loss became NaN or infinite: the run stops here, naming the loss and the step.</summary>
public sealed class TrainingDivergedException : Exception
{
    public TrainingDivergedException(string loss, long step, double value)
        : base($"training diverged: loss '{loss}' is {value} at step {step}; the run stopped (its last checkpoint is kept, finished runs are untouched)")
    {
        Loss = loss; Step = step; Value = value;
    }
    public string Loss { get; }
    public long Step { get; }
    public double Value { get; }

    /// <summary>The NaN guard: <paramref name="value"/> when finite, else this exception naming the loss and step.
    /// The trainer checks every returned loss; learners check inside a step where a later part would fail on a NaN
    /// before the trainer sees it.</summary>
    public static double ThrowIfNotFinite(string loss, long step, double value) =>
        double.IsFinite(value) ? value : throw new TrainingDivergedException(loss, step, value);
}

/// <summary>The mutable part of a run that a checkpoint saves besides the learner: the step counter, the
/// sampling generator (one per member of a seed ensemble) and the training time spent so far, wall and processor.</summary>
public sealed class TrainerState
{
    public TrainerState(Generator generator) => Generators = [generator];
    /// <summary>A seed ensemble's state: member k samples its batches with <paramref name="generators"/>[k].</summary>
    public TrainerState(IReadOnlyList<Generator> generators) => Generators = generators;
    public long Step { get; set; }
    /// <summary>A single run's sampling generator.</summary>
    public Generator Generator => Generators.Count == 1 ? Generators[0]
        : throw new InvalidOperationException($"a state of {Generators.Count} members has a generator per member (Generators)");
    public IReadOnlyList<Generator> Generators { get; }
    public double TrainingSeconds { get; set; }
    /// <summary>Processor seconds the training loop's processes spent so far (a group's: all members together); null
    /// when unknown — the run was resumed from a checkpoint of a build that did not save them.</summary>
    public double? ProcessorSeconds { get; set; } = 0;
    /// <summary>The machines the training loop's processes ran on (<see cref="InSPO.Runtime.MachineIdentity"/>): ""
    /// before any training, null when unknown — the run was resumed from a checkpoint of a build that did not save it.</summary>
    public string? Machine { get; set; } = "";
}

/// <summary>Optional plumbing of one training loop.</summary>
public sealed record TrainerHooks
{
    /// <summary>Called every <see cref="CheckpointEvery"/> steps and at the end (and at <see cref="StopAfter"/>).</summary>
    public Action<TrainerState>? Checkpoint { get; init; }
    public long CheckpointEvery { get; init; } = long.MaxValue;
    /// <summary>Each member's TensorBoard writer (a single run: one), in the order of the step's losses.</summary>
    public IReadOnlyList<SummaryWriter>? TensorBoards { get; init; }
    /// <summary>The members' names in a non-finite loss's message ("seed 3"); null for a single run.</summary>
    public IReadOnlyList<string>? Members { get; init; }
    public long LogEvery { get; init; } = 100;
    public IProgress<TrainingProgress>? Progress { get; init; }
    /// <summary>Stop (after checkpointing) once this many steps are done: what a killed run looks like, for tests.</summary>
    public long? StopAfter { get; init; }
    /// <summary>Called with the steps done every <see cref="EvaluateEvery"/> steps before the end (the final policy
    /// is evaluated by the caller). Must not touch the learner's or the trainer's state.</summary>
    public Action<long>? Evaluate { get; init; }
    public long EvaluateEvery { get; init; } = long.MaxValue;
}

/// <summary>The one training loop every algorithm shares, a single run's and a seed ensemble's: steps inside a
/// dispose scope, the NaN guard, TensorBoard scalars, progress with ETA, periodic evaluations and checkpoints.</summary>
public static class Trainer
{
    /// <summary>Trains from <c>state.Step</c> to <paramref name="totalSteps"/>. Returns false when stopped early by
    /// <see cref="TrainerHooks.StopAfter"/>. Throws <see cref="TrainingDivergedException"/> on a non-finite loss.</summary>
    public static bool Train(IOfflineLearner learner, DeviceEpisodeBuffer data, TrainerState state, long totalSteps, TrainerHooks? hooks = null) =>
        Train(state, totalSteps, step => [learner.Step(step, totalSteps, data, state.Generator)], hooks);

    /// <summary>The loop over <paramref name="step"/>, which takes one step of every member and returns each member's
    /// losses (a single run: one list). Progress shows the first member's; a non-finite loss of any member stops the
    /// loop, naming the member (<see cref="TrainerHooks.Members"/>).</summary>
    public static bool Train(TrainerState state, long totalSteps,
        Func<long, IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>>> step, TrainerHooks? hooks = null)
    {
        hooks ??= new TrainerHooks();
        var clock = Stopwatch.StartNew();
        var processorAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        long startStep = state.Step;
        double startSeconds = state.TrainingSeconds;
        double? startProcessorSeconds = state.ProcessorSeconds;
        string? startMachine = state.Machine;
        // What a checkpoint saves (and the end leaves) as the time spent so far.
        void StampTimes()
        {
            state.TrainingSeconds = startSeconds + clock.Elapsed.TotalSeconds;
            state.ProcessorSeconds = startProcessorSeconds + (Process.GetCurrentProcess().TotalProcessorTime - processorAtStart).TotalSeconds;
            state.Machine = InSPO.Runtime.MachineIdentity.Then(startMachine);
        }
        long reportEvery = Math.Max(1, totalSteps / 200);
        while (state.Step < totalSteps)
        {
            if (hooks.StopAfter is { } stop && state.Step >= stop)
            {
                StampTimes();
                hooks.Checkpoint?.Invoke(state);
                return false;
            }
            long done = state.Step;
            IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> losses;
            using (NewDisposeScope())
                losses = step(done);
            for (int k = 0; k < losses.Count; k++)
                foreach (var (name, value) in losses[k])
                    TrainingDivergedException.ThrowIfNotFinite(hooks.Members is { } members ? $"{name} of {members[k]}" : name, done, value);
            state.Step = done + 1;

            if (hooks.TensorBoards is { } boards && (done % hooks.LogEvery == 0 || state.Step == totalSteps))
                for (int k = 0; k < boards.Count; k++)
                    foreach (var (name, value) in losses[k]) boards[k].add_scalar(name, (float)value, (int)done);
            if (hooks.Progress is { } progress && (state.Step % reportEvery == 0 || state.Step == totalSteps))
            {
                double rate = (state.Step - startStep) / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                progress.Report(new TrainingProgress(state.Step, totalSteps, losses[0],
                    TimeSpan.FromSeconds(startSeconds + clock.Elapsed.TotalSeconds),
                    TimeSpan.FromSeconds((totalSteps - state.Step) / Math.Max(rate, 1e-9))));
            }
            if (hooks.Evaluate is { } evaluate && state.Step % hooks.EvaluateEvery == 0 && state.Step < totalSteps)
                evaluate(state.Step);
            if (state.Step % hooks.CheckpointEvery == 0 && state.Step < totalSteps)
            {
                StampTimes();
                hooks.Checkpoint?.Invoke(state);
            }
        }
        StampTimes();
        hooks.Checkpoint?.Invoke(state);
        return true;
    }
}
