/// `inspo dataset generate | info`.
module InSPO.Cli.DatasetCommand

open Argu
open InSPO.Cli.Arguments

let run (args: ParseResults<DatasetArgs>) =
    match args.GetSubCommand() with
    | Generate g ->
        let out = g.GetResult GenerateArgs.Out
        let name = g.GetResult GenerateArgs.Dataset
        let seed = g.GetResult(GenerateArgs.Seed, 0)
        match g.GetResult GenerateArgs.Game with
        | "bridge" ->
            let episodes = g.GetResult(GenerateArgs.Episodes, (if name = "mixed" then 1000 else 500))
            let data = InSPO.Data.BridgeDatasets.Generate(name, episodes, seed, out)
            printfn "wrote %s: %d episodes of bridge dataset '%s'" out data.Episodes name
        | gameName ->
            let game = InSPO.Envs.MatrixGames.Resolve gameName
            let data =
                InSPO.Data.MatrixGameDatasets.Generate(
                    game, name, g.GetResult(GenerateArgs.Episodes, 100), g.GetResult(GenerateArgs.Steps, 50), seed, out)
            printfn "wrote %s: %d episodes × %d steps of %s dataset '%s'" out data.Episodes (data.Steps - 1) game.Name name
        0
    | Info i ->
        let folder = i.GetResult InfoArgs.Folder
        let data = (InSPO.Data.DatasetStore.Load folder).Data
        let returns = [| for e in 0 .. data.Episodes - 1 -> float (data.EpisodeReturn e) |]
        let lengths = [| for e in 0 .. data.Episodes - 1 -> float (data.EpisodeLength e) |]
        printfn "%s: environment %s, %d agents, %d actions, obs %d, state %d, limit %d"
            folder data.Spec.Name data.Spec.Agents data.Spec.Actions data.Spec.ObservationSize data.Spec.StateSize data.Spec.EpisodeLimit
        printfn "episodes %d, mean length %.2f, return mean %.4f (min %.4f, max %.4f)"
            data.Episodes (Array.average lengths) (Array.average returns) (Array.min returns) (Array.max returns)
        0

/// `inspo import pymarl <folder> --out <dataset>`.
let import (args: ParseResults<ImportArgs>) =
    match args.GetSubCommand() with
    | Pymarl p ->
        let folder = p.GetResult PymarlImportArgs.Folder
        let env =
            p.GetResult(PymarlImportArgs.Env,
                        (match System.IO.DirectoryInfo(System.IO.Path.GetFullPath folder).Parent with
                         | null -> "pymarl"
                         | parent -> parent.Name))
        let out = p.GetResult PymarlImportArgs.Out
        let data = InSPO.Data.PymarlImporter.ImportTo(folder, env, out)
        printfn "wrote %s: %d episodes of %s (limit %d) from %s" out data.Episodes env data.Spec.EpisodeLimit folder
        0
