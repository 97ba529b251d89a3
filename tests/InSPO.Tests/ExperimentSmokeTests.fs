/// Each experiment script runs under `dotnet fsi` against the Release build (CI's smoke runs).
module InSPO.Tests.ExperimentSmokeTests

open System
open System.IO
open Expecto
open InSPO.Scripting

let private scriptingDll =
    Path.Combine(TestPaths.repoRoot, "scripts", "InSPO.Scripting", "bin", "Release", "net10.0", "InSPO.Scripting.dll")

/// Runs `dotnet fsi <script>` from a directory outside the repository (the prelude must not depend on it).
let runScript (relativePath: string) =
    if not (File.Exists scriptingDll) then
        failwithf "scripts need the Release build (%s missing): run `dotnet fsi build.fsx -t Build`" scriptingDll
    TestPaths.runDotnet (Path.GetTempPath()) [ "fsi"; Path.Combine(TestPaths.repoRoot, relativePath) ]

/// The engine's runner as the experiment scripts call it.
let private runnerCall = "InSPO.Training.Runner.Run(spec, true, null)"

/// A fake runner (fsi source): "return" = 1 for InSPO, 0.2 for BC, plus 0.01 × seed; the last action
/// of agent 1 and the first of agent 2 at 0.75 (exact in binary); record files under the spec's OutputRoot.
let private fakeRunner = """
module FakeRunner =
    let run (spec: InSPO.Training.RunSpec) =
        let dir = match spec.OutputRoot with null -> "runs" | d -> d
        System.IO.Directory.CreateDirectory dir |> ignore
        let hs = match spec.Hyperparameters with null -> "" | h -> h |> Seq.map (fun kv -> sprintf "%s=%g" kv.Key kv.Value) |> String.concat ","
        let path = System.IO.Path.Combine(dir, sprintf "%s-%s-%s-%s-%d.json" spec.Env spec.Dataset spec.Algorithm hs spec.Seed)
        System.IO.File.WriteAllText(path, "{}")
        let m = System.Collections.Generic.Dictionary<string, float>()
        m.["return"] <- (if spec.Algorithm = "inspo" then 1.0 else 0.2) + 0.01 * float spec.Seed
        let n = if spec.Env = "mne" then 3 else 2
        let p = Array.init n (fun i -> if i = n - 1 then 0.75 else 0.25 / float (n - 1))
        InSPO.Training.RunResult(spec, m, [| p; Array.rev p |], 1.0, 100L, "cpu", null, path)
"""

/// Runs an experiment script with its runner replaced by the fake (the engine's runner lives in another
/// branch until merged): the declaration, the run loop, tables and figures under dotnet fsi.
/// Returns the exit code, stdout, stderr and the reports folder.
let runWithFakeRunnerAnd (extraEnvironment: (string * string) list) (name: string) =
    let source = File.ReadAllText(Path.Combine(TestPaths.repoRoot, "experiments", name + ".fsx"))
    if not (source.Contains runnerCall) then failwithf "%s no longer calls %s" name runnerCall
    let dir = TestPaths.scratchDir name
    let prelude = Path.Combine(TestPaths.repoRoot, "scripts", "InSPO.fsx")
    let text =
        source
            .Replace("#load \"../scripts/InSPO.fsx\"", sprintf "#load @\"%s\"\n%s" prelude fakeRunner)
            .Replace(runnerCall, "FakeRunner.run spec")
    let script = Path.Combine(dir, name + ".fsx")
    File.WriteAllText(script, text)
    let plotly = Path.Combine(dir, "plotly.min.js")
    File.WriteAllText(plotly, "/*FAKE-PLOTLY*/")
    let environment =
        [ "INSPO_PROFILE", "smoke"; "INSPO_RUNS", Path.Combine(dir, "runs"); "INSPO_REPORTS", Path.Combine(dir, "reports")
          "INSPO_PLOTLY_JS", plotly; "INSPO_CHROMIUM", Path.Combine(dir, "no-chromium")
          "INSPO_JOBS", "1" ] @ extraEnvironment   // the fake runs in the script's process
    let code, out, err = TestPaths.runDotnetWith environment dir [ "fsi"; script ]
    code, out, err, Path.Combine(dir, "reports")

