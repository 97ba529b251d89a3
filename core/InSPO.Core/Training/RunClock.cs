using System.Diagnostics;

namespace InSPO.Training;

/// <summary>
/// The times a run's record states, a single run's and a seed group's alike: this process's wall and processor time
/// since the run started, plus what the processes before a resume spent (their checkpoint's), divided among a group's
/// members, and the machines they ran on.
/// </summary>
public sealed class RunClock
{
    readonly Stopwatch wall = Stopwatch.StartNew();
    readonly TimeSpan processorAtStart = Process.GetCurrentProcess().TotalProcessorTime;
    double wallBefore;
    double? processorBefore = 0;
    long? resumedAt;
    string? machineBefore = "";

    /// <summary>Counts the training the state already holds (a loaded checkpoint's; nothing for a fresh state).
    /// Call it after resuming and before training.</summary>
    public void CountFrom(TrainerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        (wallBefore, processorBefore, resumedAt) = (state.TrainingSeconds, state.ProcessorSeconds, state.Step > 0 ? state.Step : null);
        machineBefore = state.Machine;   // a fresh state holds "" (no machine before this one)
    }

    /// <summary>Wall seconds of the whole run so far, per member.</summary>
    public double WallSeconds(int members = 1) => (wallBefore + wall.Elapsed.TotalSeconds) / members;

    /// <summary><paramref name="result"/> with the processor seconds per member (null when a process before the resume
    /// did not save them), the resume step and the machines it trained on; its wall seconds are <see cref="WallSeconds"/>'.</summary>
    public RunResult Stamp(RunResult result, int members = 1)
    {
        ArgumentNullException.ThrowIfNull(result);
        double processorNow = (Process.GetCurrentProcess().TotalProcessorTime - processorAtStart).TotalSeconds;
        return result with
        {
            CpuSeconds = (processorBefore + processorNow) / members,
            ResumedAtStep = resumedAt,
            TimesCoverEveryProcess = true,
            Machine = InSPO.Runtime.MachineIdentity.Then(machineBefore),
        };
    }
}
