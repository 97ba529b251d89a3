module InSPO.Scripting.Sweep

// Hyperparameter sweeps as the paper tunes its tables (InSPO paper, Appendix C.4): every algorithm with a
// search grid runs every grid point × seed on every dataset; per dataset the point with the best mean over
// seeds becomes that algorithm's cell, and the choice (with every candidate's mean ± std) is written beside
// the table. Selection uses the same seeds the table reports, as the paper's protocol does; the note under
// the table says so.

open System
open System.IO
open InSPO.Scripting.Experiment
open InSPO.Scripting.SearchGrids

/// One candidate of a sweep on one dataset: its grid point and the metric over seeds.
type Candidate =
    { Point: (string * float) list
      Samples: float list }
    member c.Mean = if c.Samples.IsEmpty then Double.NegativeInfinity else Stats.mean c.Samples

/// The choice for one dataset and algorithm: the best candidate and all that were compared.
type Choice =
    { Dataset: string
      Algorithm: string
      Best: Candidate
      Candidates: Candidate list }

/// Replaces each running, grid-less algorithm of `e` that has a search grid by that grid: the expanded
/// experiment runs every candidate. Algorithms without a grid (BC) stay as they are.
let expand (grids: SearchGrid list) (e: Experiment) =
    let widen (a: Algorithm) =
        match grids |> List.tryFind (fun g -> g.Algorithm = a.Name) with
        | Some g when a.Runs && a.Grid.IsEmpty -> { a with Grid = g.Grid }
        | _ -> a
    { e with Algorithms = List.map widen e.Algorithms }

/// The best candidate per dataset for every algorithm with several grid points (highest mean; the first
/// declared wins a tie, so the choice does not depend on run order). A candidate without finished seeds
/// never wins.
let choices (results: Results) =
    let e = results.Experiment
    [ for d in e.Datasets do
        for a in e.Algorithms do
            let points = gridPoints a.Grid
            if a.Runs && points.Length > 1 then
                let candidates =
                    [ for p in points -> { Point = p; Samples = samples results d { Algorithm = a; Hyperparameters = p } } ]
                let best = candidates |> List.reduce (fun b c -> if c.Mean > b.Mean then c else b)
                { Dataset = d; Algorithm = a.Name; Best = best; Candidates = candidates } ]

let private pointText (p: (string * float) list) =
    p |> List.map (fun (k, x) -> sprintf "%s=%g" k x) |> String.concat ", "

/// The tuned table: each swept algorithm becomes one column whose cell on a dataset holds the runs of its
/// chosen point there (the runs keep their own hyperparameters, which the runs CSV lists). The note under
/// the caption names the sweep and where the choices are.
let tuned (results: Results) (chosen: Choice list) =
    let e = results.Experiment
    let single (a: Algorithm) = { a with Grid = [] }
    let keep (c: CellResult) =
        match chosen |> List.tryFind (fun ch -> ch.Dataset = c.Cell.Dataset && ch.Algorithm = c.Cell.Variant.Algorithm.Name) with
        | Some ch -> c.Cell.Variant.Hyperparameters = ch.Best.Point
        | None -> true
    let retag (c: CellResult) =
        if gridPoints c.Cell.Variant.Algorithm.Grid |> List.length > 1 then
            { c with Cell = { c.Cell with Variant = { Algorithm = single c.Cell.Variant.Algorithm; Hyperparameters = [] } } }
        else c
    let note =
        sprintf "Swept columns: per dataset the grid point with the best mean over these seeds (%s.sweep.md lists every candidate)" e.Name
    { results with
        Experiment = { e with Algorithms = e.Algorithms |> List.map (fun a -> if (gridPoints a.Grid).Length > 1 then single a else a)
                              Notes = e.Notes @ [ note ] }
        Cells = results.Cells |> List.filter keep |> List.map retag }

/// The choices as Markdown: per dataset and algorithm every candidate's mean ± std, the chosen one marked.
let toMarkdown (experimentName: string) (grids: SearchGrid list) (chosen: Choice list) =
    let sources =
        grids |> List.map (fun g -> sprintf "- %s: %s — %s" g.Algorithm (g.Grid |> List.map (fun (k, xs) -> sprintf "%s ∈ {%s}" k (xs |> List.map (sprintf "%g") |> String.concat ", ")) |> String.concat " × ") g.Source)
    let rows =
        [ for ch in chosen do
            for c in ch.Candidates ->
                [ ch.Dataset; ch.Algorithm; pointText c.Point
                  (if c.Samples.IsEmpty then "—" else sprintf "%.3f ± %.3f" (Stats.mean c.Samples) (Stats.std c.Samples))
                  string c.Samples.Length
                  (if c = ch.Best then "chosen" else "") ] ]
    sprintf "%s sweep: per dataset the candidate with the best mean over seeds is the table's cell.\n\nGrids:\n%s\n\n%s\n"
        experimentName (String.concat "\n" sources)
        (Tables.markdown [ "dataset"; "algorithm"; "hyperparameters"; "mean ± std"; "seeds"; "" ] rows)

/// Runs the sweep of `e` over `grids` with `executor`, writes `<name>.sweep.md` and the tuned table
/// (`<name>.md`, `.tex`, `.runs.csv` with every candidate's runs), and returns every run, the tuned table
/// and the choices.
let runAndReport (grids: SearchGrid list) (executor: Executor) (e: Experiment) =
    let results = run executor (expand grids e)
    let chosen = choices results
    Directory.CreateDirectory e.ReportsRoot |> ignore
    let path = Path.Combine(e.ReportsRoot, e.Name + ".sweep.md")
    File.WriteAllText(path, toMarkdown e.Name grids chosen)
    saveRuns results |> ignore
    let table = tuned results chosen
    // The tuned table's own runs CSV would drop the candidates not chosen; keep the full one written above.
    let md = Path.Combine(e.ReportsRoot, e.Name + ".md")
    File.WriteAllText(md, Tables.toMarkdown table)
    File.WriteAllText(Path.Combine(e.ReportsRoot, e.Name + ".tex"), Tables.toLatex table)
    printfn "\n%s" (Tables.toMarkdown table)
    printfn "written: %s, %s (every candidate in %s.runs.csv)" md path e.Name
    results, table, chosen

/// Whether a table script should sweep (INSPO_SWEEP=1) instead of running each algorithm's defaults.
let requested () = envOr "INSPO_SWEEP" "0" = "1"

/// What a table script does: with INSPO_SWEEP=1 the sweep over every grid of SearchGrids, reported as
/// `<name>_tuned`; otherwise the defaults' table. Returns the table's results and how many runs failed.
let tableOrSweep (executor: Executor) (e: Experiment) =
    if requested () then
        let all, table, _ = runAndReport SearchGrids.all executor { e with Name = e.Name + "_tuned" }
        table, failures all
    else
        let results = run executor e
        Tables.report results |> ignore
        results, failures results
