/// The F# experiment library: statistics, the DSL's expansion and run loop, tables, figures.
/// The engine's runner is replaced by fakes (`RunSpec -> RunResult`).
module InSPO.Tests.ScriptingTests

open System
open System.Collections.Generic
open System.IO
open Expecto
open InSPO.Training
open InSPO.Scripting
open InSPO.Scripting.Experiment

let private result (spec: RunSpec) (value: float) recordPath =
    let metrics = Dictionary<string, float>()
    metrics.["return"] <- value
    RunResult(spec, metrics, [| [| 0.5; 0.5 |]; [| 0.5; 0.5 |] |], 2.0, 1000L, "cpu", null, recordPath)

/// A fake runner: the "return" of a cell from a table keyed by dataset, algorithm and seed.
let private tableRunner (values: Map<string * string * int, float>) (spec: RunSpec) =
    result spec values.[(spec.Dataset, spec.Algorithm, spec.Seed)] ""

let private small =
    { experiment "t1" "xor" [ "a"; "b" ] [ algo "bc" []; algo "inspo" []; notYet "omar" ] with
        Seeds = [ 0; 1 ]
        Paper = PaperTargets.xor }

let private smallValues =
    Map [ ("a", "bc", 0), 0.0; ("a", "bc", 1), 0.02; ("a", "inspo", 0), 1.0; ("a", "inspo", 1), 1.0
          ("b", "bc", 0), 0.2; ("b", "bc", 1), 0.26; ("b", "inspo", 0), 0.8; ("b", "inspo", 1), 1.2 ]

let private quiet = ignore

let private statsTests =
    testList "stats" [
        test "mean and sample std (divisor n − 1)" {
            Expect.floatClose Accuracy.veryHigh (Stats.mean [ 1.0; 2.0; 3.0; 4.0 ]) 2.5 "mean"
            // Σ(x − 2.5)² = 5, / 3
            Expect.floatClose Accuracy.veryHigh (Stats.std [ 1.0; 2.0; 3.0; 4.0 ]) (sqrt (5.0 / 3.0)) "std"
            Expect.equal (Stats.std [ 7.0 ]) 0.0 "one sample: no spread"
        }
        test "Welch, equal variances, df = 2: p = 1 − 3/√13 (closed form of the t₂ CDF)" {
            // x̄ = 1, ȳ = 4, s² = 2 each, n = 2: t = −3/√2, df = (1 + 1)² / (1 + 1) = 2,
            // F₂(t) = 1/2 + t / (2√(2 + t²)) → p = 1 − |t|/√(2 + t²) = 1 − √(4.5/6.5) = 1 − 3/√13
            let r = Stats.welch [ 0.0; 2.0 ] [ 3.0; 5.0 ]
            Expect.floatClose { absolute = 1e-12; relative = 0.0 } r.T (-3.0 / sqrt 2.0) "t"
            Expect.floatClose { absolute = 1e-12; relative = 0.0 } r.Df 2.0 "df"
            Expect.floatClose { absolute = 1e-6; relative = 0.0 } r.P 0.167949706 "p"
        }
        test "Welch, df = 4: p from the closed form of the t₄ CDF" {
            // x̄ = 2, ȳ = 5, s² = 1 each, n = 3: t = −3/√(2/3), df = (2/3)² / (2 · (1/3)² / 2) = 4,
            // F₄(t) = 1/2 + (3/8) · t/√(1 + t²/4) · (1 − t²/(12(1 + t²/4))) → p = 2F₄(t) = 0.0213116411
            let r = Stats.welch [ 1.0; 2.0; 3.0 ] [ 4.0; 5.0; 6.0 ]
            Expect.floatClose { absolute = 1e-12; relative = 0.0 } r.Df 4.0 "df"
            Expect.floatClose { absolute = 1e-6; relative = 0.0 } r.P 0.0213116411 "p"
            Expect.floatClose { absolute = 1e-12; relative = 0.0 } (Stats.welch [ 4.0; 5.0; 6.0 ] [ 1.0; 2.0; 3.0 ]).P r.P "symmetric"
        }
        test "Welch, unequal variances and sizes: Welch–Satterthwaite df = 36/17" {
            // s²ₓ/nₓ = 2/2 = 1, s²ᵧ/nᵧ = 2.5/5 = 0.5: t = (1 − 3)/√1.5, df = 1.5² / (1²/1 + 0.5²/4) = 2.25/1.0625 = 36/17;
            // p = 0.2371863193 by numerical integration of the t density (Simpson, 2·10⁶ intervals)
            let r = Stats.welch [ 0.0; 2.0 ] [ 1.0; 2.0; 3.0; 4.0; 5.0 ]
            Expect.floatClose { absolute = 1e-12; relative = 0.0 } r.T (-2.0 / sqrt 1.5) "t"
            Expect.floatClose { absolute = 1e-12; relative = 0.0 } r.Df (36.0 / 17.0) "df"
            Expect.floatClose { absolute = 1e-6; relative = 0.0 } r.P 0.2371863193 "p"
        }
        test "Welch edge cases: n = 1 undefined, zero variances exact" {
            Expect.isTrue (Double.IsNaN (Stats.welch [ 1.0 ] [ 1.0; 2.0 ]).P) "n = 1: undefined"
            Expect.equal (Stats.welch [ 1.0; 1.0 ] [ 1.0; 1.0; 1.0 ]).P 1.0 "same constant: p = 1"
            Expect.equal (Stats.welch [ 1.0; 1.0 ] [ 0.0; 0.0 ]).P 0.0 "different constants: p = 0"
            Expect.isFalse (Stats.significantlyDifferent 0.05 [ 1.0 ] [ 5.0; 6.0 ]) "undefined test rejects nothing"
            Expect.isTrue (Stats.significantlyDifferent 0.05 [ 1.0; 2.0; 3.0 ] [ 4.0; 5.0; 6.0 ]) "p = 0.021 < 0.05"
        }
    ]

