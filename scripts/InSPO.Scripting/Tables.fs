module InSPO.Scripting.Tables

// Tables for experiment reports, in Markdown and LaTeX: mean ± std over seeds, the best mean in bold,
// * on cells not significantly different from it (two-sided Welch t-test, 5%, SPEC 4), the paper's
// value in its own column beside ours (never in place of ours), and the profile in every caption.

open System
open System.IO
open InSPO.Scripting.Experiment

/// A Markdown table: header row, separator, one line per row. Columns after the first are right-aligned.
let markdown (header: string list) (rows: string list list) =
    let widths =
        header :: rows
        |> List.map (List.map String.length)
        |> List.reduce (List.map2 max)
    let line cells =
        cells
        |> List.mapi (fun i (c: string) -> if i = 0 then c.PadRight widths.[i] else c.PadLeft widths.[i])
        |> String.concat " | "
        |> sprintf "| %s |"
    let rule = widths |> List.mapi (fun i w -> if i = 0 then String.replicate w "-" else String.replicate (w - 1) "-" + ":") |> String.concat " | " |> sprintf "| %s |"
    String.concat "\n" (line header :: rule :: List.map line rows)

/// Escapes LaTeX's special characters in plain text.
let latexEscape (s: string) =
    s
    |> Seq.map (fun c ->
        match c with
        | '\\' -> @"\textbackslash{}"
        | '&' | '%' | '$' | '#' | '_' | '{' | '}' -> sprintf "\\%c" c
        | '~' -> @"\textasciitilde{}"
        | '^' -> @"\textasciicircum{}"
        | '±' -> @"$\pm$"
        | '−' -> "-"
        | c -> string c)
    |> String.concat ""

/// A LaTeX (booktabs) table: cells are LaTeX already (escape text with latexEscape). First column
/// left-aligned, the others right-aligned.
let latex (caption: string) (header: string list) (rows: string list list) =
    let line cells = String.concat " & " cells + @" \\"
    [ @"\begin{table}[t]"
      @"\centering"
      sprintf @"\caption{%s}" caption
      sprintf @"\begin{tabular}{l%s}" (String.replicate (header.Length - 1) "r")
      @"\toprule"
      line header
      @"\midrule"
      yield! List.map line rows
      @"\bottomrule"
      @"\end{tabular}"
      @"\end{table}" ]
    |> String.concat "\n"

/// How a cell is marked against the best cell of its row.
type Mark =
    /// Highest mean of the row (every cell at that mean, on ties).
    | Best
    /// Not significantly different from the best (Welch p ≥ alpha).
    | NotDifferent
    | Plain

/// Marks a row of sample groups (higher is better): the best mean gets Best; any other group whose
/// two-sided Welch test against the best group does not reject at `alpha` gets NotDifferent. Empty
/// groups, and groups where the test is undefined (fewer than 2 samples on either side), get Plain.
/// With several groups tied at the best mean, the first is the reference for the tests.
let marks alpha (groups: float list list) =
    let filled = groups |> List.filter (List.isEmpty >> not)
    if filled.IsEmpty then groups |> List.map (fun _ -> Plain)
    else
        let best = filled |> List.maxBy Stats.mean
        let bestMean = Stats.mean best
        groups
        |> List.map (fun g ->
            if List.isEmpty g then Plain
            elif Stats.mean g = bestMean then Best
            else
                let t = Stats.welch g best
                if not (Double.IsNaN t.P) && t.P >= alpha then NotDifferent else Plain)

type Format =
    | Markdown
    | Latex

