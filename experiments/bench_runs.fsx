// The per-run lines of experiments' runs CSVs as one Markdown table (steps, wall seconds, steps per second, device):
// `dotnet fsi experiments/bench_runs.fsx REPORTS_DIR NAME...`, NAME a table script's experiment (its
// REPORTS_DIR/NAME.runs.csv). The `Bench` target prints Tables 1 and 2's runs with it.
#load "../scripts/InSPO.fsx"

open System.IO
open InSPO.Scripting

match fsi.CommandLineArgs |> Array.skip 1 |> List.ofArray with
| reports :: (_ :: _ as names) ->
    let rows =
        [ for name in names do
            let path = Path.Combine(reports, name + ".runs.csv")
            let fields = [ "dataset"; "column"; "seed"; "steps"; "wall_s"; "steps_per_s"; "device" ]
            let lines =
                try Experiment.readRunsCsvRows path fields
                with :? FileNotFoundException | :? InvalidDataException as e -> eprintfn "bench_runs: %s" e.Message; exit 2
            for r in lines -> name :: List.map (fun k -> r.[k]) fields ]
    printfn "%s" (Tables.markdown [ "experiment"; "dataset"; "column"; "seed"; "steps"; "wall s"; "steps/s"; "device" ] rows)
| _ -> eprintfn "usage: dotnet fsi experiments/bench_runs.fsx REPORTS_DIR NAME..."; exit 2
