/// `inspo train`: one offline training run (a cell), with a progress bar, resumable.
module InSPO.Cli.TrainCommand

open System
open System.Collections.Generic
open System.Globalization
open Argu
open Spectre.Console
open InSPO.Training
open InSPO.Cli.Arguments

/// "name=value" → (name, value); a bad pair is an ArgumentException (exit code 2).
let parseSetting (s: string) =
    match s.Split('=', 2) with
    | [| k; v |] ->
        match Double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture) with
        | true, x -> k.Trim(), x
        | _ -> raise (ArgumentException(sprintf "--set %s: value '%s' is not a number" s v))
    | _ -> raise (ArgumentException(sprintf "--set %s: expected name=value" s))

let spec (args: ParseResults<TrainArgs>) =
    let hyper = args.GetResults TrainArgs.Set |> List.map parseSetting
    RunSpec(
        args.GetResult TrainArgs.Env,
        args.GetResult TrainArgs.Dataset,
        args.GetResult(TrainArgs.Algo, "inspo"),
        args.GetResult(TrainArgs.Seed, 0),
        args.GetResult(TrainArgs.Profile, "quick"),
        args.GetResult(TrainArgs.Device, "cpu"),
        (Dictionary<string, float>(dict hyper) :> IReadOnlyDictionary<string, float>),   // empty = the defaults
        args.GetResult(TrainArgs.Out, "runs"))

let private lossText (losses: IReadOnlyList<KeyValuePair<string, float>>) =
    losses
    |> Seq.filter (fun kv -> kv.Key.StartsWith "loss/")
    |> Seq.truncate 4
    |> Seq.map (fun kv -> sprintf "%s %.3g" (kv.Key.Substring 5) kv.Value)
    |> String.concat "  "

let run (args: ParseResults<TrainArgs>) =
    let spec = spec args
    let resume = args.Contains TrainArgs.Resume
    let every = args.TryGetResult TrainArgs.Eval_Every |> Option.toNullable
    if every.HasValue && every.Value < 1L then
        raise (ArgumentException(sprintf "--eval-every %d: expected a number of steps ≥ 1" every.Value))
    let label = sprintf "%s/%s/%s seed %d" spec.Env (Runner.DatasetLabel spec.Dataset) spec.Algorithm spec.Seed
    // Always through the runner: it reuses a finished record only when its options, budget and data match.
    let result =
        ProgressBar.run label (fun bar ->
            let progress =
                { new IProgress<TrainingProgress> with
                    member _.Report p = bar.Update(float p.Step, float p.TotalSteps, sprintf "%s  %s" label (lossText p.Losses)) }
            let result = Runner.Run(spec, RunControl(Resume = resume, Progress = progress, EvaluateEvery = every))
            if result.Reused then bar.Remove()
            result)
    if result.Reused then
        AnsiConsole.MarkupLine("[grey]finished before: its record is kept (delete the run folder to rerun)[/]")
    let table = Table().AddColumns("metric", "value")
    for kv in result.Metrics |> Seq.sortBy (fun kv -> kv.Key) do
        table.AddRow(kv.Key, sprintf "%.4f" kv.Value) |> ignore
    table.AddRow("steps", string result.Steps) |> ignore
    table.AddRow("wall seconds", sprintf "%.2f" result.WallSeconds) |> ignore
    table.AddRow("device", result.Device) |> ignore
    AnsiConsole.Write table
    for i in 0 .. result.FinalPolicy.Length - 1 do
        printfn "agent %d policy: [%s]" i (result.FinalPolicy[i] |> Array.map (sprintf "%.3f") |> String.concat ", ")
    printfn "record: %s" result.RecordPath
    0