/// "mean±std" with 2 decimals, marked: Markdown **bold** and a trailing *, LaTeX \mathbf and ^{*}.
/// `n` is printed when fewer seeds than expected gave a value.
let summary format (mark: Mark) (xs: float list) expectedN =
    let m, s = Stats.mean xs, Stats.std xs
    let count = if xs.Length < expectedN then sprintf " (n=%d)" xs.Length else ""
    match format with
    | Markdown ->
        let core = sprintf "%.2f±%.2f" m s
        match mark with
        | Best -> sprintf "**%s**%s" core count
        | NotDifferent -> sprintf "%s*%s" core count
        | Plain -> core + count
    | Latex ->
        let core = sprintf @"%.2f \pm %.2f" m s
        match mark with
        | Best -> sprintf @"$\mathbf{%s}$%s" core count
        | NotDifferent -> sprintf @"$%s^{*}$%s" core count
        | Plain -> sprintf "$%s$%s" core count

let private empty format = match format with Markdown -> "—" | Latex -> "--"

/// A paper value as printed ("-0.64±0.71") in the given format.
let paperCell format (value: string) =
    match format with
    | Markdown -> value
    | Latex -> "$" + value.Replace("−", "-").Replace("±", @" \pm ") + "$"

/// The caption: what the numbers are, the profile they came from, and what the marks mean.
let caption (results: Results) =
    let e = results.Experiment
    let seeds = e.Seeds |> List.map string |> String.concat ","
    let source = if e.Paper.Source = "" then "" else sprintf "; paper values (%s) beside ours" e.Paper.Source
    let notes = e.Notes |> List.map (fun n -> ". " + n) |> String.concat ""
    sprintf "%s (%s): %s, mean ± std over seeds %s, profile %s; bold = best mean, * = not significantly different from the best (two-sided Welch t-test, 5%%)%s%s"
        e.Name e.Env e.Metric seeds e.Profile source notes

/// Header and rows of an experiment's table: one row per dataset; per column our value, then the
/// paper's when it reports one for that column; a last "paper" column for the paper's claims in words.
let cellsOf format (results: Results) =
    let e = results.Experiment
    let vs = variants e
    let hasPaper (v: Variant) = e.Datasets |> List.exists (fun d -> (PaperTargets.value e.Paper (datasetLabel d) v.Label).IsSome)
    let hasNotes = not e.Paper.Notes.IsEmpty
    let text = match format with Markdown -> id | Latex -> latexEscape
    let header =
        [ text "dataset"
          for v in vs do
              text v.Label
              if hasPaper v then text (v.Label + " (paper)")
          if hasNotes then text "paper" ]
    let rows =
        [ for d in e.Datasets ->
            let groups = vs |> List.map (samples results d)
            let ms = marks 0.05 groups
            [ text (datasetLabel d)
              for v, g, m in List.zip3 vs groups ms do
                  if List.isEmpty g then empty format else summary format m g e.Seeds.Length
                  if hasPaper v then
                      match PaperTargets.value e.Paper (datasetLabel d) v.Label with
                      | Some p -> paperCell format p
                      | None -> empty format
              if hasNotes then
                  match e.Paper.Notes.TryFind(datasetLabel d) with
                  | Some note -> text note
                  | None -> empty format ] ]
    header, rows

/// The experiment's table as Markdown, caption first.
let toMarkdown (results: Results) =
    let header, rows = cellsOf Markdown results
    sprintf "%s\n\n%s\n" (caption results) (markdown header rows)

/// The experiment's table as LaTeX, the caption inside.
let toLatex (results: Results) =
    let header, rows = cellsOf Latex results
    latex (latexEscape (caption results)) header rows + "\n"

/// Prints the Markdown table and writes `<name>.md`, `<name>.tex` and `<name>.runs.csv` under the
/// experiment's ReportsRoot; returns the paths written.
let report (results: Results) =
    let e = results.Experiment
    Directory.CreateDirectory e.ReportsRoot |> ignore
    let md = Path.Combine(e.ReportsRoot, e.Name + ".md")
    let tex = Path.Combine(e.ReportsRoot, e.Name + ".tex")
    let markdownText = toMarkdown results
    File.WriteAllText(md, markdownText)
    File.WriteAllText(tex, toLatex results)
    let csv = saveRuns results
    printfn "\n%s" markdownText
    printfn "written: %s, %s, %s" md tex csv
    [ md; tex; csv ]
