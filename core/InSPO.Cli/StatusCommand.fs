/// `inspo status RUNS [TABLE]`: where the cells of a Slurm reproduction stand — finished, running, pending or
/// failed — from the run folders, the ledgers under RUNS/slurm and squeue; each failure with its log.
module InSPO.Cli.StatusCommand

open System
open System.IO
open Argu
open InSPO.Training
open InSPO.Cli.Arguments

let private stateName (s: GroupState) =
    match s with
    | GroupState.Finished -> "finished"
    | GroupState.Running -> "running"
    | GroupState.Pending -> "pending"
    | GroupState.Failed -> "failed"
    | _ -> "not submitted"

let run (args: ParseResults<StatusArgs>) =
    let runs, table =
        match args.GetResult StatusArgs.Paths with
        | [ runs ] -> runs, None
        | [ runs; table ] -> runs, Some table
        | _ -> raise (ArgumentException "status: expected RUNS [TABLE]")
    if not (Directory.Exists runs) then raise (DirectoryNotFoundException(sprintf "status: %s is not a folder" runs))
    let all = SlurmLedger.All runs
    // A target (table2) also names its experiment (table2_mne) through the reproduce command's list.
    let names =
        match table with
        | None -> []
        | Some t ->
            t :: (ReproduceCommand.scripts |> List.filter (fun (n, _) -> String.Equals(n, t, StringComparison.OrdinalIgnoreCase)) |> List.map snd)
    let ledgers = all |> Seq.filter (fun l -> names.IsEmpty || names |> List.exists l.Matches) |> List.ofSeq
    if ledgers.IsEmpty then
        let what = match table with Some t -> sprintf "of %s " t | None -> ""
        raise (FileNotFoundException(sprintf "status: no Slurm submission %sunder %s (submit with: inspo reproduce TABLE --slurm --runs %s)" what runs runs))
    let queue = SlurmQueue.Query(ledgers |> Seq.collect SlurmStatus.JobIds)
    for ledger in ledgers do
        let statuses = SlurmStatus.Of(ledger, queue)
        let cells = statuses |> Seq.collect (fun s -> s.Cells) |> List.ofSeq
        let count state = cells |> List.filter ((=) state) |> List.length
        let counts =
            [ GroupState.Finished; GroupState.Running; GroupState.Pending; GroupState.Failed; GroupState.Unsubmitted ]
            |> List.filter (fun s -> count s > 0 || s <> GroupState.Unsubmitted)
            |> List.map (fun s -> sprintf "%d %s" (count s) (stateName s))
            |> String.concat ", "
        printfn "%s: %d cells: %s" ledger.Experiment cells.Length counts
        for s in statuses do
            if s.State <> GroupState.Finished then
                let finished = if s.FinishedSeeds.Count = 0 then "" else sprintf ", %d of %d seeds finished" s.FinishedSeeds.Count s.Group.Seeds.Count
                let task = match s.Task with null -> "" | t -> sprintf ", task %s" t
                printfn "  %-13s %s%s%s" (stateName s.State) s.Group.Label finished task
                match s.State with
                | GroupState.Failed ->
                    printfn "                log: %s" s.Group.Log
                    match s.SlurmOutput with null -> () | o -> printfn "                slurm: %s" o
                    match s.Reason with null -> () | r -> printfn "                why: %s" r
                | GroupState.Running -> printfn "                log: %s" s.Group.Log
                | _ -> ()
    0
