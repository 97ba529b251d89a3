module InSPO.Scripting.Experiment

// The experiment DSL: an experiment is a value (environment, datasets, algorithms with hyperparameter
// grids, seeds, profile, the paper's values) that expands to cells, one run each. `run` executes the
// cells with an executor: in this process through a runner `RunSpec -> RunResult` (the engine's
// `InSPO.Training.Runner.Run`, or a fake in tests), or as groups (a cell's seeds) in parallel `inspo train
// --seeds` processes (`engine`: INSPO_JOBS of them, default the core count), or as a Slurm job array (`engine`
// with INSPO_SLURM=1: submitted, then aggregated by running the script again). Skipping finished cells is the
// runner's job (it finds the cell's record under OutputRoot and returns it instead of training); the DSL
// only reports which cells were reused.

open System
open System.Collections.Generic
open System.Diagnostics
open System.IO
open InSPO.Training

/// An algorithm column group: the engine's algorithm name, the label tables print, a grid of
/// hyperparameters (every combination is a column), and whether the engine can run it yet.
type Algorithm =
    { Name: string
      Label: string
      Grid: (string * float list) list
      Runs: bool }

/// How tables name the engine's algorithms.
let labelOf (name: string) =
    match name.ToLowerInvariant() with
    | "inspo" -> "InSPO"
    | "bc" -> "BC"
    | "omar" -> "OMAR"
    | "alberdice" -> "AlberDICE"
    | "cfcql" -> "CFCQL"
    | "omiga" -> "OMIGA"
    | _ -> name

/// An algorithm with a hyperparameter grid, e.g. `algo "inspo" [ "alpha", [ 0.1; 1.0 ] ]` (2 columns).
/// An empty grid runs the algorithm's defaults.
let algo name grid = { Name = name; Label = labelOf name; Grid = grid; Runs = true }

/// The same, with a label of one's own (e.g. `labelled "InSPO w/o entropy" (algo "inspo" [ "entropy", [ 0.0 ] ])`).
let labelled label (a: Algorithm) = { a with Label = label }

/// A column for an algorithm the engine does not have yet: no cell runs, the table shows it empty
/// with the paper's value beside.
let notYet name = { algo name [] with Runs = false }

/// The columns of the paper's Tables 1–3 (SPEC 7), in its order: BC, OMAR, AlberDICE, CFCQL, OMIGA, InSPO
/// at their defaults. A column the engine cannot run (not in `Learners.Known`) shows the paper's value
/// beside an empty cell.
let paperAlgorithms =
    [ "bc"; "omar"; "alberdice"; "cfcql"; "omiga"; "inspo" ]
    |> List.map (fun n -> if Seq.contains n InSPO.Algorithms.Learners.Known then algo n [] else notYet n)

type Experiment =
    { Name: string
      /// Environment name as the engine knows it ("xor", "mne", ...).
      Env: string
      Datasets: string list
      Algorithms: Algorithm list
      Seeds: int list
      /// Budget profile: "smoke", "quick" or "paper".
      Profile: string
      Device: string
      /// Folder of run records (None: the runner's default, "runs").
      RunsRoot: string option
      /// Folder for tables, figures and per-run CSVs.
      ReportsRoot: string
      /// Metric that fills the table.
      Metric: string
      Paper: PaperTargets.PaperTable
      /// Lines printed under the table's caption (e.g. how a sweep chose the hyperparameters).
      Notes: string list
      /// Settings one algorithm takes on one dataset only, by (dataset, algorithm name), added to the column's
      /// grid point: e.g. CFCQL's per-dataset CQL weight and temperature on SMAC (its README's table).
      DatasetHyperparameters: Map<string * string, (string * float) list> }

/// An experiment with defaults: seeds 0..4 (SPEC 4), quick profile, cpu, metric "return", reports in ./reports.
let experiment name env datasets algorithms =
    { Name = name; Env = env; Datasets = datasets; Algorithms = algorithms; Seeds = [ 0 .. 4 ]
      Profile = "quick"; Device = "cpu"; RunsRoot = None; ReportsRoot = "reports"; Metric = "return"
      Paper = PaperTargets.none; Notes = []; DatasetHyperparameters = Map.empty }

