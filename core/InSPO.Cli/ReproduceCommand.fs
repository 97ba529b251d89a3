/// `inspo reproduce <target> [--profile P] [--device D] [--sweep]`: runs the experiment script that declares one
/// of the paper's tables or figures (experiments/*.fsx), so the command and `dotnet fsi` share one declaration.
module InSPO.Cli.ReproduceCommand

open System
open System.Diagnostics
open System.IO
open Argu
open InSPO.Cli.Arguments

/// Target name → experiment script.
let scripts =
    [ "table1", "table1_xor"; "table2", "table2_mne"; "table3", "table3_bridge"
      "fig3", "fig3_xor_policies"; "fig5", "fig5_ablations"; "exact", "exact_games" ]

/// The repository holding experiments/ and the Release build of the experiment library: the first folder above
/// the working directory or above this program that has both.
let private repositoryRoot () =
    let isRoot (d: string) = File.Exists(Path.Combine(d, "InSPO.sln")) && Directory.Exists(Path.Combine(d, "experiments"))
    let rec up (dir: string) =
        if isRoot dir then Some dir
        else match Path.GetDirectoryName dir with
             | null -> None
             | parent -> up parent
    [ Environment.CurrentDirectory; AppContext.BaseDirectory ] |> List.tryPick (Path.GetFullPath >> up)

let run (args: ParseResults<ReproduceArgs>) =
    let target = args.GetResult Target
    let script =
        match scripts |> List.tryFind (fun (name, _) -> String.Equals(name, target, StringComparison.OrdinalIgnoreCase)) with
        | Some(_, s) -> s
        | None -> raise (ArgumentException(sprintf "reproduce: unknown target '%s' (known: %s)" target (scripts |> List.map fst |> String.concat ", ")))
    let profile = args.GetResult(ReproduceArgs.Profile, "quick")
    InSPO.Training.Profiles.Get profile |> ignore   // an unknown profile is refused before the script starts
    let root =
        match repositoryRoot () with
        | Some r -> r
        | None -> raise (DirectoryNotFoundException "reproduce: no InSPO.NET repository (InSPO.sln and experiments/) above the working directory")
    let library = Path.Combine(root, "scripts", "InSPO.Scripting", "bin", "Release", "net10.0", "InSPO.Scripting.dll")
    if not (File.Exists library) then
        raise (FileNotFoundException(sprintf "reproduce: %s is missing: build first (dotnet fsi build.fsx -t Build)" library))
    let start = ProcessStartInfo("dotnet", [ "fsi"; Path.Combine(root, "experiments", script + ".fsx") ], WorkingDirectory = root, UseShellExecute = false)
    start.Environment.["INSPO_PROFILE"] <- profile
    start.Environment.["INSPO_DEVICE"] <- args.GetResult(ReproduceArgs.Device, "cpu")
    if args.Contains ReproduceArgs.Sweep then start.Environment.["INSPO_SWEEP"] <- "1"
    args.TryGetResult Runs |> Option.iter (fun d -> start.Environment.["INSPO_RUNS"] <- Path.GetFullPath d)
    args.TryGetResult Reports |> Option.iter (fun d -> start.Environment.["INSPO_REPORTS"] <- Path.GetFullPath d)
    match Process.Start start with
    | null -> failwith "reproduce: could not start dotnet fsi"
    | p ->
        use p = p
        p.WaitForExit()
        p.ExitCode
