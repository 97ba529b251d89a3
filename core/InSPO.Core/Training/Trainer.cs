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
/// sampling generator and the training time spent so far.</summary>
public sealed class TrainerState
{
    public TrainerState(Generator generator) => Generator = generator;
    public long Step { get; set; }
    public Generator Generator { get; }
    public double TrainingSeconds { get; set; }
}

/// <summary>Optional plumbing of one training loop.</summary>
public sealed record TrainerHooks
{
    /// <summary>Called every <see cref="CheckpointEvery"/> steps and at the end (and at <see cref="StopAfter"/>).</summary>
    public Action<TrainerState>? Checkpoint { get; init; }
    public long CheckpointEvery { get; init; } = long.MaxValue;
    public SummaryWriter? TensorBoard { get; init; }
    public long LogEvery { get; init; } = 100;
    public IProgress<TrainingProgress>? Progress { get; init; }
    /// <summary>Stop (after checkpointing) once this many steps are done: what a killed run looks like, for tests.</summary>
    public long? StopAfter { get; init; }
    /// <summary>Called with the steps done every <see cref="EvaluateEvery"/> steps before the end (the final policy
    /// is evaluated by the caller). Must not touch the learner's or the trainer's state.</summary>
    public Action<long>? Evaluate { get; init; }
    public long EvaluateEvery { get; init; } = long.MaxValue;
}

/// <summary>The one training loop every algorithm shares: steps inside a dispose scope, the NaN guard,
/// TensorBoard scalars, progress with ETA, periodic evaluations and checkpoints.</summary>
public static class Trainer
{
    /// <summary>Trains from <c>state.Step</c> to <paramref name="totalSteps"/>. Returns false when stopped early by
    /// <see cref="TrainerHooks.StopAfter"/>. Throws <see cref="TrainingDivergedException"/> on a non-finite loss.</summary>
    public static bool Train(IOfflineLearner learner, DeviceEpisodeBuffer data, TrainerState state, long totalSteps, TrainerHooks? hooks = null)
    {
        hooks ??= new TrainerHooks();
        var clock = Stopwatch.StartNew();
        long startStep = state.Step;
        double startSeconds = state.TrainingSeconds;
        long reportEvery = Math.Max(1, totalSteps / 200);
        while (state.Step < totalSteps)
        {
            if (hooks.StopAfter is { } stop && state.Step >= stop)
            {
                state.TrainingSeconds = startSeconds + clock.Elapsed.TotalSeconds;
                hooks.Checkpoint?.Invoke(state);
                return false;
            }
            long step = state.Step;
            IReadOnlyList<KeyValuePair<string, double>> losses;
            using (var scope = NewDisposeScope())
                losses = learner.Step(step, totalSteps, data, state.Generator);
            foreach (var (name, value) in losses)
                TrainingDivergedException.ThrowIfNotFinite(name, step, value);
            state.Step = step + 1;

            if (hooks.TensorBoard is { } tb && (step % hooks.LogEvery == 0 || state.Step == totalSteps))
                foreach (var (name, value) in losses) tb.add_scalar(name, (float)value, (int)step);
            if (hooks.Progress is { } progress && (state.Step % reportEvery == 0 || state.Step == totalSteps))
            {
                double rate = (state.Step - startStep) / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                progress.Report(new TrainingProgress(state.Step, totalSteps, losses,
                    TimeSpan.FromSeconds(startSeconds + clock.Elapsed.TotalSeconds),
                    TimeSpan.FromSeconds((totalSteps - state.Step) / Math.Max(rate, 1e-9))));
            }
            if (hooks.Evaluate is { } evaluate && state.Step % hooks.EvaluateEvery == 0 && state.Step < totalSteps)
                evaluate(state.Step);
            if (state.Step % hooks.CheckpointEvery == 0 && state.Step < totalSteps)
            {
                state.TrainingSeconds = startSeconds + clock.Elapsed.TotalSeconds;
                hooks.Checkpoint?.Invoke(state);
            }
        }
        state.TrainingSeconds = startSeconds + clock.Elapsed.TotalSeconds;
        hooks.Checkpoint?.Invoke(state);
        return true;
    }
}