/// How a table names a dataset: a dataset folder by its last name (SMAC-lite tiers: "medium", "expert", …), a
/// dataset the environment defines by its name. Paper values are looked up by this label.
let datasetLabel (dataset: string) =
    if dataset.Contains '/' || dataset.Contains '\\' then
        match Path.GetFileName(dataset.TrimEnd('/', '\\')) with
        | null -> dataset
        | name -> name
    else dataset

/// One column of a table: an algorithm at one point of its grid.
type Variant =
    { Algorithm: Algorithm
      Hyperparameters: (string * float) list }
    /// The column label: the algorithm's label, plus the grid point when the grid has several.
    member v.Label =
        let varying = v.Algorithm.Grid |> List.filter (fun (_, values) -> values.Length > 1) |> List.map fst
        match v.Hyperparameters |> List.filter (fun (k, _) -> List.contains k varying) with
        | [] -> v.Algorithm.Label
        | hs -> sprintf "%s (%s)" v.Algorithm.Label (hs |> List.map (fun (k, x) -> sprintf "%s=%g" k x) |> String.concat ", ")

/// Every point of a grid (cartesian product, in declaration order).
let gridPoints (grid: (string * float list) list) =
    List.foldBack (fun (key, values) points -> [ for x in values do for p in points -> (key, x) :: p ]) grid [ [] ]

/// The columns of an experiment, in declaration order (algorithms that do not run included).
let variants (e: Experiment) =
    [ for a in e.Algorithms do
        for point in gridPoints a.Grid -> { Algorithm = a; Hyperparameters = point } ]

/// One run: a dataset, a column, a seed, and the RunSpec the runner gets.
type Cell =
    { Dataset: string
      Variant: Variant
      Seed: int
      Spec: RunSpec }

let private spec (e: Experiment) dataset (v: Variant) seed =
    let hs = Dictionary<string, float>()
    for k, x in v.Hyperparameters do hs.[k] <- x
    for k, x in e.DatasetHyperparameters |> Map.tryFind (dataset, v.Algorithm.Name) |> Option.defaultValue [] do hs.[k] <- x
    RunSpec(e.Env, dataset, v.Algorithm.Name, seed, e.Profile, e.Device, hs,
            Option.toObj e.RunsRoot)

/// The cells of an experiment: datasets × columns that run × seeds (in that order).
let cells (e: Experiment) =
    [ for d in e.Datasets do
        for v in variants e do
            if v.Algorithm.Runs then
                for s in e.Seeds -> { Dataset = d; Variant = v; Seed = s; Spec = spec e d v s } ]

type Outcome =
    /// Trained in this call.
    | Ran of RunResult
    /// Already finished: the runner returned the stored record without rewriting it.
    | Reused of RunResult
    /// The runner threw; the message is kept, the other cells go on.
    | Failed of string
    /// No record a run would reuse, and this call trains nothing (report-only: INSPO_REPORT_ONLY=1).
    | NotRun

type CellResult = { Cell: Cell; Outcome: Outcome }

type Results =
    { Experiment: Experiment
      Cells: CellResult list
      WallSeconds: float }

/// The result of a cell that has one.
let resultOf (c: CellResult) =
    match c.Outcome with
    | Ran r | Reused r -> Some r
    | Failed _ | NotRun -> None

let private hyperText (hs: (string * float) list) =
    match hs with
    | [] -> ""
    | _ -> " " + (hs |> List.map (fun (k, x) -> sprintf "%s=%g" k x) |> String.concat ",")

/// `outcome` of a cell, or Failed with the message of what it threw: that cell fails, the others go on.
let private guarded (outcome: RunSpec -> Outcome) spec =
    try
        outcome spec
    with ex ->
        let inner =
            match ex with
            | :? AggregateException as a -> (match a.InnerException with null -> ex | i -> i)
            | _ -> ex
        Failed inner.Message

/// The outcome of a cell through `runner`: reused when the runner says so (RunResult.Reused: it found the cell
/// finished and returned its record); a runner exception fails that cell only, its message kept.
let private outcomeThrough (runner: RunSpec -> RunResult) =
    guarded (fun spec ->
        let r = runner spec
        if r.Reused then Reused r else Ran r)

