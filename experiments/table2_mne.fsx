// Table 2: M-NE, datasets balanced and imbalanced × the same algorithms, 5 seeds; the paper states
// claims in words (only InSPO finds (C,C) = 20 on the imbalanced dataset), printed beside.
// Run: `dotnet fsi experiments/table2_mne.fsx` (after a Release build), or `dotnet fsi build.fsx -t Table2`.
#load "../scripts/InSPO.fsx"

open InSPO.Scripting
open InSPO.Scripting.Experiment

let table2 =
    { experiment "table2_mne" "mne" [ "balanced"; "imbalanced" ]
          paperAlgorithms with
        Paper = PaperTargets.mne }
    |> withEnvironment (__SOURCE_DIRECTORY__ + "/..")

// The engine: groups (a cell's seeds) in INSPO_JOBS parallel processes (default the core count; 1: this process);
// it skips cells whose record is already under RunsRoot. INSPO_SWEEP=1 tunes every
// baseline and InSPO on its search grid instead (SearchGrids.fs) and writes table2_mne_tuned.
let results, failed = Sweep.tableOrSweep (engine (__SOURCE_DIRECTORY__ + "/..") (fun spec -> InSPO.Training.Runner.Run(spec, true, null))) table2
if failed > 0 then exit 1
