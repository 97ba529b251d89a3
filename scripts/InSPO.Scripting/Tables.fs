module InSPO.Scripting.Tables

// Plain-text tables for experiment reports: Markdown now (LaTeX joins it with the neural tables).

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
