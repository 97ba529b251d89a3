// Two runs of one table, column by column: `dotnet fsi experiments/compare_runs.fsx A.runs.csv B.runs.csv [alpha]`.
// Each argument is the `<name>.runs.csv` a table script wrote (INSPO_REPORTS, else reports/); alpha defaults to 0.05.
// Prints per dataset and column both means over seeds, the two-sided Welch test and the largest difference of a seed
// both ran, then how many columns the test sets apart; exits 0 when every column was tested and none is apart, 1 when
// any is apart, 3 when none is but some could not be tested (fewer than two finite values on a side), 2 on bad input.
// The seed-ensembles check: Table 3 run as groups (INSPO_JOBS ≥ 2, the default) and seed by seed (INSPO_JOBS=1), each
// into its own INSPO_RUNS and INSPO_REPORTS, then this script on the two `table3_bridge.runs.csv`.
#load "../scripts/InSPO.fsx"

open System.IO
open InSPO.Scripting

let args = fsi.CommandLineArgs |> Array.skip 1
let pathA, pathB, alpha =
    match args with
    | [| a; b |] -> a, b, 0.05
    | [| a; b; level |] ->
        match System.Double.TryParse(level, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture) with
        | true, x when x > 0.0 && x < 1.0 -> a, b, x
        | _ -> eprintfn "compare_runs: alpha '%s' must be a number between 0 and 1" level; exit 2
    | _ -> eprintfn "usage: dotnet fsi experiments/compare_runs.fsx A.runs.csv B.runs.csv [alpha]"; exit 2

let read path =
    try RunComparison.readRunsCsv path
    with :? FileNotFoundException | :? InvalidDataException as e -> eprintfn "compare_runs: %s" e.Message; exit 2

let rows = RunComparison.compare (read pathA) (read pathB)
printfn "A: %s\nB: %s\n" pathA pathB
printfn "%s" (RunComparison.toMarkdown alpha "A" "B" rows)
let apart = rows |> List.filter (fun r -> r.Apart alpha)
let untested = rows |> List.filter (fun r -> not r.Testable)
printfn "\n%d of %d columns apart at %g %% (two-sided Welch)%s" apart.Length rows.Length (alpha * 100.0)
    (if untested.IsEmpty then "" else sprintf "; %d could not be tested (fewer than two finite values on a side)" untested.Length)
if not apart.IsEmpty then exit 1
if not untested.IsEmpty then exit 3
