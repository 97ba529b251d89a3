module InSPO.Scripting.Plots

// Figures: heat maps of a 2-agent joint policy π¹(a)·π²(b), one panel per method, built with XPlot.Plotly
// and written as self-contained HTML with plotly.js inlined (opens offline: no CDN), plus a PNG taken by
// headless Chromium when it is installed.
// plotly.js comes from the npm package plotly.js-dist-min, installed by `dotnet fsi build.fsx -t Plotly`
// into the ignored folder .cache/plotly (or named by INSPO_PLOTLY_JS).

open System
open System.Diagnostics
open System.IO
open System.Reflection
open XPlot.Plotly

/// The joint policy of two independent agents: z.[i].[j] = π¹(aᵢ)·π²(aⱼ).
let jointPolicy (p1: float[]) (p2: float[]) = [| for a in p1 -> [| for b in p2 -> a * b |] |]

/// One panel: a title and a joint policy (rows = agent 1's action, columns = agent 2's), or None for a
/// method with no result (drawn as an empty grid).
type Panel = { Title: string; Joint: float[][] option }

/// A panel from a run's FinalPolicy (per agent action distributions; 2 agents).
let panelOf title (finalPolicy: float[][]) =
    match finalPolicy with
    | [| p1; p2 |] -> { Title = title; Joint = Some(jointPolicy p1 p2) }
    | _ -> failwithf "%s: a heat map needs the final policy of 2 agents (got %d)" title finalPolicy.Length

/// A panel left empty (e.g. a baseline the engine does not have yet).
let emptyPanel title = { Title = title; Joint = None }

/// Where plotly.min.js of the npm package plotly.js-dist-min sits below a repository root.
let plotlyRelativePath = Path.Combine(".cache", "plotly", "node_modules", "plotly.js-dist-min", "plotly.min.js")

/// plotly.min.js: INSPO_PLOTLY_JS if set, else .cache/plotly/... in the current folder, the library's
/// folder, or any folder above them (so scripts find the repository's copy from anywhere in it).
let findPlotlyJs () =
    match Environment.GetEnvironmentVariable "INSPO_PLOTLY_JS" with
    | null | "" ->
        let rec up (dir: string | null) =
            match dir with
            | null | "" -> None
            | dir ->
                let candidate = Path.Combine(dir, plotlyRelativePath)
                if File.Exists candidate then Some candidate else up (Path.GetDirectoryName dir)
        let here = Path.GetDirectoryName(Assembly.GetExecutingAssembly().Location)
        [ Some Environment.CurrentDirectory; Option.ofObj here ]
        |> List.choose id
        |> List.tryPick (fun d -> if d = "" then None else up (Path.GetFullPath d))
    | path -> if File.Exists path then Some path else None

let private panelSize = 380, 360

/// A panel's chart (XPlot.Plotly): a heat map with the probability written in each cell, agent 1's
/// actions down the y axis (first action on top), agent 2's along the x axis.
let chart (id: string) (actions: string list) (p: Panel) =
    let n = actions.Length
    // Nullable, not option: XPlot's JSON writes null for an empty Nullable and an object for an option.
    let z: Nullable<float>[][] =
        match p.Joint with
        | Some z -> z |> Array.map (Array.map Nullable)
        | None -> Array.init n (fun _ -> Array.create n (Nullable()))
    let annotations =
        match p.Joint with
        | Some z ->
            [ for i in 0 .. n - 1 do
                for j in 0 .. n - 1 ->
                    Annotation(x = box actions.[j], y = box actions.[i], text = sprintf "%.2f" z.[i].[j], showarrow = false,
                               font = Font(color = (if z.[i].[j] > 0.5 then "black" else "white"))) ]
        | None -> [ Annotation(x = box actions.[n / 2], y = box actions.[n / 2], text = "no result", showarrow = false) ]
    let trace = Heatmap(z = (z :> obj), x = actions, y = actions, zmin = 0.0, zmax = 1.0, colorscale = "Viridis", showscale = false)
    let layout =
        Layout(title = p.Title,
               xaxis = Xaxis(title = "agent 2", ``type`` = "category"),
               yaxis = Yaxis(title = "agent 1", ``type`` = "category", autorange = "reversed"),
               annotations = annotations)
    let w, h = panelSize
    Chart.Plot(trace, layout) |> Chart.WithId id |> Chart.WithSize(w, h)

