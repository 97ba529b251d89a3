/// Entry point of the `inspo` command. Bad input ends with one line on stderr and exit code 2.
module InSPO.Cli.Program

open System
open System.IO
open Argu
open InSPO.Cli.Arguments

let private fail (message: string) =
    eprintfn "inspo: %s" (message.Split('\n').[0])
    2

[<EntryPoint>]
let main argv =
    let parser = ArgumentParser.Create<InspoArgs>(programName = "inspo")
    try
        let args = parser.ParseCommandLine(argv)
        match args.GetSubCommand() with
        | Solve a -> SolveCommand.run a
        | Dataset a -> DatasetCommand.run a
        | Runtime a -> RuntimeCommand.run a
        | Import a -> DatasetCommand.import a
        | Export a -> DatasetCommand.export a
        | Smac a -> SmacCommand.run a
        | Train a -> TrainCommand.run a
        | Reproduce a -> ReproduceCommand.run a
        | Qmix a -> QmixCommand.run a
        | Status a -> StatusCommand.run a
    with
    | :? ArguParseException as e when e.ErrorCode = ErrorCode.HelpText -> printfn "%s" e.Message; 0
    | :? ArguParseException as e -> eprintfn "%s" e.Message; 2
    | :? InSPO.Data.DatasetFormatException as e -> fail e.Message
    | :? FileNotFoundException as e -> fail e.Message
    | :? DirectoryNotFoundException as e -> fail e.Message
    | :? InvalidDataException as e -> fail e.Message
    | :? ArgumentException as e -> fail e.Message
    | :? InSPO.Training.TrainingDivergedException as e -> eprintfn "inspo: %s" e.Message; 1
