// Figure 3: final joint policies π¹(a)·π²(b) on XOR (b), one heat map per method (seed 0): OMAR, OMIGA,
// OMIGA (relaxed), InSPO as in the paper, and BC; methods the engine does not have yet stay empty.
// Writes reports/fig3_xor_policies.html (plotly.js inlined) and .png when Chromium is installed.
// Run: `dotnet fsi experiments/fig3_xor_policies.fsx`, or `dotnet fsi build.fsx -t Figure3`.
#load "../scripts/InSPO.fsx"

open InSPO.Scripting
open InSPO.Scripting.Experiment

let fig3 =
    { experiment "fig3_xor_policies" "xor" [ "b" ]
          [ algo "bc" []
            algo "omar" []
            notYet "omiga"
            labelled "OMIGA (relaxed)" (notYet "omiga")
            algo "inspo" [] ] with
        Paper = PaperTargets.xor }
    |> withEnvironment (__SOURCE_DIRECTORY__ + "/..")

let results = run (fun spec -> InSPO.Training.Runner.Run(spec, true, null)) fig3
Tables.report results |> ignore
Plots.figure fig3.ReportsRoot fig3.Name (sprintf "Figure 3: final joint policies on XOR (b), seed 0, profile %s" fig3.Profile)
    [ "A"; "B" ] (Plots.panelsOf results "b" 0)
|> ignore
if failures results > 0 then exit 1
