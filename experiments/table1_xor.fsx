// Table 1: XOR, datasets (a) (b) (c) × BC, OMAR, AlberDICE, CFCQL, OMIGA, InSPO, 5 seeds, beside the
// paper's values. Baselines the engine does not have yet are shown empty with the paper's value beside.
// Run: `dotnet fsi experiments/table1_xor.fsx` (after a Release build), or `dotnet fsi build.fsx -t Table1`.
// INSPO_PROFILE (smoke | quick | paper, default quick), INSPO_DEVICE (cpu | cuda | auto, default cpu),
// INSPO_RUNS and INSPO_REPORTS (default runs/ and reports/ in the repository) override the defaults.
#load "../scripts/InSPO.fsx"

open InSPO.Scripting
open InSPO.Scripting.Experiment

let table1 =
    { experiment "table1_xor" "xor" [ "a"; "b"; "c" ]
          paperAlgorithms with
        Paper = PaperTargets.xor }
    |> withEnvironment (__SOURCE_DIRECTORY__ + "/..")

// The engine: groups (a cell's seeds) in INSPO_JOBS parallel processes (default the core count; 1: this process);
// it skips cells whose record is already under RunsRoot. INSPO_SWEEP=1 tunes every
// baseline and InSPO on its search grid instead (SearchGrids.fs) and writes table1_xor_tuned.
let results, failed = Sweep.tableOrSweep (engine (__SOURCE_DIRECTORY__ + "/..") (fun spec -> InSPO.Training.Runner.Run(spec, true, null))) table1
if failed > 0 then exit 1