/// Every cell sequentially through `outcomeOf`, one progress line per cell to `log`, then a summary line.
let private runCells (log: string -> unit) (outcomeOf: RunSpec -> Outcome) (e: Experiment) =
    let all = cells e
    let total = all.Length
    log (sprintf "%s: %d cells (%s × %d datasets × %d seeds), profile %s" e.Name total e.Env e.Datasets.Length e.Seeds.Length e.Profile)
    let clock = Stopwatch.StartNew()
    let results =
        all
        |> List.mapi (fun i cell ->
            let prefix =
                sprintf "[%d/%d] %s/%s %s%s seed %d" (i + 1) total e.Env (Runner.DatasetLabel cell.Dataset) cell.Variant.Algorithm.Name
                    (hyperText cell.Variant.Hyperparameters) cell.Seed
            let outcome = outcomeOf cell.Spec
            let metricText (r: RunResult) =
                match r.Metrics.TryGetValue e.Metric with
                | true, x -> sprintf "%s %.3f" e.Metric x
                | _ -> sprintf "no metric '%s'" e.Metric
            match outcome with
            | Ran r -> log (sprintf "%s: %s (%d steps, %.1f s)" prefix (metricText r) r.Steps r.WallSeconds)
            | Reused r -> log (sprintf "%s: %s (finished before, reused)" prefix (metricText r))
            | Failed m -> log (sprintf "%s: FAILED: %s" prefix m)
            | NotRun -> log (sprintf "%s: not run (report only: no finished record with these options, budget and data)" prefix)
            { Cell = cell; Outcome = outcome })
    let count f = results |> List.filter (fun c -> f c.Outcome) |> List.length
    let failed = count (function Failed _ -> true | _ -> false)
    let reused = count (function Reused _ -> true | _ -> false)
    let notRun = count (function NotRun -> true | _ -> false)
    let notRunText = if notRun > 0 then sprintf ", %d not run" notRun else ""
    log (sprintf "%s: %d ran, %d reused%s, %d failed in %.1f s" e.Name (total - failed - reused - notRun) reused notRunText failed clock.Elapsed.TotalSeconds)
    { Experiment = e; Cells = results; WallSeconds = clock.Elapsed.TotalSeconds }

/// Runs every cell sequentially through `runner`, writing one progress line per cell to `log`.
/// A cell is reused when the runner says so (RunResult.Reused: it found the cell finished and returned
/// its record). A runner exception fails that cell only; its message is logged and kept.
let runWith (log: string -> unit) (runner: RunSpec -> RunResult) (e: Experiment) = runCells log (outcomeThrough runner) e

/// The cells a run would reuse (Runner.TryReuse) and nothing else: a table of what has finished so far, every other
/// cell NotRun (printed as "—", or with its seed count n where some seeds finished). Trains and writes no run; a
/// record whose data cannot be read fails that cell with the reason.
let reportFinished (log: string -> unit) (e: Experiment) =
    runCells log (guarded (fun spec -> match Runner.TryReuse spec with
                                       | NonNull r -> Reused r
                                       | Null -> NotRun)) e

/// How an experiment's cells run.
type Executor =
    /// One after another in this process, through a runner (the engine's Runner.Run, or a fake in tests).
    | InProcess of (RunSpec -> RunResult)
    /// As groups (the seeds of a cell) in `inspo train --seeds` processes, `jobs` at once; `inspo` is inspo.dll.
    | Processes of jobs: int * inspo: string
    /// As one Slurm job array (SlurmArray): the groups lacking a record and not already pending or running are
    /// submitted and the script ends (exit 0), to be run again once the array has ended; when every record exists,
    /// `local` aggregates them as a local run does (it finds every cell finished and reuses it).
    | Slurm of options: SlurmOptions * local: Executor
    /// Trains nothing: the tables of the records that exist (INSPO_REPORT_ONLY=1), e.g. while a queue or a Slurm
    /// array is still running.
    | FinishedOnly

