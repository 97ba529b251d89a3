/// The progress bar every long command shows, drawn from the working thread only.
module InSPO.Cli.ProgressBar

open System.Diagnostics
open Spectre.Console

/// One task's bar: set its value, maximum and description as work goes on.
type Bar(ctx: ProgressContext, task: ProgressTask) =
    let clock = Stopwatch.StartNew()
    member _.Task = task
    /// Updates the bar and redraws it at most 5 times a second.
    member _.Update(value: float, maximum: float, description: string) =
        task.MaxValue <- maximum
        task.Value <- min value maximum
        task.Description <- Markup.Escape description
        if clock.ElapsedMilliseconds >= 200L then
            ctx.Refresh()
            clock.Restart()
    member _.Remove() = ctx.RemoveTask task |> ignore

/// Runs <c>work</c> under a bar labelled <c>label</c>. Spectre's automatic refresh is off: its timer thread would
/// allocate (and so start garbage collections) while the working thread is inside libtorch, and TorchSharp 0.107
/// does not keep an implicitly converted Scalar alive through a native call, so a collection then can free it
/// ("Unknown scalar type": QMIX runs died every few minutes with the automatic refresh).
let run (label: string) (work: Bar -> 'a) : 'a =
    let mutable result = Unchecked.defaultof<'a>
    AnsiConsole.Progress()
        .AutoClear(false)
        .AutoRefresh(false)
        .Columns([| TaskDescriptionColumn() :> ProgressColumn; ProgressBarColumn(); PercentageColumn(); RemainingTimeColumn(); ElapsedTimeColumn() |])
        .Start(fun ctx ->
            let bar = Bar(ctx, ctx.AddTask(Markup.Escape label))
            result <- work bar
            ctx.Refresh())
    result