let private tableTests =
    testList "tables" [
        test "marks: best mean bold, * where Welch does not reject, plain otherwise" {
            let groups =
                [ [ 1.0; 1.0; 1.0; 1.0; 1.0 ]          // best
                  [ 0.9; 1.0; 1.1; 0.9; 1.0 ]          // mean 0.98, t = −0.53, df = 4: p ≈ 0.62 → *
                  [ 0.0; 0.0; 0.1; 0.0; 0.0 ]          // far below → plain
                  []                                   // no result
                  [ 0.99 ] ]                           // one seed: test undefined → plain
            Expect.equal (Tables.marks 0.05 groups) [ Tables.Best; Tables.NotDifferent; Tables.Plain; Tables.Plain; Tables.Plain ] "marks"
            Expect.equal (Tables.marks 0.05 [ [ 2.0; 2.0 ]; [ 2.0; 2.0 ] ]) [ Tables.Best; Tables.Best ] "ties are all best"
        }
        test "Markdown table: ours, the paper's beside, marks, profile in the caption" {
            let md = Tables.toMarkdown (runWith quiet (tableRunner smallValues) small)
            let expected =
                String.concat "\n"
                    [ "t1 (xor): return, mean ± std over seeds 0,1, profile quick; bold = best mean, * = not significantly different from the best (two-sided Welch t-test, 5%); paper values (paper Table 1) beside ours"
                      ""
                      "| dataset |         BC | BC (paper) |         InSPO | InSPO (paper) | OMAR | OMAR (paper) |"
                      "| ------- | ---------: | ---------: | ------------: | ------------: | ---: | -----------: |"
                      "| a       |  0.01±0.01 |  0.00±0.01 | **1.00±0.00** |     1.00±0.00 |    — |    1.00±0.00 |"
                      "| b       | 0.23±0.04* |  0.23±0.01 | **1.00±0.28** |     1.00±0.00 |    — |   -2.00±0.00 |"
                      "" ]
            Expect.equal md expected "markdown"
        }
        test "LaTeX table: booktabs, \\mathbf best, ^{*}, escaped caption with the profile" {
            let tex = Tables.toLatex (runWith quiet (tableRunner smallValues) small)
            let expected =
                String.concat "\n"
                    [ @"\begin{table}[t]"
                      @"\centering"
                      @"\caption{t1 (xor): return, mean $\pm$ std over seeds 0,1, profile quick; bold = best mean, * = not significantly different from the best (two-sided Welch t-test, 5\%); paper values (paper Table 1) beside ours}"
                      @"\begin{tabular}{lrrrrrr}"
                      @"\toprule"
                      @"dataset & BC & BC (paper) & InSPO & InSPO (paper) & OMAR & OMAR (paper) \\"
                      @"\midrule"
                      @"a & $0.01 \pm 0.01$ & $0.00 \pm 0.01$ & $\mathbf{1.00 \pm 0.00}$ & $1.00 \pm 0.00$ & -- & $1.00 \pm 0.00$ \\"
                      @"b & $0.23 \pm 0.04^{*}$ & $0.23 \pm 0.01$ & $\mathbf{1.00 \pm 0.28}$ & $1.00 \pm 0.00$ & -- & $-2.00 \pm 0.00$ \\"
                      @"\bottomrule"
                      @"\end{tabular}"
                      @"\end{table}"
                      "" ]
            Expect.equal tex expected "latex"
        }
        test "claims in words get a paper column" {
            let e = { experiment "t2" "mne" [ "imbalanced" ] [ algo "inspo" [] ] with Seeds = [ 0; 1 ]; Paper = PaperTargets.mne }
            let header, rows = Tables.cellsOf Tables.Markdown (runWith quiet (fun s -> result s 20.0 "") e)
            Expect.equal header [ "dataset"; "InSPO"; "paper" ] "header"
            Expect.equal rows [ [ "imbalanced"; "**20.00±0.00**"; "only InSPO finds (C,C) = 20" ] ] "row"
        }
    ]