/// Runs every cell as groups in parallel processes (GroupScheduler), one progress line per finished group with
/// the time left; a group's member without a record fails with the line of the group's log that says why.
let private runGroupsWith (log: string -> unit) jobs inspo (e: Experiment) =
    let all = cells e
    let groups = RunGroup.Of(all |> List.map (fun c -> c.Spec))
    log (sprintf "%s: %d cells in %d groups (%s × %d datasets × %d seeds), profile %s, %d processes at once"
            e.Name all.Length groups.Count e.Env e.Datasets.Length e.Seeds.Length e.Profile jobs)
    let clock = Stopwatch.StartNew()
    let mutable finished = 0
    let report (o: GroupOutcome) =
        finished <- finished + 1
        let left = clock.Elapsed.TotalSeconds / float finished * float (groups.Count - finished)
        let values =
            o.Results |> Seq.choose (fun r -> match r with
                                              | NonNull r -> (match r.Metrics.TryGetValue e.Metric with | true, x -> Some x | _ -> None)
                                              | Null -> None)
            |> Seq.toList
        let text = if values.IsEmpty then "no metric" else sprintf "%s mean %.3f over %d seeds" e.Metric (List.average values) values.Length
        let reused = o.Results |> Seq.forall (fun r -> match r with NonNull r -> r.Reused | Null -> false)
        let status = match o.Failure with
                     | NonNull f -> sprintf ": FAILED: %s" f
                     | Null -> if reused then " (finished before, reused)" else sprintf " (%.1f s)" o.Wall.TotalSeconds
        log (sprintf "[%d/%d] %s: %s%s; about %.0f s left" finished groups.Count o.Group.Label text status left)
    let outcomes = GroupScheduler.Run(groups, jobs, inspo, Action<GroupOutcome> report)
    let outcomeOf (c: Cell) =
        let o = outcomes |> Seq.find (fun o -> o.Group.Folder = RunGroup(c.Spec, [ c.Spec.Seed ]).Folder && Seq.contains c.Spec.Seed o.Group.Seeds)
        match o.Results[Seq.findIndex ((=) c.Spec.Seed) o.Group.Seeds] with
        | NonNull r -> if r.Reused then Reused r else Ran r
        | Null -> Failed(match o.Failure with NonNull f -> f | Null -> "no record")
    let results = all |> List.map (fun c -> { Cell = c; Outcome = outcomeOf c })
    let count f = results |> List.filter (fun c -> f c.Outcome) |> List.length
    let failed = count (function Failed _ -> true | _ -> false)
    let reused = count (function Reused _ -> true | _ -> false)
    log (sprintf "%s: %d ran, %d reused, %d failed in %.1f s" e.Name (all.Length - failed - reused) reused failed clock.Elapsed.TotalSeconds)
    { Experiment = e; Cells = results; WallSeconds = clock.Elapsed.TotalSeconds }

/// One Slurm round for experiments (SlurmArray.Run): true when every group has its records (then the caller
/// aggregates); otherwise the array was submitted (or printed, or is still in the queue) and the script ends here
/// with exit code 0. Slurm's refusals end it with one line: exit 2 for a bad option, 1 otherwise.
let private slurmRound (log: string -> unit) (options: SlurmOptions) (es: Experiment list) =
    // Tasks start in the repository, not here: they get the runs folder as an absolute path (the same folder).
    let absolute (e: Experiment) = { e with RunsRoot = Some(Path.GetFullPath(defaultArg e.RunsRoot "runs")) }
    let experiments = [| for e in List.map absolute es -> struct (e.Name, RunGroup.Of(cells e |> List.map (fun c -> c.Spec))) |]
    let round =
        try SlurmArray.Run(experiments, options, Action<string> log)
        with
        | :? ArgumentException as ex -> eprintfn "inspo: %s" ex.Message; exit 2
        | ex -> eprintfn "inspo: %s" ex.Message; exit 1
    if round.AllFinished && options.DryRun then
        // A dry run writes nothing, reports included.
        log (sprintf "%s: every group has its records: nothing to submit (without --dry-run the table is aggregated)" (es |> List.map (fun e -> e.Name) |> String.concat "+"))
        exit 0
    elif round.AllFinished then true
    else
        if not options.DryRun then
            let runs = Path.GetFullPath(defaultArg es.Head.RunsRoot "runs")
            log (sprintf "run the same command again once the array has ended: it aggregates the table, or resubmits the groups that failed or were cancelled (each seed resumes from its checkpoint); `inspo status %s %s` lists the cells"
                    runs (match options.Target with null -> es.Head.Name | t -> t))
        exit 0

/// Runs several experiments with the executor, logging progress to `log`; on Slurm their groups share one array.
let rec executeAll (log: string -> unit) (executor: Executor) (es: Experiment list) =
    match executor with
    | InProcess runner -> es |> List.map (runWith log runner)
    | Processes(jobs, inspo) -> es |> List.map (runGroupsWith log jobs inspo)
    | FinishedOnly -> es |> List.map (reportFinished log)
    | Slurm(options, local) ->
        slurmRound log options es |> ignore   // returns only when every group has finished
        executeAll log local es

