// Table 5: InSPO's behaviour-regularisation weight on SMAC-lite 6h_vs_8z, 4 tiers: fixed α ∈ {0.1, 0.5, 1, 3, 5}
// against α auto-tuned towards D̄_KL = 0.18 (Eq. 25, the SMAC default), 5 seeds, win rate of the final policy on 32
// greedy episodes. The auto-tuned column is the same run as Table 4's InSPO cell (reused when Table 4 ran first).
// Run: `dotnet fsi experiments/table5_alpha.fsx` (after a Release build), or `dotnet fsi build.fsx -t Table5`.
// INSPO_PROFILE, INSPO_DEVICE, INSPO_RUNS, INSPO_REPORTS, INSPO_JOBS as in table1_xor.fsx; INSPO_SMAC_TIERS=a,b: only
// those tiers; INSPO_SMAC_MAPS=a,b runs
// the table on those maps instead (6h_vs_8z has tiers only once its QMIX models are published).
#load "../scripts/InSPO.fsx"

open InSPO.Scripting
open InSPO.Scripting.Experiment

let root = System.IO.Path.GetFullPath(__SOURCE_DIRECTORY__ + "/..")
let probe, maps = SmacExperiments.prepare root [ "6h_vs_8z" ]

let columns =
    [ algo "inspo" [ "alpha_auto", [ 0.0 ]; "alpha", [ 0.1; 0.5; 1.0; 3.0; 5.0 ] ]
      labelled "InSPO (α auto)" (algo "inspo" []) ]

let experiments = maps |> List.map (fun map -> SmacExperiments.onTiers probe (sprintf "table5_%s" map) map columns)
if List.isEmpty experiments then printfn "table5_alpha: no map with tier datasets; nothing to run"
let results = runAll (engine root (fun spec -> InSPO.Training.Runner.Run(spec, true, null))) experiments
for r in results do Tables.report r |> ignore
if results |> List.sumBy failures > 0 then exit 1
