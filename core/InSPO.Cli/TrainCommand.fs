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

/// One seed through the runner with a progress bar. Always through the runner: it reuses a finished record only
/// when its options, budget and data match.
let private trainOne (spec: RunSpec) resume (every: Nullable<int64>) =
    let label = sprintf "%s/%s/%s seed %d" spec.Env (Runner.DatasetLabel spec.Dataset) spec.Algorithm spec.Seed
    ProgressBar.run label (fun bar ->
        let progress =
            { new IProgress<TrainingProgress> with
                member _.Report p = bar.Update(float p.Step, float p.TotalSteps, sprintf "%s  %s" label (lossText p.Losses)) }
        let result = Runner.Run(spec, RunControl(Resume = resume, Progress = progress, EvaluateEvery = every))
        if result.Reused then bar.Remove()
        result)

/// How a failed member is reported: bad input and a diverged loss in their first line (they name the problem); anything
/// else — a libtorch check, a bug — whole, with its type and stack, so a bug report carries where it came from.
let private failureText (e: exn) =
    match e with
    | :? ArgumentException | :? IO.IOException | :? IO.InvalidDataException | :? InSPO.Data.DatasetFormatException
    | :? TrainingDivergedException -> e.Message.Split('\n').[0]
    | _ -> e.ToString()

/// `--seeds`: the group through the group runner (one ensemble where the algorithm has one, else one seed after
/// another); a failed member is reported and the others go on.
let private runGroup (group: RunGroup) resume every =
    let label = group.Label
    // a sweep's member is its value and seed
    let memberName (spec: RunSpec) =
        match group.Sweep with
        | NonNull sweep -> sprintf "%s=%g seed %d" sweep.Name (nonNull spec.Hyperparameters).[sweep.Name] spec.Seed
        | Null -> sprintf "seed %d" spec.Seed
    let outcomes =
        ProgressBar.run label (fun bar ->
            let progress =
                { new IProgress<TrainingProgress> with
                    member _.Report p = bar.Update(float p.Step, float p.TotalSteps, sprintf "%s  %s" label (lossText p.Losses)) }
            GroupRunner.Run(group, RunControl(Resume = resume, Progress = progress, EvaluateEvery = every)))
    for struct (spec, result, error) in outcomes do
        match result, error with
        | NonNull r, _ ->
            let metric = r.Metrics |> Seq.sortBy (fun kv -> kv.Key) |> Seq.map (fun kv -> sprintf "%s %.4f" kv.Key kv.Value) |> String.concat ", "
            printfn "%s: %s%s (record: %s)" (memberName spec) metric (if r.Reused then ", finished before" else "") r.RecordPath
        | _, NonNull e -> eprintfn "inspo: %s: %s" (memberName spec) (failureText e)
        | _ -> ()
    if outcomes |> Seq.exists (fun struct (_, r, _) -> isNull r) then 1 else 0

let run (args: ParseResults<TrainArgs>) =
    let spec = spec args
    let resume = args.Contains TrainArgs.Resume
    let every = args.TryGetResult TrainArgs.Eval_Every |> Option.toNullable
    if every.HasValue && every.Value < 1L then
        raise (ArgumentException(sprintf "--eval-every %d: expected a number of steps ≥ 1" every.Value))
    let sweep = args.TryGetResult TrainArgs.Sweep |> Option.map RunGroup.SweepOf.Parse
    match args.TryGetResult TrainArgs.Seeds, sweep with
    | Some _, _ when args.Contains TrainArgs.Seed -> raise (ArgumentException "--seed and --seeds: give one of them")
    | Some text, _ ->
        let seeds = RunGroup.ParseSeeds text
        runGroup (RunGroup(spec.WithSeed seeds[0], seeds, Option.toObj sweep)) resume every
    | None, Some sweep -> runGroup (RunGroup(spec, [ spec.Seed ], sweep)) resume every
    | None, None ->
        let result = trainOne spec resume every
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