/// Runs the experiment with the executor, logging progress to `log`.
let execute (log: string -> unit) (executor: Executor) (e: Experiment) = executeAll log executor [ e ] |> List.head

/// `execute` printing progress to the console.
let run executor e = execute (printfn "%s") executor e

/// `executeAll` printing progress to the console: scripts with several experiments (Figure 5's panels) run them
/// with it, so that on Slurm one array holds them all.
let runAll executor es = executeAll (printfn "%s") executor es

/// What experiment scripts run with: groups in INSPO_JOBS parallel processes (default the core count) of the
/// Release `inspo` under `root`, or `runner` in this process when INSPO_JOBS is 1; with INSPO_SLURM=1 (set by
/// `inspo reproduce --slurm`, or by hand for build.fsx targets) a Slurm job array of that `inspo`, aggregated
/// through `runner` once every record exists. A bad Slurm setting ends the script with one line and exit code 2.
/// With INSPO_REPORT_ONLY=1 nothing trains: the tables show the records that exist (FinishedOnly).
let engine (root: string) (runner: RunSpec -> RunResult) =
    let inspo = Path.GetFullPath(Path.Combine(root, "core", "InSPO.Cli", "bin", "Release", "net10.0", "inspo.dll"))
    if Environment.GetEnvironmentVariable "INSPO_REPORT_ONLY" = "1" then FinishedOnly
    elif SlurmOptions.Requested() then
        let options =
            try
                let o = SlurmOptions.FromEnvironment(inspo, root)
                if not o.DryRun then SlurmOptions.RequireClients()
                if not (File.Exists inspo) then raise (FileNotFoundException(sprintf "%s is missing: build first (dotnet fsi build.fsx -t Build)" inspo))
                o
            with ex when (ex :? ArgumentException || ex :? FileNotFoundException) -> eprintfn "inspo: %s" ex.Message; exit 2
        Slurm(options, InProcess runner)
    else
        // a bad INSPO_JOBS is bad input: one line and exit 2, as the inspo command does
        let jobs =
            try GroupScheduler.DefaultJobs()
            with :? ArgumentException as e -> eprintfn "inspo: %s" e.Message; exit 2
        if jobs > 1 then Processes(jobs, inspo) else InProcess runner

/// The metric over seeds for one dataset and column (cells that failed or lack the metric left out).
let samples (results: Results) dataset (v: Variant) =
    results.Cells
    |> List.filter (fun c -> c.Cell.Dataset = dataset && c.Cell.Variant = v)
    |> List.choose resultOf
    |> List.choose (fun r -> match r.Metrics.TryGetValue results.Experiment.Metric with
                             | true, x -> Some x
                             | _ -> None)

/// The run of one dataset, column and seed, if it finished.
let find (results: Results) dataset label seed =
    results.Cells
    |> List.tryFind (fun c -> c.Cell.Dataset = dataset && c.Cell.Variant.Label = label && c.Cell.Seed = seed)
    |> Option.bind resultOf

/// One CSV field: a line break becomes a space (a run is one line, so the file reads back line by line), and a field
/// holding a comma or a quote is quoted.
let private csvEscape (s: string) =
    let s = s.Replace("\r\n", " ").Replace('\n', ' ').Replace('\r', ' ')
    if s.IndexOfAny([| ','; '"' |]) >= 0 then "\"" + s.Replace("\"", "\"\"") + "\"" else s

/// The hyperparameters a run was given, "k=v;k=v" sorted by name ("" for the defaults).
let hyperparametersOf (spec: RunSpec) =
    match spec.Hyperparameters with
    | null -> ""
    | hs -> hs |> Seq.sortBy (fun kv -> kv.Key) |> Seq.map (fun kv -> sprintf "%s=%g" kv.Key kv.Value) |> String.concat ";"

