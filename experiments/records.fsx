// The committed run records (experiments/records): `archive` copies the SMAC-lite records of a runs folder into it,
// `restore` copies them into a runs folder where a run has no record, so the table scripts reuse them (each only when
// its options, budget and data match the cell; otherwise that cell trains again). The runs folder: INSPO_RUNS, else
// runs/. Run: `dotnet fsi experiments/records.fsx archive|restore`, or `dotnet fsi build.fsx -t ArchiveRecords` /
// `-t RestoreRecords`. `archive|restore bridge NAME` does the same for the Bridge runs with a named set under
// experiments/bridge-records (a check that spans sessions, e.g. Table 3 seed by seed against seed groups: one set
// each). The datasets are not archived: the table scripts collect the tiers they lack, and a tier made again has the
// same content hash where collection reproduces it (see the README: medium-replay does so only on the same CPU model).
#load "../scripts/InSPO.fsx"

open System.IO
open InSPO.Scripting

let root = Path.GetFullPath(__SOURCE_DIRECTORY__ + "/..")
let runs = Path.GetFullPath(Experiment.envOr "INSPO_RUNS" (Path.Combine(root, "runs")))
let archive = Path.Combine(__SOURCE_DIRECTORY__, "records")

/// A named set of Bridge records (`bridge NAME`): its own folder under experiments/bridge-records.
let bridgeSet (name: string) =
    if name.Length = 0 || name |> Seq.exists (fun c -> not (System.Char.IsLetterOrDigit c || c = '-' || c = '_')) then
        eprintfn "records.fsx: a Bridge set's name is letters, digits, '-' and '_' (got '%s')" name
        exit 2
    Path.Combine(__SOURCE_DIRECTORY__, "bridge-records", name)

let archiveInto folder accepts what =
    let written = RecordArchive.archive runs folder accepts
    printfn "records: %d %s run folders of %s written to %s (new or changed)" written what runs folder
let restoreFrom folder =
    let restored, present = RecordArchive.restore folder runs
    printfn "records: %d restored from %s into %s, %d already had a record there" restored folder runs present

match fsi.CommandLineArgs |> Array.skip 1 with
| [| "archive" |] -> archiveInto archive RecordArchive.isSmacRun "SMAC-lite"
| [| "restore" |] -> restoreFrom archive
| [| "archive"; "bridge"; name |] -> archiveInto (bridgeSet name) RecordArchive.isBridgeRun "Bridge"
| [| "restore"; "bridge"; name |] -> restoreFrom (bridgeSet name)
| _ ->
    eprintfn "records.fsx: expected archive or restore (the SMAC-lite records), or archive|restore bridge NAME (a set of Bridge records)"
    exit 2