let runWithFakeRunner name = runWithFakeRunnerAnd [] name

/// Runs an experiment script as it is, with the engine's real runner, at the smoke profile, into a scratch
/// runs/ and reports/ folder (CI's smoke run of each experiment). Returns exit code, stdout, stderr, folder.
let runSmoke (name: string) (dir: string) =
    let plotly = Path.Combine(dir, "plotly.min.js")
    if not (File.Exists plotly) then File.WriteAllText(plotly, "/*FAKE-PLOTLY*/")
    let environment =
        [ "INSPO_PROFILE", "smoke"; "INSPO_RUNS", Path.Combine(dir, "runs"); "INSPO_REPORTS", Path.Combine(dir, "reports")
          "INSPO_PLOTLY_JS", plotly; "INSPO_CHROMIUM", Path.Combine(dir, "no-chromium") ]
    TestPaths.runDotnetWith environment dir [ "fsi"; Path.Combine(TestPaths.repoRoot, "experiments", name + ".fsx") ]

let private reportLines (reports: string) name = File.ReadAllLines(Path.Combine(reports, name + ".md"))

/// Columns of Tables 1–3 that run: the paper's algorithms that are registered (the rest show empty).
let private paperColumns = InSPO.Scripting.Experiment.paperAlgorithms |> List.filter (fun a -> a.Runs) |> List.length

/// Figure 3's running panels: BC, OMIGA, OMIGA (relaxed), InSPO, and OMAR once it is registered.
let private fig3Panels = 4 + (if Seq.contains "omar" InSPO.Algorithms.Learners.Known then 1 else 0)