let private dslTests =
    testList "dsl" [
        test "grid × seeds → cells; columns labelled by the varying hyperparameters; notYet runs nothing" {
            let e =
                { experiment "grid" "xor" [ "a"; "b" ]
                      [ algo "inspo" [ "alpha", [ 0.1; 1.0 ]; "beta0", [ 1.0; 5.0 ]; "entropy", [ 1.0 ] ]
                        algo "bc" []
                        notYet "omar" ] with
                    RunsRoot = Some "somewhere" }
            let cs = cells e
            Expect.equal cs.Length (2 * (4 + 1) * 5) "2 datasets × 5 columns that run × 5 seeds"
            Expect.equal ((variants e) |> List.map (fun v -> v.Label))
                [ "InSPO (alpha=0.1, beta0=1)"; "InSPO (alpha=0.1, beta0=5)"; "InSPO (alpha=1, beta0=1)"; "InSPO (alpha=1, beta0=5)"; "BC"; "OMAR" ] "labels"
            let first = cs.Head.Spec
            Expect.equal (first.Env, first.Dataset, first.Algorithm, first.Seed, first.Profile, first.OutputRoot)
                ("xor", "a", "inspo", 0, "quick", "somewhere") "first spec"
            let hyper = match first.Hyperparameters with null -> [] | hs -> hs |> Seq.map (fun kv -> kv.Key, kv.Value) |> List.ofSeq
            Expect.equal hyper
                [ "alpha", 0.1; "beta0", 1.0; "entropy", 1.0 ] "hyperparameters"
            Expect.equal (cs |> List.last |> fun c -> c.Dataset, c.Spec.Algorithm, c.Seed) ("b", "bc", 4) "last cell"
        }
        test "a failing cell is reported and the others keep their results" {
            let runner (spec: RunSpec) =
                if spec.Dataset = "b" && spec.Algorithm = "inspo" && spec.Seed = 1 then failwith "diverged (NaN loss)"
                tableRunner smallValues spec
            let lines = ResizeArray<string>()
            let r = runWith lines.Add runner small
            Expect.equal r.Cells.Length 8 "every cell has a result"
            Expect.equal (r.Cells |> List.choose resultOf |> List.length) 7 "7 ran"
            Expect.contains lines "[8/8] xor/b inspo seed 1: FAILED: diverged (NaN loss)" "progress line"
            Expect.equal (samples r "b" (variants small).[1]) [ 0.8 ] "the failed seed is left out"
            let header, rows = Tables.cellsOf Tables.Markdown r
            Expect.equal rows.[1].[3] "**0.80±0.00** (n=1)" "n shown when seeds are missing"
            Expect.equal header.[3] "InSPO" "column"
        }
        test "finished cells are skipped by the runner and counted as reused" {
            let dir = Path.Combine(Path.GetTempPath(), "inspo-dsl-" + Guid.NewGuid().ToString "N")
            Directory.CreateDirectory dir |> ignore
            try
                let record (spec: RunSpec) = Path.Combine(dir, sprintf "%s-%s-%s-%d.json" spec.Env spec.Dataset spec.Algorithm spec.Seed)
                // seeds 0 finished earlier
                for c in cells small do
                    if c.Seed = 0 then File.WriteAllText(record c.Spec, "{}")
                let mutable trained = 0
                let runner (spec: RunSpec) =
                    let path = record spec
                    let finished = File.Exists path
                    if not finished then
                        trained <- trained + 1
                        File.WriteAllText(path, "{}")
                    let r = result spec smallValues.[(spec.Dataset, spec.Algorithm, spec.Seed)] path
                    if finished then r.AsReused() else r
                let lines = ResizeArray<string>()
                let r = runWith lines.Add runner small
                let reused = r.Cells |> List.filter (fun c -> match c.Outcome with Reused _ -> true | _ -> false)
                Expect.equal (reused |> List.map (fun c -> c.Cell.Seed) |> List.distinct) [ 0 ] "seed 0 reused"
                Expect.equal reused.Length 4 "4 cells reused"
                Expect.equal trained 4 "4 trained"
                Expect.equal (lines |> Seq.last |> fun l -> l.Substring(0, l.IndexOf " in ")) "t1: 4 ran, 4 reused, 0 failed" "summary"
                Expect.contains lines "[1/8] xor/a bc seed 0: return 0.000 (finished before, reused)" "progress line"
            finally
                Directory.Delete(dir, true)
        }
        test "progress lines name a dataset folder by its last name, without a doubled separator" {
            let parent = Path.Combine(Path.GetTempPath(), "inspo-dsl-" + Guid.NewGuid().ToString "N")
            let folder = Path.Combine(parent, "buffer_02_20")
            Directory.CreateDirectory folder |> ignore
            try
                let lines = ResizeArray<string>()
                runWith lines.Add (fun s -> result s 1.0 "") { small with Datasets = [ folder + string Path.DirectorySeparatorChar ]; Seeds = [ 0 ] } |> ignore
                Expect.contains lines "[1/2] xor/buffer_02_20 bc seed 0: return 1.000 (1000 steps, 2.0 s)" "progress line"
                Expect.isFalse (lines |> Seq.exists (fun l -> l.Contains "//")) "no doubled separator"
            finally
                Directory.Delete(parent, true)
        }
        test "runs CSV: one line per cell with steps per second" {
            let csv = runsCsv (runWith quiet (tableRunner smallValues) { small with Datasets = [ "a" ]; Seeds = [ 0 ] })
            Expect.equal csv "dataset,column,hyperparameters,seed,outcome,metric,steps,wall_s,steps_per_s,device\na,BC,,0,ran,0,1000,2.000,500.0,cpu\na,InSPO,,0,ran,1,1000,2.000,500.0,cpu\n" "csv"
        }
    ]