/// A self-contained HTML page: the title, the panels side by side, plotly.js (its source text) inlined.
let html (plotlyJs: string) (title: string) (actions: string list) (panels: Panel list) =
    let encode (s: string) = Net.WebUtility.HtmlEncode s
    let divs =
        panels
        |> List.mapi (fun i p -> sprintf "<div class=\"panel\">%s</div>" ((chart (sprintf "panel%d" i) actions p).GetInlineHtml()))
        |> String.concat "\n"
    // A literal "</script" inside the library would close the tag early; "<\/script" means the same in JS.
    let js = plotlyJs.Replace("</script", "<\\/script")
    String.concat "\n"
        [ "<!DOCTYPE html>"
          "<html><head><meta charset=\"utf-8\">"
          sprintf "<title>%s</title>" (encode title)
          "<style>body{font-family:sans-serif} .panels{display:flex;flex-wrap:nowrap}</style>"
          "<script>" + js + "</script>"
          "</head><body>"
          sprintf "<h3>%s</h3>" (encode title)
          "<div class=\"panels\">"
          divs
          "</div>"
          "</body></html>"
          "" ]

/// Headless Chromium if installed: INSPO_CHROMIUM, /usr/bin/chromium or /usr/bin/chromium-browser.
let findChromium () =
    [ Option.ofObj (Environment.GetEnvironmentVariable "INSPO_CHROMIUM"); Some "/usr/bin/chromium"; Some "/usr/bin/chromium-browser" ]
    |> List.choose id
    |> List.tryFind (fun p -> p <> "" && File.Exists p)

/// Screenshots an HTML file with headless Chromium; Error with the reason when it cannot.
let screenshot (chromium: string) (htmlPath: string) (pngPath: string) (width: int, height: int) =
    let psi = ProcessStartInfo(chromium, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    for a in [ "--headless"; "--no-sandbox"; "--disable-gpu"; "--disable-background-networking"
               "--disable-component-update"; "--no-first-run"; "--hide-scrollbars"; "--virtual-time-budget=5000"
               sprintf "--screenshot=%s" (Path.GetFullPath pngPath)
               sprintf "--window-size=%d,%d" width height
               Uri(Path.GetFullPath htmlPath).AbsoluteUri ] do
        psi.ArgumentList.Add a
    use p = match Process.Start psi with null -> failwith "could not start chromium" | p -> p
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEnd()
    if not (p.WaitForExit 60000) then
        p.Kill true
        Error "chromium did not finish in 60 s"
    elif p.ExitCode = 0 && File.Exists pngPath then Ok pngPath
    else Error(sprintf "chromium exited with %d: %s%s" p.ExitCode out.Result err)

/// Writes `<dir>/<name>.html` (plotly.js inlined) and, when Chromium is installed, `<dir>/<name>.png`;
/// prints one line per file (or why there is no PNG). Returns the HTML path. Fails with what to run when
/// plotly.js is not installed.
let figure (dir: string) (name: string) (title: string) (actions: string list) (panels: Panel list) =
    let plotly =
        match findPlotlyJs () with
        | Some p -> p
        | None -> failwithf "plotly.js not found (%s): run `dotnet fsi build.fsx -t Plotly` or set INSPO_PLOTLY_JS" plotlyRelativePath
    Directory.CreateDirectory dir |> ignore
    let htmlPath = Path.Combine(dir, name + ".html")
    File.WriteAllText(htmlPath, html (File.ReadAllText plotly) title actions panels)
    printfn "written: %s" htmlPath
    let w, h = panelSize
    match findChromium () with
    | None -> printfn "no PNG for %s: headless Chromium is not installed (/usr/bin/chromium); the HTML has the figure" name
    | Some chromium ->
        match screenshot chromium htmlPath (Path.Combine(dir, name + ".png")) (panels.Length * (w + 10) + 40, h + 80) with
        | Ok png -> printfn "written: %s" png
        | Error why -> printfn "no PNG for %s: %s" name why
    htmlPath

/// One panel per column of an experiment: the joint policy of the given dataset and seed, or an empty
/// panel (titled "… (no result)") for a column that did not run or failed.
let panelsOf (results: Experiment.Results) dataset seed =
    Experiment.variants results.Experiment
    |> List.map (fun v ->
        match Experiment.find results dataset v.Label seed with
        | Some r when r.FinalPolicy.Length = 2 -> panelOf v.Label r.FinalPolicy
        | _ -> emptyPanel (v.Label + " (no result)"))
