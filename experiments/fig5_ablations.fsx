// Figure 5: (a) InSPO with and without the entropy term on M-NE imbalanced; (b) InSPO with and without
// the sequential update on XOR (b). Final joint policies (seed 0) as heat maps, and the tables over 5 seeds.
// Writes reports/fig5a_mne_entropy.html, reports/fig5b_xor_sequential.html (and .png when Chromium is installed).
// Run: `dotnet fsi experiments/fig5_ablations.fsx`, or `dotnet fsi build.fsx -t Figure5`.
#load "../scripts/InSPO.fsx"

open InSPO.Scripting
open InSPO.Scripting.Experiment

let root = __SOURCE_DIRECTORY__ + "/.."

let fig5a =
    experiment "fig5a_mne_entropy" "mne" [ "imbalanced" ]
        [ algo "inspo" []
          labelled "InSPO w/o entropy" (algo "inspo" [ "entropy", [ 0.0 ] ]) ]
    |> withEnvironment root

let fig5b =
    experiment "fig5b_xor_sequential" "xor" [ "b" ]
        [ algo "inspo" []
          labelled "InSPO w/o sequential" (algo "inspo" [ "sequential", [ 0.0 ] ]) ]
    |> withEnvironment root

let runner spec = InSPO.Training.Runner.Run(spec, true, null)

let panels =
    [ fig5a, "(a) M-NE imbalanced", [ "A"; "B"; "C" ], "imbalanced"
      fig5b, "(b) XOR (b)", [ "A"; "B" ], "b" ]

// Both panels' runs first (on Slurm: one job array for both), then their tables and figures.
let failed =
    List.zip panels (runAll (engine root runner) [ for e, _, _, _ in panels -> e ])
    |> List.sumBy (fun ((e, title, actions, dataset), results) ->
        Tables.report results |> ignore
        Plots.figure e.ReportsRoot e.Name (sprintf "Figure 5 %s: final joint policies, seed 0, profile %s" title e.Profile)
            actions (Plots.panelsOf results dataset 0)
        |> ignore
        failures results)
if failed > 0 then exit 1
