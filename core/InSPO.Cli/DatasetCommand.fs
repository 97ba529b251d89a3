/// `inspo dataset generate | info`.
module InSPO.Cli.DatasetCommand

open Argu
open InSPO.Cli.Arguments

let run (args: ParseResults<DatasetArgs>) =
    match args.GetSubCommand() with
    | Generate g ->
        let game = InSPO.Envs.MatrixGames.Resolve(g.GetResult GenerateArgs.Game)
        let out = g.GetResult GenerateArgs.Out
        let data =
            InSPO.Data.MatrixGameDatasets.Generate(
                game, g.GetResult GenerateArgs.Dataset, g.GetResult(GenerateArgs.Episodes, 100), g.GetResult(GenerateArgs.Steps, 50), g.GetResult(GenerateArgs.Seed, 0), out)
        printfn "wrote %s: %d episodes × %d steps of %s dataset '%s'" out data.Episodes (data.Steps - 1) game.Name (g.GetResult GenerateArgs.Dataset)
        0
    | Info i ->
        let folder = i.GetResult Folder
        let data = (InSPO.Data.DatasetStore.Load folder).Data
        let returns = [| for e in 0 .. data.Episodes - 1 -> float (data.EpisodeReturn e) |]
        let lengths = [| for e in 0 .. data.Episodes - 1 -> float (data.EpisodeLength e) |]
        printfn "%s: environment %s, %d agents, %d actions, obs %d, state %d, limit %d"
            folder data.Spec.Name data.Spec.Agents data.Spec.Actions data.Spec.ObservationSize data.Spec.StateSize data.Spec.EpisodeLimit
        printfn "episodes %d, mean length %.2f, return mean %.4f (min %.4f, max %.4f)"
            data.Episodes (Array.average lengths) (Array.average returns) (Array.min returns) (Array.max returns)
        0