/// One line per cell: dataset, column, hyperparameters, seed, outcome, metric, steps, wall seconds, steps per
/// second, device.
let runsCsv (results: Results) =
    let header = "dataset,column,hyperparameters,seed,outcome,metric,steps,wall_s,steps_per_s,device"
    let line (c: CellResult) =
        let cols =
            match c.Outcome with
            | Ran r | Reused r ->
                let m = match r.Metrics.TryGetValue results.Experiment.Metric with | true, x -> sprintf "%.6g" x | _ -> ""
                let rate = if r.WallSeconds > 0.0 then sprintf "%.1f" (float r.Steps / r.WallSeconds) else ""
                [ (match c.Outcome with Ran _ -> "ran" | _ -> "reused"); m; string r.Steps; sprintf "%.3f" r.WallSeconds; rate; r.Device ]
            | Failed msg -> [ "failed: " + msg; ""; ""; ""; ""; "" ]
            | NotRun -> [ "not run"; ""; ""; ""; ""; "" ]
        [ c.Cell.Dataset; c.Cell.Variant.Label; hyperparametersOf c.Cell.Spec; string c.Cell.Seed ] @ cols |> List.map csvEscape |> String.concat ","
    String.concat "\n" (header :: List.map line results.Cells) + "\n"

/// Writes `<ReportsRoot>/<name>.runs.csv` and returns its path.
let saveRuns (results: Results) =
    let dir = results.Experiment.ReportsRoot
    Directory.CreateDirectory dir |> ignore
    let path = Path.Combine(dir, results.Experiment.Name + ".runs.csv")
    File.WriteAllText(path, runsCsv results)
    path

/// The fields of one CSV line as `runsCsv` writes them ("…" quotes a field holding commas; "" inside quotes is a quote).
let csvFields (line: string) =
    let fields = ResizeArray<string>()
    let field = Text.StringBuilder()
    let mutable quoted = false
    let mutable i = 0
    while i < line.Length do
        match line.[i] with
        | '"' when quoted && i + 1 < line.Length && line.[i + 1] = '"' -> field.Append '"' |> ignore; i <- i + 1
        | '"' -> quoted <- not quoted
        | ',' when not quoted -> fields.Add(field.ToString()); field.Clear() |> ignore
        | c -> field.Append c |> ignore
        i <- i + 1
    fields.Add(field.ToString())
    List.ofSeq fields

/// A runs CSV read back (`saveRuns`' inverse): per line, column name → field. A missing or empty file, one whose
/// header lacks a column of <c>required</c>, or a line with more or fewer fields than the header is refused naming
/// the file.
let readRunsCsvRows (path: string) (required: string list) : Map<string, string> list =
    if not (File.Exists path) then
        raise (FileNotFoundException(sprintf "%s: no such runs file (a table script writes <reports>/<name>.runs.csv)" path, path))
    match File.ReadAllLines path |> Array.filter (fun l -> l.Trim() <> "") |> List.ofArray with
    | [] -> raise (InvalidDataException(sprintf "%s: empty, not a runs CSV" path))
    | header :: lines ->
        let names = csvFields header
        for name in required do
            if not (List.contains name names) then
                raise (InvalidDataException(sprintf "%s: no '%s' column (header: %s), not a runs CSV" path name header))
        lines
        |> List.mapi (fun n line ->
            let fields = csvFields line
            if fields.Length <> names.Length then
                raise (InvalidDataException(sprintf "%s line %d: %d fields, the header has %d" path (n + 2) fields.Length names.Length))
            Map.ofList (List.zip names fields))

/// The value of an environment variable, or a default (scripts read INSPO_PROFILE, INSPO_RUNS, INSPO_REPORTS).
let envOr name (fallback: string) =
    match Environment.GetEnvironmentVariable name with
    | null | "" -> fallback
    | v -> v

/// The experiment as the environment asks for it: profile from INSPO_PROFILE and device from
/// INSPO_DEVICE (else its own), run records under INSPO_RUNS (else `<root>/runs`), reports under
/// INSPO_REPORTS (else `<root>/reports`). Scripts pass their repository root
/// (`__SOURCE_DIRECTORY__ + "/.."`); both folders are git-ignored.
let withEnvironment (root: string) (e: Experiment) =
    { e with
        Profile = envOr "INSPO_PROFILE" e.Profile
        Device = envOr "INSPO_DEVICE" e.Device
        RunsRoot = Some(Path.GetFullPath(envOr "INSPO_RUNS" (Path.Combine(root, "runs"))))
        ReportsRoot = Path.GetFullPath(envOr "INSPO_REPORTS" (Path.Combine(root, "reports"))) }

/// How many cells failed (scripts exit with 1 when any did, after writing what they have).
let failures (results: Results) =
    results.Cells |> List.filter (fun c -> match c.Outcome with Failed _ -> true | _ -> false) |> List.length