let private plotTests =
    testList "plots" [
        test "joint policy is the outer product" {
            Expect.equal (Plots.jointPolicy [| 0.5; 0.5 |] [| 0.25; 0.75 |]) [| [| 0.125; 0.375 |]; [| 0.125; 0.375 |] |] "π¹(a)·π²(b)"
        }
        test "HTML inlines plotly.js, loads nothing over the network, leaves missing methods empty" {
            let fakePlotly = "/*FAKE-PLOTLY*/ window.Plotly = { newPlot: function () {} }; var s = '</script>';"
            let page =
                Plots.html fakePlotly "XOR (b)" [ "A"; "B" ]
                    [ Plots.panelOf "BC" [| [| 0.5; 0.5 |]; [| 0.25; 0.75 |] |]; Plots.emptyPanel "OMAR" ]
            Expect.stringContains page "<script>/*FAKE-PLOTLY*/ window.Plotly" "plotly.js inlined"
            Expect.stringContains page "var s = '<\\/script>';" "a literal </script in the library is escaped"
            Expect.isFalse (Text.RegularExpressions.Regex.IsMatch(page, "<script[^>]*src\\s*=", Text.RegularExpressions.RegexOptions.IgnoreCase)) "no script src"
            Expect.isFalse (page.Contains "http://" || page.Contains "https://") "no URL at all"
            Expect.stringContains page "\"z\":[[0.125,0.375],[0.125,0.375]]" "BC's joint policy"
            Expect.stringContains page "\"z\":[[null,null],[null,null]]" "OMAR empty"
            Expect.stringContains page "Plotly.newPlot('panel1'" "one plot per panel"
        }
        test "figure writes the HTML next to where it is asked, with the plotly.js it finds" {
            let dir = Path.Combine(Path.GetTempPath(), "inspo-fig-" + Guid.NewGuid().ToString "N")
            Directory.CreateDirectory dir |> ignore
            let js = Path.Combine(dir, "plotly.min.js")
            File.WriteAllText(js, "/*FAKE-PLOTLY-FILE*/")
            let before = Environment.GetEnvironmentVariable "INSPO_PLOTLY_JS"
            try
                Environment.SetEnvironmentVariable("INSPO_PLOTLY_JS", js)
                let html = Plots.figure (Path.Combine(dir, "out")) "fig" "t" [ "A"; "B" ] [ Plots.emptyPanel "OMAR" ]
                Expect.equal html (Path.Combine(dir, "out", "fig.html")) "path"
                Expect.stringContains (File.ReadAllText html) "<script>/*FAKE-PLOTLY-FILE*/</script>" "inlined from the file"
            finally
                Environment.SetEnvironmentVariable("INSPO_PLOTLY_JS", before)
                Directory.Delete(dir, true)
        }
    ]

