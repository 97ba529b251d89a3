// Figure 3: final joint policies π¹(a)·π²(b) on XOR (b), one heat map per method (seed 0): OMAR, OMIGA,
// OMIGA (relaxed), InSPO as in the paper, and BC; methods the engine does not have yet stay empty.
// "OMIGA (relaxed)" = OMIGA with regularisation temperature α = 0.1 instead of its default 10 (SPEC 8: a smaller
// temperature; the paper gives no value). Measured at the quick profile, XOR (b), seeds 0–4: α = 0.1 gives the OOD
// (B, B) (return −2.00 on 5/5 seeds, π(B) = 1.00), the behaviour the paper's figure shows; α = 1 gives a mixed
// policy π(B) ≈ 0.58, return −0.18 ± 0.01; α = 10 (default) 0.20, close to BC.
// Writes reports/fig3_xor_policies.html (plotly.js inlined) and .png when Chromium is installed.
// Run: `dotnet fsi experiments/fig3_xor_policies.fsx`, or `dotnet fsi build.fsx -t Figure3`.
#load "../scripts/InSPO.fsx"

open InSPO.Scripting
open InSPO.Scripting.Experiment

let fig3 =
    { experiment "fig3_xor_policies" "xor" [ "b" ]
          [ algo "bc" []
            algo "omar" []
            algo "omiga" []
            labelled "OMIGA (relaxed)" (algo "omiga" [ "alpha", [ 0.1 ] ])
            algo "inspo" [] ] with
        Paper = PaperTargets.xor }
    |> withEnvironment (__SOURCE_DIRECTORY__ + "/..")

let results = run (engine (__SOURCE_DIRECTORY__ + "/..") (fun spec -> InSPO.Training.Runner.Run(spec, true, null))) fig3
Tables.report results |> ignore
Plots.figure fig3.ReportsRoot fig3.Name (sprintf "Figure 3: final joint policies on XOR (b), seed 0, profile %s" fig3.Profile)
    [ "A"; "B" ] (Plots.panelsOf results "b" 0)
|> ignore
if failures results > 0 then exit 1
