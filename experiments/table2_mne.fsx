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

let results = run (fun spec -> InSPO.Training.Runner.Run(spec, true, null)) table2
Tables.report results |> ignore
if failures results > 0 then exit 1
