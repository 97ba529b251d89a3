using TorchSharp.Modules;

namespace InSPO.Training;

/// <summary>
/// Where one run folder's evaluations go, mid-run and final: <c>eval/*</c> scalars in its TensorBoard and, when the
/// run evaluates mid-way (<see cref="RunControl.EvaluateEvery"/>), a row of its <see cref="LearningCurve"/>. A single
/// run and each member of an ensemble keep one, so a member's curve is written as its single run's is.
/// </summary>
public sealed class EvaluationLog
{
    readonly SummaryWriter? tensorBoard;
    readonly LearningCurve? curve;

    /// <summary>The log of <paramref name="runDirectory"/> for a run starting (or resuming) at <paramref name="fromStep"/>:
    /// a resumed curve drops its rows after that step (they are evaluated again).</summary>
    public EvaluationLog(string runDirectory, long fromStep, RunControl control, SummaryWriter? tensorBoard)
    {
        this.tensorBoard = tensorBoard;
        if (control.EvaluateEvery is > 0) curve = new LearningCurve(Path.Combine(runDirectory, LearningCurve.FileName), fromStep);
    }

    /// <summary>Steps between mid-run evaluations (long.MaxValue: the final policy only).</summary>
    public static long Every(RunControl control) => control.EvaluateEvery is long every and > 0 ? every : long.MaxValue;

    /// <summary>Whether the run evaluates mid-way as well (a curve is kept).</summary>
    public bool MidRun => curve is not null;

    public void Add(long step, Evaluation evaluation)
    {
        foreach (var (name, value) in evaluation.Metrics) tensorBoard?.add_scalar("eval/" + name, (float)value, (int)step);
        curve?.Append(step, evaluation.Metrics);
    }
}
