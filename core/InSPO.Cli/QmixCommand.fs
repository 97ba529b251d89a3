/// `inspo qmix train`: online QMIX on a SMAC-lite map, with a progress bar; `inspo qmix publish`: its tier models.
module InSPO.Cli.QmixCommand

open System
open System.Collections.Generic
open Argu
open Spectre.Console
open InSPO.Cli.Arguments
open InSPO.Online

let run (args: ParseResults<QmixArgs>) =
    match args.GetSubCommand() with
    | QmixArgs.Train t ->
        let map = InSPO.Envs.Smac.SmacMaps.Get(t.GetResult QmixTrainArgs.Map)
        let hyper = Dictionary<string, float>(dict (t.GetResults QmixTrainArgs.Set |> List.map TrainCommand.parseSetting))
        match t.TryGetResult QmixTrainArgs.Steps with
        | Some s when s < 1L -> raise (ArgumentException(sprintf "--steps %d: expected at least 1" s))
        | Some s -> hyper["total_steps"] <- float s
        | None -> ()
        let options = QmixOptions.For(map.Name, hyper)
        let seed = t.GetResult(QmixTrainArgs.Seed, 0)
        let root = t.GetResult(QmixTrainArgs.Out, "runs")
        let record =
            ProgressBar.run (sprintf "qmix %s seed %d" map.Name seed) (fun bar ->
                let progress =
                    { new IProgress<QmixProgress> with
                        member _.Report p =
                            let win = if p.LastWinRate.HasValue then sprintf "%.2f" p.LastWinRate.Value else "–"
                            bar.Update(float p.EnvironmentSteps, float p.TotalSteps,
                                       sprintf "qmix %s seed %d  ε %.2f  td %.3g  test win %s" map.Name seed p.Epsilon p.Loss win) }
                QmixTrainer.Train(map, options, seed, root, t.Contains QmixTrainArgs.Resume, t.GetResult(QmixTrainArgs.Device, "cpu"), progress,
                                  Option.toObj (t.TryGetResult QmixTrainArgs.Init)))
        printfn "%s" (record.ToJsonString(Text.Json.JsonSerializerOptions(WriteIndented = true)))
        printfn "run: %s" (QmixTrainer.RunDirectory(root, map.Name, seed))
        0
    | QmixArgs.Publish p ->
        let run = p.GetResult QmixPublishArgs.Run
        let device = InSPO.Runtime.TorchRuntime.ResolveDevice(p.GetResult(QmixPublishArgs.Device, "cpu"))
        let choice =
            TierModels.Publish(run, p.GetResult QmixPublishArgs.To, p.GetResult(QmixPublishArgs.Low, 0.2), p.GetResult(QmixPublishArgs.High, 0.45),
                               p.GetResult(QmixPublishArgs.Episodes, 200), p.GetResult(QmixPublishArgs.Replay_Window, 100_000L), device,
                               fun t -> printfn "model %8d: greedy win rate %.3f, return %.2f" t.Step t.WinRate t.Return)
        printfn "%s" (choice.ToJsonString(Text.Json.JsonSerializerOptions(WriteIndented = true)))
        0
