/// Two runs of one table side by side — a seed ensemble's table against the seed-by-seed one, or one machine's
/// against another's: the `<name>.runs.csv` every table script writes (`Experiment.runsCsv`) read back, and per
/// dataset and column the two means over seeds, the two-sided Welch test between them and, where both sides ran the
/// same seed, the largest difference of a seed's value.
module InSPO.Scripting.RunComparison

open System
open System.Globalization
open System.IO

/// One line of a runs CSV: a cell and its metric (None for a failed or not-run cell; a diverged run's metric may be
/// NaN or infinite).
type RunLine =
    { Dataset: string
      Column: string
      Hyperparameters: string
      Seed: int
      Metric: float option }

/// The lines of a `<name>.runs.csv`. A missing file, one without the columns a table script writes, or a line whose
/// seed is not a number is refused naming the file.
let readRunsCsv (path: string) : RunLine list =
    Experiment.readRunsCsvRows path [ "dataset"; "column"; "hyperparameters"; "seed"; "metric" ]
    |> List.mapi (fun n r ->
        { Dataset = r.["dataset"]
          Column = r.["column"]
          Hyperparameters = r.["hyperparameters"]
          Seed =
            match Int32.TryParse(r.["seed"], NumberStyles.Integer, CultureInfo.InvariantCulture) with
            | true, seed -> seed
            | _ -> raise (InvalidDataException(sprintf "%s line %d: seed '%s' is not a whole number" path (n + 2) r.["seed"]))
          Metric =
            match Double.TryParse(r.["metric"], NumberStyles.Float, CultureInfo.InvariantCulture) with   // "nan" too
            | true, x -> Some x
            | _ -> None })

/// One dataset and column of the two tables: each side's (seed, value) for the cells that have a metric.
type ColumnComparison =
    { Dataset: string
      Column: string
      A: (int * float) list
      B: (int * float) list }
    /// True when either side has a NaN or infinite value (a diverged run): the means and the test say nothing then.
    member c.NonFinite = List.exists (snd >> Double.IsFinite >> not) (c.A @ c.B)
    /// True when the two sides can be tested: at least two finite values a side.
    member c.Testable = not c.NonFinite && c.A.Length >= 2 && c.B.Length >= 2
    member c.Test = Stats.welch (List.map snd c.A) (List.map snd c.B)
    /// The largest |A − B| over the seeds both sides ran; None when they share none.
    member c.LargestSeedDifference =
        let b = Map.ofList c.B
        match c.A |> List.choose (fun (s, x) -> Map.tryFind s b |> Option.map (fun y -> abs (x - y))) with
        | [] -> None
        | ds -> Some(List.max ds)
    /// True when the Welch test rejects equal means at level alpha (a column that cannot be tested rejects nothing).
    member c.Apart alpha = c.Testable && Stats.significantlyDifferent alpha (List.map snd c.A) (List.map snd c.B)

/// Every dataset and column of either table (a dataset by its label — a SMAC-lite tier's folder lies under each
/// run's own INSPO_RUNS —, a column by its label and hyperparameters), in A's order, then B's extras.
let compare (a: RunLine list) (b: RunLine list) =
    let key (l: RunLine) = Experiment.datasetLabel l.Dataset, l.Column, l.Hyperparameters
    let values lines k = lines |> List.filter (fun l -> key l = k) |> List.choose (fun l -> l.Metric |> Option.map (fun x -> l.Seed, x))
    (a @ b)
    |> List.map key
    |> List.distinct
    |> List.map (fun ((dataset, column, hyper) as k) ->
        { Dataset = dataset
          Column = (if hyper = "" then column else sprintf "%s (%s)" column hyper)
          A = values a k
          B = values b k })

/// A Markdown table of the comparison: per row both means ± std with their seed counts, Welch's p, the largest
/// same-seed difference, and "apart" where the test rejects at alpha ("untested": fewer than two values a side;
/// "non-finite": a NaN or infinite value on a side).
let toMarkdown alpha (labelA: string) (labelB: string) (rows: ColumnComparison list) =
    let meanStd (xs: (int * float) list) =
        match List.map snd xs with
        | [] -> "—"
        | vs -> sprintf "%.3f ± %.3f (n %d)" (Stats.mean vs) (Stats.std vs) vs.Length
    let header = [ "dataset"; "column"; labelA; labelB; "Welch p"; "max |Δ| same seed"; sprintf "apart at %g %%" (alpha * 100.0) ]
    let line (c: ColumnComparison) =
        let p = c.Test.P
        [ c.Dataset
          c.Column
          meanStd c.A
          meanStd c.B
          (if not c.Testable || Double.IsNaN p then "—" else sprintf "%.3f" p)
          (match c.LargestSeedDifference with Some d -> sprintf "%.3g" d | None -> "—")
          (if c.NonFinite then "non-finite" elif not c.Testable then "untested" elif c.Apart alpha then "apart" else "") ]
    Tables.markdown header (List.map line rows)