/// A fake runner for sweeps: the return is a function of the dataset, algorithm, "alpha" and seed.
let private sweepRunner (spec: RunSpec) =
    let alpha = match spec.Hyperparameters with
                | null -> 0.0
                | hs -> match hs.TryGetValue "alpha" with | true, a -> a | _ -> 0.0
    let value =
        match spec.Dataset, spec.Algorithm with
        | "a", "inspo" -> (if alpha = 1.0 then 0.9 else 0.2) + 0.01 * float spec.Seed
        | "b", "inspo" -> (if alpha = 5.0 then 0.7 else 0.1) + 0.01 * float spec.Seed
        | _ -> 0.3
    result spec value ""

let private sweepTests =
    let grids : SearchGrids.SearchGrid list = [ { Algorithm = "inspo"; Grid = [ "alpha", [ 0.1; 1.0; 5.0 ] ]; Source = "test" } ]
    let e = { experiment "sw" "xor" [ "a"; "b" ] [ algo "bc" []; algo "inspo" [] ] with Seeds = [ 0; 1 ] }
    testList "sweep" [
        test "expand gives a grid-less running algorithm its search grid and leaves the others" {
            let x = Sweep.expand grids { e with Algorithms = [ algo "bc" []; algo "inspo" []; notYet "omar" ] }
            Expect.equal (x.Algorithms |> List.map (fun a -> a.Name, a.Grid)) [ "bc", []; "inspo", [ "alpha", [ 0.1; 1.0; 5.0 ] ]; "omar", [] ] "grids"
            Expect.equal (cells x |> List.length) (2 * (1 + 3) * 2) "datasets × (bc + 3 candidates) × seeds"
        }
        test "the best mean per dataset is chosen and recorded with every candidate" {
            let results = runWith quiet sweepRunner (Sweep.expand grids e)
            let chosen = Sweep.choices results
            Expect.equal (chosen |> List.map (fun c -> c.Dataset, c.Best.Point)) [ "a", [ "alpha", 1.0 ]; "b", [ "alpha", 5.0 ] ] "per dataset"
            Expect.equal (chosen |> List.map (fun c -> c.Candidates.Length)) [ 3; 3 ] "every candidate compared"
            let md = Text.RegularExpressions.Regex.Replace(Sweep.toMarkdown "sw" grids chosen, " +", " ")
            Expect.stringContains md "| a | inspo | alpha=1 | 0.905 ± 0.007 | 2 | chosen |" "the chosen row"
            Expect.stringContains md "| a | inspo | alpha=5 | 0.205 ± 0.007 | 2 | |" "a candidate not chosen"
        }
        test "the tuned table has one column per algorithm holding the chosen point's runs" {
            let results = runWith quiet sweepRunner (Sweep.expand grids e)
            let table = Sweep.tuned results (Sweep.choices results)
            Expect.equal (variants table.Experiment |> List.map (fun v -> v.Label)) [ "BC"; "InSPO" ] "columns"
            let inspo = variants table.Experiment |> List.item 1
            Expect.equal (samples table "a" inspo) [ 0.9; 0.91 ] "dataset a: alpha = 1's runs"
            Expect.equal (samples table "b" inspo) [ 0.7; 0.71 ] "dataset b: alpha = 5's runs"
            Expect.stringContains (Tables.toMarkdown table) "sw.sweep.md" "the caption says where the choices are"
            let csv = runsCsv table
            Expect.stringContains csv "a,InSPO,alpha=1,0,ran" "the runs CSV keeps the chosen hyperparameters"
        }
        test "every grid point of SearchGrids builds its learner (names and values the engine accepts)" {
            let data = InSPO.Data.MatrixGameDatasets.Record(InSPO.Envs.MatrixGames.Xor, "a", 2, 5, 0)
            for g in SearchGrids.all do
                Expect.contains InSPO.Algorithms.Learners.Known g.Algorithm (sprintf "%s is registered" g.Algorithm)
                for point in gridPoints g.Grid do
                    let hs = Dictionary<string, float>(dict point) :> IReadOnlyDictionary<string, float>
                    use init = new TorchSharp.torch.Generator(0UL)
                    use learner = InSPO.Algorithms.Learners.Create(g.Algorithm, data.Spec, hs, Profiles.Smoke, TorchSharp.torch.CPU, init)
                    Expect.equal learner.Name g.Algorithm "built"
        }
        test "a tie goes to the first declared candidate; a candidate with no finished seed never wins" {
            let failing (spec: RunSpec) =
                if (nonNull spec.Hyperparameters).["alpha"] = 0.1 then failwith "diverged" else result spec 0.5 ""
            let results = runWith quiet failing (Sweep.expand grids { e with Algorithms = [ algo "inspo" [] ] })
            Expect.equal ((Sweep.choices results).Head.Best.Point) [ "alpha", 1.0 ] "alpha 0.1 failed; 1 and 5 tie → 1"
        }
    ]

