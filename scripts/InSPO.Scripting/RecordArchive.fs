/// Run records kept in git: the record.json (and learning curve) of finished runs, copied out of a runs folder into a
/// committed folder (experiments/records) and back. A machine that loses its runs folder keeps its results: a restored
/// record is reused by the table scripts exactly as a local one is — only when its options, budget and data match the
/// cell (Runner's reuse rule; the data by the content hash of the dataset made again here) — and is otherwise set
/// aside and the cell trained again. Checkpoints, TensorBoard events and datasets stay behind (large, and made again).
module InSPO.Scripting.RecordArchive

open System
open System.IO

/// The files of a run folder that are archived: its record and, when it was made, its learning curve.
let files = [ InSPO.Training.RunRecord.FileName; InSPO.Training.LearningCurve.FileName ]

/// The run folders under <c>root</c> that hold a record, relative to it (forward slashes, sorted).
let private runFolders (root: string) =
    if not (Directory.Exists root) then []
    else
        Directory.GetFiles(root, InSPO.Training.RunRecord.FileName, SearchOption.AllDirectories)
        |> Array.map (fun f -> Path.GetRelativePath(root, nonNull (Path.GetDirectoryName f)).Replace('\\', '/'))
        |> Array.sort
        |> List.ofArray

let private sameContent (a: string) (b: string) =
    File.Exists b && File.ReadAllBytes a = File.ReadAllBytes b

/// Copies the records of the run folders under <c>runsRoot</c> whose relative path <c>accepts</c> takes into
/// <c>archiveRoot</c>, at the same relative paths; a record there that differs is replaced (the runs folder's is the
/// newer). Returns how many run folders were written.
let archive (runsRoot: string) (archiveRoot: string) (accepts: string -> bool) =
    let mutable written = 0
    for folder in runFolders runsRoot |> List.filter accepts do
        let source = Path.Combine(runsRoot, folder)
        let target = Path.Combine(archiveRoot, folder)
        let changed =
            [ for name in files do
                let from = Path.Combine(source, name)
                if File.Exists from && not (sameContent from (Path.Combine(target, name))) then from, Path.Combine(target, name) ]
        if not changed.IsEmpty then
            Directory.CreateDirectory target |> ignore
            for from, into in changed do File.Copy(from, into, true)
            written <- written + 1
    written

/// Copies every archived record into <c>runsRoot</c> where that run folder holds no record (a local record, finished
/// here, is never replaced). Returns (restored, already there).
let restore (archiveRoot: string) (runsRoot: string) =
    let mutable restored, present = 0, 0
    for folder in runFolders archiveRoot do
        let target = Path.Combine(runsRoot, folder)
        if File.Exists(Path.Combine(target, InSPO.Training.RunRecord.FileName)) then present <- present + 1
        else
            Directory.CreateDirectory target |> ignore
            for name in files do
                let from, into = Path.Combine(archiveRoot, folder, name), Path.Combine(target, name)
                if File.Exists from && not (File.Exists into) then File.Copy(from, into)
            restored <- restored + 1
    restored, present

/// What the build's ArchiveRecords target keeps: the SMAC-lite runs (hours each on a CPU); the matrix-game and
/// Bridge cells take seconds to minutes and are simply run again.
let isSmacRun (relativeFolder: string) = relativeFolder.StartsWith("smac-", StringComparison.Ordinal)

/// The Bridge runs: kept only as named sets (experiments/bridge-records/NAME), for checks that take more than one
/// session, such as seed ensembles against single runs on Table 3 — two runs folders whose records lie at the same
/// paths (a member writes its record where the single run of its seed would), so each set is archived apart.
let isBridgeRun (relativeFolder: string) = relativeFolder.StartsWith("bridge/", StringComparison.Ordinal)