[<Tests>]
let tests =
    Sequencing.childProcessesOnly <| testList "experiments" [
        test "table1_xor.fsx: 15 cells per registered column, paper values beside, smoke profile in the caption" {
            let code, out, err, reports = runWithFakeRunner "table1_xor"
            Expect.equal code 0 (sprintf "exit code; stdout: %s stderr: %s" out err)
            Expect.stringContains out (sprintf "table1_xor: %d ran, 0 reused, 0 failed" (15 * paperColumns)) "cells"
            let lines = reportLines reports "table1_xor"
            Expect.stringContains lines.[0] "profile smoke" "profile"
            let rowB = Text.RegularExpressions.Regex.Replace(lines |> Array.find (fun l -> l.StartsWith "| b"), " +", " ")
            Expect.stringContains rowB "| 0.22±0.02 | 0.23±0.01 | 0.22±0.02 | -2.00±0.00 |" "BC ours, BC paper, OMAR ours, OMAR paper"
            Expect.isTrue (File.Exists(Path.Combine(reports, "table1_xor.tex"))) "LaTeX written"
        }
        test "table2_mne.fsx with INSPO_SWEEP=1: every grid point runs, the tuned table and the choices are written" {
            let code, out, err, reports = runWithFakeRunnerAnd [ "INSPO_SWEEP", "1" ] "table2_mne"
            Expect.equal code 0 (sprintf "exit code; stdout: %s stderr: %s" out err)
            let candidates (a: Experiment.Algorithm) =
                match SearchGrids.all |> List.tryFind (fun g -> g.Algorithm = a.Name) with
                | Some g when a.Runs -> g.Grid |> List.map (snd >> List.length) |> List.reduce (*)
                | _ -> if a.Runs then 1 else 0
            let cells = 2 * 5 * (Experiment.paperAlgorithms |> List.sumBy candidates)
            Expect.stringContains out (sprintf "table2_mne_tuned: %d ran, 0 reused, 0 failed" cells) "every candidate of every swept column ran"
            Expect.stringContains (reportLines reports "table2_mne_tuned").[0] "table2_mne_tuned.sweep.md" "the caption names the choices"
            let sweep = File.ReadAllText(Path.Combine(reports, "table2_mne_tuned.sweep.md"))
            Expect.stringContains sweep "chosen" "choices recorded"
            Expect.isTrue (File.Exists(Path.Combine(reports, "table2_mne_tuned.runs.csv"))) "every candidate's runs"
        }
        test "table2_mne.fsx: the paper's claims beside" {
            let code, out, err, reports = runWithFakeRunner "table2_mne"
            Expect.equal code 0 (sprintf "exit code; stdout: %s stderr: %s" out err)
            Expect.stringContains (reportLines reports "table2_mne" |> Array.find (fun l -> l.StartsWith "| imbalanced")) "only InSPO finds (C,C) = 20" "claim"
        }
        test "table3_bridge.fsx: normalised and raw tables, the paper's claim beside" {
            let code, out, err, reports = runWithFakeRunner "table3_bridge"
            Expect.equal code 0 (sprintf "exit code; stdout: %s stderr: %s" out err)
            // The copy runs from a scratch folder, where shared/data is not found by walking up: then the script
            // leaves the reference datasets out and says so.
            let cells = (if out.Contains "reference datasets left out" then 10 else 20) * paperColumns
            Expect.stringContains out (sprintf "table3_bridge: %d ran, 0 reused, 0 failed" cells) "cells"
            Expect.stringContains (reportLines reports "table3_bridge").[0] "return_normalised" "normalised table"
            let raw = reportLines reports "table3_bridge_raw"
            Expect.stringContains raw.[0] "bridge): return," "raw table"
            Expect.stringContains (raw |> Array.find (fun l -> l.StartsWith "| mixed ")) "only InSPO and AlberDICE near-optimal" "claim"
        }
        test "fig3_xor_policies.fsx: HTML with 5 panels, unregistered baselines empty" {
            let code, out, err, reports = runWithFakeRunner "fig3_xor_policies"
            Expect.equal code 0 (sprintf "exit code; stdout: %s stderr: %s" out err)
            let html = File.ReadAllText(Path.Combine(reports, "fig3_xor_policies.html"))
            Expect.stringContains html "<script>/*FAKE-PLOTLY*/</script>" "plotly.js inlined"
            Expect.stringContains html "Plotly.newPlot('panel4'" "5 panels"
            Expect.isFalse (html.Contains "\"title\":\"OMIGA (relaxed) (no result)\"") "OMIGA (relaxed) runs"
            if fig3Panels = 4 then Expect.stringContains html "\"title\":\"OMAR (no result)\"" "empty baseline panel"
            Expect.stringContains html "\"z\":[[0.1875,0.0625],[0.5625,0.1875]]" "InSPO joint policy π¹(a)·π²(b)"
            if not (File.Exists "/usr/bin/chromium" || File.Exists "/usr/bin/chromium-browser") then
                Expect.stringContains out "no PNG for fig3_xor_policies: headless Chromium is not installed" "PNG skipped in one line"
        }
        test "fig5_ablations.fsx: both ablations, their tables and figures" {
            let code, out, err, reports = runWithFakeRunner "fig5_ablations"
            Expect.equal code 0 (sprintf "exit code; stdout: %s stderr: %s" out err)
            for name in [ "fig5a_mne_entropy"; "fig5b_xor_sequential" ] do
                Expect.isTrue (File.Exists(Path.Combine(reports, name + ".html"))) (name + ".html")
                Expect.isTrue (File.Exists(Path.Combine(reports, name + ".md"))) (name + ".md")
            Expect.stringContains out "[10/10] mne/imbalanced inspo entropy=0 seed 4" "entropy off"
            Expect.stringContains out "[10/10] xor/b inspo sequential=0 seed 4" "sequential off"
        }
        testList "smoke profile, real runner" [
            for name, cells in [ "table1_xor", 15 * paperColumns; "table2_mne", 10 * paperColumns; "fig3_xor_policies", 5 * fig3Panels; "fig5_ablations", 20 ] do
                test (sprintf "%s.fsx trains its %d cells at the smoke profile and reuses them on a rerun" name cells) {
                    let dir = TestPaths.scratchDir name
                    let code, out, err = runSmoke name dir
                    Expect.equal code 0 (sprintf "exit code; stdout: %s stderr: %s" out err)
                    Expect.isTrue (out.Contains(sprintf "%d ran, 0 reused, 0 failed" cells) || name = "fig5_ablations")
                        (sprintf "every cell ran: %s" out)
                    Expect.isTrue (Directory.GetFiles(Path.Combine(dir, "runs"), "record.json", SearchOption.AllDirectories).Length = cells)
                        "one record per cell"
                    if name = "table1_xor" then
                        let code2, out2, _ = runSmoke name dir
                        Expect.equal code2 0 "rerun exit code"
                        Expect.stringContains out2 (sprintf "0 ran, %d reused, 0 failed" cells) "rerun reuses every cell"
                }
        ]
        test "smac_bc.fsx: recurrent and memoryless BC on scripted SMAC-lite episodes, smoke profile, real runner" {
            let dir = TestPaths.scratchDir "smac_bc"
            let code, out, err = runSmoke "smac_bc" dir
            Expect.equal code 0 (sprintf "exit code; stdout: %s stderr: %s" out err)
            Expect.stringContains out "| BC, shared GRU agent (CFCQL's) |" "recurrent row"
            Expect.stringContains out "| BC, shared MLP (no memory) |" "memoryless row"
            Expect.equal (Directory.GetFiles(Path.Combine(dir, "runs"), "record.json", SearchOption.AllDirectories).Length) 2 "two records"
        }
        test "smac_tiers.fsx collects the four tiers from the committed QMIX models and prints their cards (smoke)" {
            let dir = TestPaths.scratchDir "smac_tiers"
            let code, out, err = runSmoke "smac_tiers" dir
            Expect.equal code 0 (sprintf "exit code; stdout: %s stderr: %s" out err)
            for tier in [ "medium"; "expert"; "medium-replay"; "mixed" ] do
                Expect.stringContains out (sprintf "| 5m_vs_6m | %s |" tier) (tier + " card")
                Expect.isTrue (File.Exists(Path.Combine(dir, "runs", "smac_datasets", "5m_vs_6m", tier, "manifest.json"))) (tier + " dataset")
            Expect.stringContains out "12.05 ± 4.36" "the real file's statistics beside"
        }
        test "SMAC-lite Tables 4–7, bench_smac.fsx and smac_action_profile.fsx (5m_vs_6m, expert tier, smoke): tiers collected on demand, every column, 5 seeds, Table 4's cells reused" {
            let dir = TestPaths.scratchDir "smac_tables"
            let run name =
                let plotly = Path.Combine(dir, "plotly.min.js")
                if not (File.Exists plotly) then File.WriteAllText(plotly, "/*FAKE-PLOTLY*/")
                let environment =
                    [ "INSPO_PROFILE", "smoke"; "INSPO_RUNS", Path.Combine(dir, "runs"); "INSPO_REPORTS", Path.Combine(dir, "reports")
                      "INSPO_SMAC_MAPS", "5m_vs_6m"; "INSPO_SMAC_TIERS", "expert" ]
                let code, out, err = TestPaths.runDotnetWith environment dir [ "fsi"; Path.Combine(TestPaths.repoRoot, "experiments", name + ".fsx") ]
                Expect.equal code 0 (sprintf "%s exit code; stdout: %s stderr: %s" name out err)
                out
            // the offline runs' records (the QMIX run that made medium-replay keeps its own under runs/qmix-replay)
            let records () = Directory.GetFiles(Path.Combine(dir, "runs", "smac-5m_vs_6m"), "record.json", SearchOption.AllDirectories).Length
            let out4 = run "table4_smac"
            Expect.isTrue (File.Exists(Path.Combine(dir, "runs", "smac_datasets", "5m_vs_6m", "mixed", "manifest.json"))) "the map's tiers were collected first"
            let row = out4.Split('\n') |> Array.find (fun l -> l.StartsWith "| expert")
            for paper in [ ".82"; ".33"; ".84"; ".74"; ".79" ] do Expect.stringContains row paper "the paper's StarCraft II value beside ours"
            Expect.stringContains out4 "averaged over the rows" "the per-method average"
            Expect.equal (records ()) 25 "5 algorithms × 5 seeds"
            let out5 = run "table5_alpha"
            Expect.stringContains out5 "InSPO (α auto)" "the auto-tuned column"
            Expect.stringContains out5 "alpha=0.1" "a fixed-α column"
            Expect.equal (records ()) 50 "5 fixed α × 5 seeds more; the auto column is Table 4's InSPO"
            let out6 = run "table6_order"
            Expect.stringContains out6 "semi-greedy" "the semi-greedy column"
            Expect.equal (records ()) 60 "fixed and semi-greedy × 5 seeds more"
            let out7 = run "table7_time"
            Expect.stringContains out7 "InSPO / CFCQL" "the time ratio"
            Expect.stringContains out7 " 5 / 5 |" "every seed's times count (records of this build name their resume step)"
            Expect.stringContains out7 "Left out: 0 older records" "none left out"
            Expect.stringContains out7 ("the runs on " + InSPO.Runtime.MachineIdentity.Current) "the table names the machine its times were taken on"
            Expect.equal (records ()) 60 "Table 7 reuses Table 4's cells"
            // what Table 4's InSPO group does, against its data (the group checkpoint of `inspo train --seeds 0-4`)
            let profileOut =
                let environment =
                    [ "INSPO_PROFILE", "smoke"; "INSPO_RUNS", Path.Combine(dir, "runs") ]
                let code, out, err =
                    TestPaths.runDotnetWith environment dir [ "fsi"; Path.Combine(TestPaths.repoRoot, "experiments", "smac_action_profile.fsx"); "5m_vs_6m"; "expert"; "inspo"; "0-4" ]
                Expect.equal code 0 (sprintf "smac_action_profile exit code; stdout: %s stderr: %s" out err)
                out
            for seed in 0 .. 4 do Expect.stringContains profileOut (sprintf "| seed %d (win rate " seed) "a row per member"
            Expect.stringContains profileOut "| data, second half |" "the data's halves"
            for seed in 0 .. 4 do
                Expect.stringContains profileOut (sprintf "| seed %d, data first half | " seed) "the teacher-forced table"
                Expect.stringContains profileOut (sprintf "| seed %d on it | " seed) "the openings' table"
            let bench = run "bench_smac"
            for algo in [ "bc"; "omar"; "cfcql"; "omiga"; "inspo" ] do Expect.stringContains bench (sprintf " %s |" algo) (algo + " timed")
            Expect.stringContains bench "Table 4 at the quick profile" "the projection"
        }
        test "a SMAC-lite table script refuses an unknown map or tier with one line and exit 2, before any run" {
            for variable, value, fragment in [ "INSPO_SMAC_MAPS", "5m_vs_7m", "unknown map 5m_vs_7m"; "INSPO_SMAC_TIERS", "hard", "unknown tier hard" ] do
                let dir = TestPaths.scratchDir "smac_bad_input"
                let environment = [ "INSPO_PROFILE", "smoke"; "INSPO_RUNS", Path.Combine(dir, "runs"); variable, value ]
                let code, out, err = TestPaths.runDotnetWith environment dir [ "fsi"; Path.Combine(TestPaths.repoRoot, "experiments", "table4_smac.fsx") ]
                Expect.equal code 2 (sprintf "exit code; stdout: %s stderr: %s" out err)
                Expect.stringContains err fragment "the line names the problem"
                Expect.equal (err.Trim().Split('\n').Length) 1 "one line"
                Expect.isFalse (Directory.Exists(Path.Combine(dir, "runs"))) "nothing run or collected"
        }
        test "compare_runs.fsx and bench_runs.fsx read a table's runs CSV back; a missing one is named" {
            let code, out, err, reports = runWithFakeRunner "table1_xor"
            Expect.equal code 0 (sprintf "table1_xor: stdout: %s stderr: %s" out err)
            let csv = Path.Combine(reports, "table1_xor.runs.csv")
            let script name args = TestPaths.runDotnetWith [] reports ([ "fsi"; Path.Combine(TestPaths.repoRoot, "experiments", name + ".fsx") ] @ args)
            let code, out, err = script "compare_runs" [ csv; csv ]
            Expect.equal code 0 (sprintf "a table against itself; stdout: %s stderr: %s" out err)
            Expect.stringContains out (sprintf "0 of %d columns apart at 5 %%" (3 * paperColumns)) "three datasets × every column, none apart"
            // B: the same runs with InSPO's values 0.5 lower and a little spread: that column, and only it, is apart
            let shifted = Path.Combine(reports, "shifted.runs.csv")
            File.WriteAllLines(shifted, File.ReadAllLines csv |> Array.mapi (fun i line ->
                let f = line.Split ','
                if i > 0 && f.[1] = "InSPO" then
                    f.[5] <- sprintf "%g" (float f.[5] - 0.5 + 0.001 * float f.[3])
                    String.Join(",", f)
                else line))
            let code, out, err = script "compare_runs" [ csv; shifted ]
            Expect.equal code 1 (sprintf "a column apart: exit 1; stdout: %s stderr: %s" out err)
            Expect.stringContains out (sprintf "3 of %d columns apart at 5 %%" (3 * paperColumns)) "InSPO on each of the three datasets"
            let missing = Path.Combine(reports, "none.runs.csv")
            let code, _, err = script "compare_runs" [ csv; missing ]
            Expect.equal code 2 "bad input"
            Expect.stringContains err missing "names the missing file"
            let code, out, err = script "bench_runs" [ reports; "table1_xor" ]
            Expect.equal code 0 (sprintf "bench_runs; stdout: %s stderr: %s" out err)
            Expect.equal (out.Split('\n') |> Array.filter (fun l -> l.StartsWith "| table1_xor ")).Length (15 * paperColumns) "one line per run"
        }
        test "bench_ensembles.fsx runs (smoke: a few steps per algorithm)" {
            let dir = TestPaths.scratchDir "bench_ensembles"
            let code, out, err = runSmoke "bench_ensembles" dir
            Expect.equal code 0 (sprintf "exit code; stdout: %s stderr: %s" out err)
            Expect.stringContains out "| cfcql |" "CFCQL, an ensemble"
            Expect.stringContains out "| inspo" "every algorithm listed"
        }
        test "bench_recurrent_update.fsx runs (smoke: two updates each)" {
            let dir = TestPaths.scratchDir "bench_recurrent_update"
            let code, out, err = runSmoke "bench_recurrent_update" dir
            Expect.equal code 0 (sprintf "exit code; stdout: %s stderr: %s" out err)
            Expect.stringContains out "| 128 |" "both batch sizes"
        }
        test "exact_games.fsx runs in dotnet fsi (engine and libtorch loaded) and prints both tables" {
            let code, out, err = runScript "experiments/exact_games.fsx"
            Expect.equal code 0 (sprintf "exit code; stderr: %s" err)
            let row (prefix: string) = out.Split('\n') |> Array.find (fun l -> l.StartsWith prefix)
            Expect.stringContains (row "| (b)") "1.000" "XOR (b): InSPO reaches 1"
            Expect.stringContains (row "| (a)") "-2.000 (B,B)" "XOR (a): simultaneous picks (B,B)"
            Expect.stringContains (row "| imbalanced") "4.983 (A,A)" "M-NE imbalanced without entropy ends at (A,A)"
        }
    ]
