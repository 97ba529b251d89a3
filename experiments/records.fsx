// The committed run records (experiments/records): `archive` copies the SMAC-lite records of a runs folder into it,
// `restore` copies them into a runs folder where a run has no record, so the table scripts reuse them (each only when
// its options, budget and data match the cell; otherwise that cell trains again). The runs folder: INSPO_RUNS, else
// runs/. Run: `dotnet fsi experiments/records.fsx archive|restore`, or `dotnet fsi build.fsx -t ArchiveRecords` /
// `-t RestoreRecords`. The datasets are not archived: the table scripts collect the tiers they lack, and a tier made
// again has the same content hash where collection reproduces it (see the README: medium-replay does so only on the
// same CPU model).
#load "../scripts/InSPO.fsx"

open System.IO
open InSPO.Scripting

let root = Path.GetFullPath(__SOURCE_DIRECTORY__ + "/..")
let runs = Path.GetFullPath(Experiment.envOr "INSPO_RUNS" (Path.Combine(root, "runs")))
let archive = Path.Combine(__SOURCE_DIRECTORY__, "records")

match fsi.CommandLineArgs |> Array.skip 1 with
| [| "archive" |] ->
    let written = RecordArchive.archive runs archive RecordArchive.isSmacRun
    printfn "records: %d SMAC-lite run folders of %s written to %s (new or changed)" written runs archive
| [| "restore" |] ->
    let restored, present = RecordArchive.restore archive runs
    printfn "records: %d restored into %s, %d already had a record there" restored runs present
| _ ->
    eprintfn "records.fsx: expected one argument, archive or restore"
    exit 2