let private recordTests =
    testList "records" [
        test "archived records come back where a run folder has none and are reused there; a local record is never replaced" {
            let dir = TestPaths.scratchDir "record_archive"
            let runsA, archived, runsB = Path.Combine(dir, "a"), Path.Combine(dir, "archive"), Path.Combine(dir, "b")
            let spec seed root = RunFixtures.spec "xor" "b" "bc" seed root []
            let first = [ for seed in 0 .. 1 -> RunFixtures.run (spec seed runsA) Profiles.Smoke ]
            Expect.equal (RecordArchive.archive runsA archived (fun f -> f.StartsWith "xor/")) 2 "both run folders written"
            Expect.equal (RecordArchive.archive runsA archived (fun _ -> true)) 0 "unchanged records are not written again"
            Expect.equal (RecordArchive.archive runsA (Path.Combine(dir, "none")) RecordArchive.isSmacRun) 0 "the SMAC-lite filter keeps no XOR run"
            Expect.equal (RecordArchive.archive runsA (Path.Combine(dir, "none")) RecordArchive.isBridgeRun) 0 "nor the Bridge filter"
            Expect.isTrue (RecordArchive.isBridgeRun "bridge/optimal/bc/seed0" && not (RecordArchive.isBridgeRun "smac-2s3z/mixed/bc/seed0")) "which takes Bridge run folders"
            Expect.isFalse (File.Exists(Path.Combine(archived, "xor", "b", "bc", "seed0", "checkpoint.bin"))) "records only, no checkpoint"
            // runs folder B: seed 1 finished locally with another budget (a record the archive must not replace)
            let local = RunFixtures.run (spec 1 runsB) RunFixtures.tiny
            let localText = File.ReadAllText local.RecordPath
            Expect.equal (RecordArchive.restore archived runsB) (1, 1) "seed 0 restored, seed 1 already had a record"
            Expect.equal (File.ReadAllText local.RecordPath) localText "the local record kept"
            match Runner.TryReuse(spec 0 runsB) with
            | null -> failtest "the restored record is not reused"
            | reused ->
                Expect.isTrue reused.Reused "reused, not trained"
                Expect.equal reused.Metrics.["return"] first.[0].Metrics.["return"] "the archived run's result"
            Expect.equal (RecordArchive.restore archived runsB) (0, 2) "a second restore copies nothing"
        }
    ]

