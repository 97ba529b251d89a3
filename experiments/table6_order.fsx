// Table 6: InSPO's update order within a round on SMAC-lite 5m_vs_6m and 6h_vs_8z, 4 tiers: a random permutation
// every round (the default), the fixed order 0..N−1, and A2PO's semi-greedy order; 5 seeds, win rate of the final
// policy on 32 greedy episodes, the paper's StarCraft II numbers beside. The random column is Table 4's InSPO cell.
// Run: `dotnet fsi experiments/table6_order.fsx` (after a Release build), or `dotnet fsi build.fsx -t Table6`.
// INSPO_PROFILE, INSPO_DEVICE, INSPO_RUNS, INSPO_REPORTS, INSPO_JOBS as in table1_xor.fsx; INSPO_SMAC_TIERS=a,b: only
// those tiers; INSPO_SMAC_MAPS=a,b: those
// maps instead.
#load "../scripts/InSPO.fsx"

open InSPO.Scripting
open InSPO.Scripting.Experiment

let root = System.IO.Path.GetFullPath(__SOURCE_DIRECTORY__ + "/..")
let probe, maps = SmacExperiments.prepare root [ "5m_vs_6m"; "6h_vs_8z" ]

// The random column runs InSPO's defaults (order 0), so it is Table 4's cell, not a second run of it.
let columns =
    [ labelled "random" (algo "inspo" [])
      labelled "fixed" (algo "inspo" [ "order", [ 1.0 ] ])
      labelled "semi-greedy" (algo "inspo" [ "order", [ 2.0 ] ]) ]

let table6 map =
    let paper =
        match PaperTargets.table6.TryFind map with
        | Some values -> { PaperTargets.none with Source = sprintf "paper Table 6, %s (StarCraft II)" map; Values = values }
        | None -> PaperTargets.none
    { SmacExperiments.onTiers probe (sprintf "table6_%s" map) map columns with Paper = paper }

let experiments = maps |> List.map table6
let results = runAll (engine root (fun spec -> InSPO.Training.Runner.Run(spec, true, null))) experiments
for r in results do Tables.report r |> ignore
if results |> List.sumBy failures > 0 then exit 1
