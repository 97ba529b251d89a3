/// `inspo reproduce <target> [--profile P] [--device D] [--sweep] [--slurm …]`: runs the experiment script that
/// declares one of the paper's tables or figures (experiments/*.fsx), so the command and `dotnet fsi` share one
/// declaration. With --slurm the script submits the cells lacking a record as a Slurm job array and stops (the
/// options reach it as INSPO_SLURM* variables, SlurmOptions); the same command run again aggregates.
module InSPO.Cli.ReproduceCommand

open System
open System.Diagnostics
open System.IO
open Argu
open InSPO.Cli.Arguments

/// Target name → experiment script.
let scripts =
    [ "table1", "table1_xor"; "table2", "table2_mne"; "table3", "table3_bridge"
      "table4", "table4_smac"; "table5", "table5_alpha"; "table6", "table6_order"; "table7", "table7_time"
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
    let slurm = args.Contains ReproduceArgs.Slurm
    let partition = args.TryGetResult ReproduceArgs.Partition
    let gpus = args.TryGetResult ReproduceArgs.Gpus_Per_Task
    let time = args.TryGetResult ReproduceArgs.Time
    let memory = args.TryGetResult ReproduceArgs.Mem
    let dryRun = args.Contains ReproduceArgs.Dry_Run
    // Slurm's options are refused here, in one line, rather than after dotnet fsi has started.
    if not slurm then
        [ "--partition", partition.IsSome; "--gpus-per-task", gpus.IsSome; "--time", time.IsSome; "--mem", memory.IsSome; "--dry-run", dryRun ]
        |> List.tryFind snd
        |> Option.iter (fun (name, _) -> raise (ArgumentException(sprintf "reproduce: %s needs --slurm" name)))
    let slurmEnvironment =
        if not slurm then []
        else
            if script = "exact_games" then raise (ArgumentException "reproduce exact --slurm: the exact solutions train no runs to submit")
            InSPO.Training.SlurmOptions(Partition = Option.toObj partition, GpusPerTask = Option.toNullable gpus, Time = Option.toObj time,
                                        Memory = Option.toObj memory, Inspo = "inspo.dll", WorkingDirectory = ".").Validate()
            if not dryRun then InSPO.Training.SlurmOptions.RequireClients()
            if gpus.IsSome && args.GetResult(ReproduceArgs.Device, "cpu") = "cpu" then
                eprintfn "reproduce: --gpus-per-task with --device cpu: the tasks get GPUs but train on the CPU (--device cuda or auto uses them)"
            [ for kv in InSPO.Training.SlurmOptions.EnvironmentOf(Option.toObj partition, Option.toNullable gpus, Option.toObj time, Option.toObj memory, dryRun) -> kv.Key, kv.Value ]
            @ [ "INSPO_TARGET", target.ToLowerInvariant() ]
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
    // Without --slurm the script runs here even when the caller's environment holds INSPO_SLURM (build.fsx's way).
    for k in [ "INSPO_SLURM"; "INSPO_SLURM_PARTITION"; "INSPO_SLURM_GPUS_PER_TASK"; "INSPO_SLURM_TIME"; "INSPO_SLURM_MEM"; "INSPO_SLURM_DRY_RUN"; "INSPO_TARGET" ] do
        start.Environment.Remove k |> ignore
    for k, v in slurmEnvironment do start.Environment.[k] <- v
    match Process.Start start with
    | null -> failwith "reproduce: could not start dotnet fsi"
    | p ->
        use p = p
        p.WaitForExit()
        p.ExitCode