let private comparisonTests =
    let header = "dataset,column,hyperparameters,seed,outcome,metric,steps,wall_s,steps_per_s,device"
    let write dir name (lines: string list) =
        let path = Path.Combine(dir, name)
        File.WriteAllLines(path, header :: lines)
        path
    testList "run comparison" [
        test "two runs CSVs: per column both means, Welch's p, the largest same-seed difference; untestable columns named" {
            let dir = TestPaths.scratchDir "compare-runs"
            // A's tier lies under one runs folder, B's under another (SMAC-lite): the rows match by the tier's name
            let a =
                write dir "a.runs.csv"
                    [ "/a/runs/smac_datasets/5m_vs_6m/mixed,InSPO,,0,ran,0.90,10,1.0,10.0,cpu"; "/a/runs/smac_datasets/5m_vs_6m/mixed,InSPO,,1,ran,0.92,10,1.0,10.0,cpu"
                      "/a/runs/smac_datasets/5m_vs_6m/mixed,InSPO,,2,ran,0.94,10,1.0,10.0,cpu"
                      "mixed,BC,,0,ran,0.10,10,1.0,10.0,cpu"; "mixed,BC,,1,ran,0.12,10,1.0,10.0,cpu"; "mixed,BC,,2,ran,0.11,10,1.0,10.0,cpu"
                      "mixed,\"OMAR (a, b)\",k=1,0,\"failed: NaN loss, step 3\",,,,,"
                      "mixed,\"OMAR (a, b)\",k=1,1,ran,0.5,10,1.0,10.0,cpu"
                      "mixed,CFCQL,,0,ran,nan,10,1.0,10.0,cpu"; "mixed,CFCQL,,1,ran,0.3,10,1.0,10.0,cpu"; "mixed,CFCQL,,2,ran,0.4,10,1.0,10.0,cpu" ]
            let b =
                write dir "b.runs.csv"
                    [ "/b/runs/smac_datasets/5m_vs_6m/mixed,InSPO,,0,ran,0.91,10,1.0,10.0,cpu"; "/b/runs/smac_datasets/5m_vs_6m/mixed,InSPO,,1,ran,0.92,10,1.0,10.0,cpu"
                      "/b/runs/smac_datasets/5m_vs_6m/mixed,InSPO,,2,ran,0.93,10,1.0,10.0,cpu"
                      "mixed,BC,,0,ran,0.50,10,1.0,10.0,cpu"; "mixed,BC,,1,ran,0.52,10,1.0,10.0,cpu"; "mixed,BC,,2,ran,0.51,10,1.0,10.0,cpu"
                      "mixed,CFCQL,,0,ran,0.35,10,1.0,10.0,cpu"; "mixed,CFCQL,,1,ran,0.3,10,1.0,10.0,cpu"; "mixed,CFCQL,,2,ran,0.4,10,1.0,10.0,cpu" ]
            let rows = RunComparison.compare (RunComparison.readRunsCsv a) (RunComparison.readRunsCsv b)
            Expect.equal (rows |> List.map (fun r -> r.Dataset, r.Column)) [ "mixed", "InSPO"; "mixed", "BC"; "mixed", "OMAR (a, b) (k=1)"; "mixed", "CFCQL" ]
                "columns in A's order, tiers matched by name, quoted fields whole"
            let inspo, bc, omar, cfcql = rows.[0], rows.[1], rows.[2], rows.[3]
            Expect.isTrue inspo.Testable "three seeds a side"
            Expect.isFalse (inspo.Apart 0.05) "equal means are not apart"
            Expect.floatClose Accuracy.high inspo.Test.P 1.0 "identical means: p = 1"
            Expect.floatClose Accuracy.high (Option.get inspo.LargestSeedDifference) 0.01 "seeds 0 and 2 differ by 0.01"
            Expect.isTrue (bc.Apart 0.05) "0.11 against 0.51 with spread 0.01"
            Expect.isLessThan bc.Test.P 1e-4 "far apart"
            Expect.equal omar.A [ 1, 0.5 ] "the failed seed has no value"
            Expect.isEmpty omar.B "absent from B"
            Expect.isFalse omar.Testable "one seed a side: no test"
            Expect.isTrue cfcql.NonFinite "a NaN metric (a diverged run) is read, not dropped"
            Expect.isFalse (cfcql.Apart 0.05) "and makes the column untestable"
            let md = RunComparison.toMarkdown 0.05 "groups" "seed by seed" rows
            Expect.stringContains md "0.920 ± 0.020 (n 3)" "A's mean ± std with n"
            let line (column: string) = md.Split('\n') |> Array.find (fun l -> l.Contains column)
            Expect.stringContains (line " BC |") "apart" "the BC row is marked"
            Expect.stringContains (line "OMAR") "untested" "one seed a side"
            Expect.stringContains (line "CFCQL") "non-finite" "a NaN"
        }

        test "a runs CSV reads back as runsCsv wrote it (a failure's message with commas and line breaks); bad files are refused by name" {
            let dir = TestPaths.scratchDir "compare-runs-io"
            let e = { experiment "t1" "xor" [ "a" ] [ algo "inspo" [] ] with Seeds = [ 0; 1 ]; ReportsRoot = dir }
            let results = runWith quiet (fun s -> if s.Seed = 1 then failwith "NaN loss at step 3,\nmember 1" else result s 0.5 "") e
            let back = RunComparison.readRunsCsv (saveRuns results)
            Expect.equal (back |> List.map (fun l -> l.Seed, l.Metric)) [ 0, Some 0.5; 1, None ] "one line per run: the value, and none for the failure"
            Expect.equal (back |> List.map (fun l -> l.Column)) [ "InSPO"; "InSPO" ] "the column"
            let missing = Path.Combine(dir, "none.runs.csv")
            let e = TestPaths.catchException<FileNotFoundException> (fun () -> RunComparison.readRunsCsv missing |> ignore)
            Expect.stringContains e.Message missing "names the missing file"
            let headerOnly = Path.Combine(dir, "header-only.csv")
            File.WriteAllLines(headerOnly, [ "dataset,column,hyperparameters,seed" ])
            let e = TestPaths.catchException<InvalidDataException> (fun () -> RunComparison.readRunsCsv headerOnly |> ignore)
            Expect.stringContains e.Message "no 'metric' column" "a header without the metric is refused, rows or not"
            Expect.stringContains e.Message headerOnly "naming the file"
            let badSeed = write dir "bad-seed.runs.csv" [ "mixed,BC,,one,ran,0.5,10,1.0,10.0,cpu" ]
            let e = TestPaths.catchException<InvalidDataException> (fun () -> RunComparison.readRunsCsv badSeed |> ignore)
            Expect.stringContains e.Message "line 2: seed 'one' is not a whole number" "the line and the field"
            let ragged = write dir "ragged.runs.csv" [ "mixed,BC,,0,ran,0.5" ]
            let e = TestPaths.catchException<InvalidDataException> (fun () -> RunComparison.readRunsCsv ragged |> ignore)
            Expect.stringContains e.Message "line 2: 6 fields, the header has 10" "a short line"
        }
    ]

[<Tests>]
let tests = testSequenced (testList "scripting" [ statsTests; tableTests; dslTests; sweepTests; plotTests; recordTests; comparisonTests ])
