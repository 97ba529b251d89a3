/// End-to-end checks of the `inspo` command: the acceptance criteria of `inspo solve` and its errors.
module InSPO.Tests.CliTests

open System
open System.IO
open System.Text.Json
open Expecto

/// The CLI built beside the tests (same configuration; the project reference builds it first).
let cliDll =
    let config = (AppContext.BaseDirectory.TrimEnd('/').Split('/') |> Array.rev).[1]   // bin/<Configuration>/net10.0
    Path.Combine(TestPaths.repoRoot, "core", "InSPO.Cli", "bin", config, "net10.0", "inspo.dll")

/// Runs `inspo args…` and returns (exit code, stdout, stderr).
let inspo (args: string list) =
    if not (File.Exists cliDll) then failwithf "CLI not built: %s" cliDll
    TestPaths.runDotnet TestPaths.repoRoot (cliDll :: args)

let solveJson args =
    let code, out, err = inspo ([ "solve" ] @ args @ [ "--json" ])
    Expect.equal code 0 (sprintf "exit code (stderr: %s)" err)
    JsonDocument.Parse(out).RootElement

let private expectBadInput (args: string list) (fragment: string) =
    let code, out, err = inspo args
    Expect.equal code 2 "exit code 2 on bad input"
    let lines = err.Trim().Split('\n')
    Expect.equal lines.Length 1 (sprintf "one line on stderr, got: %s" err)
    Expect.stringContains lines.[0] fragment "the line names the problem"
    Expect.equal out "" "nothing on stdout"

[<Tests>]
let tests =
    Sequencing.childProcessesOnly <| testList "cli" [
        test "solve xor b --json: one object with policies, expected_return ≥ 0.99 and qre_gap" {
            let r = solveJson [ "--game"; "xor"; "--dataset"; "b" ]
            for key in [ "policies"; "expected_return"; "qre_gap" ] do
                Expect.isTrue (fst (r.TryGetProperty key)) (sprintf "key %s" key)
            Expect.isGreaterThanOrEqual (r.GetProperty("expected_return").GetDouble()) 0.99 "return"
            let p0 = r.GetProperty("policies").GetProperty("agent0")
            Expect.floatClose Accuracy.medium (p0.GetProperty("A").GetDouble() + p0.GetProperty("B").GetDouble()) 1.0 "a distribution"
        }

        test "solve xor b --simultaneous stays below 0.9" {
            let r = solveJson [ "--game"; "xor"; "--dataset"; "b"; "--simultaneous" ]
            Expect.isLessThan (r.GetProperty("expected_return").GetDouble()) 0.9 "return"
        }

        test "solve mne imbalanced: β = 0 ends at (A,A), decaying β > 0 at (C,C) with return ≥ 19.5" {
            let noEntropy = solveJson [ "--game"; "mne"; "--dataset"; "imbalanced"; "--beta"; "0" ]
            Expect.equal (noEntropy.GetProperty("joint_action").GetString()) "(A,A)" "β = 0"
            let entropy = solveJson [ "--game"; "mne"; "--dataset"; "imbalanced"; "--beta"; "5" ]
            Expect.equal (entropy.GetProperty("joint_action").GetString()) "(C,C)" "β₀ = 5"
            Expect.isGreaterThanOrEqual (entropy.GetProperty("expected_return").GetDouble()) 19.5 "return"
        }

        test "solve prints the policy table and the summary line" {
            let code, out, _ = inspo [ "solve"; "--game"; "mne"; "--dataset"; "balanced" ]
            Expect.equal code 0 "exit code"
            Expect.stringContains out "expected return 20.0000" "summary"
            Expect.stringContains out "agent1" "table"
        }

        test "dataset generate writes a folder that solve and dataset info read" {
            let folder = Path.Combine(TestPaths.scratchDir "cli", "xor-b")
            let code, out, err = inspo [ "dataset"; "generate"; "--game"; "xor"; "--dataset"; "b"; "--out"; folder; "--seed"; "3" ]
            Expect.equal code 0 err
            Expect.stringContains out "100 episodes × 50 steps" "summary"
            let r = solveJson [ "--game"; "xor"; "--dataset"; folder ]
            Expect.equal (r.GetProperty("behaviour_source").GetString()) folder "μ counted from the folder"
            Expect.isGreaterThanOrEqual (r.GetProperty("expected_return").GetDouble()) 0.99 "return"
            let code2, info, _ = inspo [ "dataset"; "info"; folder ]
            Expect.equal code2 0 "info exit code"
            Expect.stringContains info "episodes 100 (100 distinct), transitions 5000, mean length 50.00" "info"
        }

        test "import pymarl reads AlberDICE's Bridge buffer; dataset info reports the reference statistics" {
            let buffer = System.IO.Path.Combine(TestPaths.sharedData, "bridge", "optimal")
            if not (Directory.Exists buffer) then skiptestf "reference data %s is absent" buffer
            let out = Path.Combine(TestPaths.scratchDir "cli", "bridge-optimal")
            let code, text, err = inspo [ "import"; "pymarl"; buffer; "--out"; out ]
            Expect.equal code 0 err
            Expect.stringContains text "500 episodes of bridge (limit 50)" "summary"
            let _, info, _ = inspo [ "dataset"; "info"; out ]
            Expect.stringContains info "transitions 4000, mean length 8.00, return -1.2620 ± 0.0227 (min -1.2904, max -1.2355)" "statistics"
            Expect.stringContains info "episodes 500 (" "episodes"
            Expect.stringContains info "time limits: terminated" "PyMARL data store time-outs as terminated"
            expectBadInput [ "import"; "pymarl"; "/nonexistent/buffer"; "--out"; out ] "/nonexistent/buffer: folder does not exist"
        }

        test "dataset generate writes Bridge's optimal and mixed datasets" {
            let out = Path.Combine(TestPaths.scratchDir "cli", "bridge-mixed")
            let code, text, err = inspo [ "dataset"; "generate"; "--game"; "bridge"; "--dataset"; "mixed"; "--out"; out ]
            Expect.equal code 0 err
            Expect.stringContains text "1000 episodes of bridge dataset 'mixed'" "summary"
            expectBadInput [ "dataset"; "generate"; "--game"; "bridge"; "--dataset"; "best"; "--out"; out ] "unknown Bridge dataset 'best'"
        }

        test "a bad game file gives one line naming the problem and exit 2" {
            let path = Path.Combine(TestPaths.scratchDir "cli", "bad.json")
            File.WriteAllText(path, """{ "agents": ["x","y"], "actions": ["a","b"], "rewards": [[1,2],[3]] }""")
            expectBadInput [ "solve"; "--game"; path; "--dataset"; "d" ] "rewards[1]: has 1 entries, expected 2"
            expectBadInput [ "solve"; "--game"; "/nonexistent/g.json"; "--dataset"; "d" ] "no such file"
            expectBadInput [ "solve"; "--game"; "chess"; "--dataset"; "a" ] "unknown game 'chess'"
        }

        test "a game file key of the wrong JSON type gives one line naming the key and exit 2" {
            let path = Path.Combine(TestPaths.scratchDir "cli", "name.json")
            File.WriteAllText(path, """{ "name": 5, "agents": ["x","y"], "actions": ["a","b"], "rewards": [[1,2],[3,4]] }""")
            expectBadInput [ "solve"; "--game"; path; "--dataset"; "d" ] "'name': expected a string, found 5"
            expectBadInput [ "train"; "--env"; path; "--dataset"; "d"; "--out"; TestPaths.scratchDir "cli-name" ] "'name': expected a string, found 5"
            File.WriteAllText(path, """{ "name": { "en": "g" }, "agents": ["x","y"], "actions": ["a","b"], "rewards": [[1,2],[3,4]] }""")
            expectBadInput [ "solve"; "--game"; path; "--dataset"; "d" ] "'name': expected a string, found an object"
        }

        test "train refuses a dataset folder of another environment: one line naming both, exit 2" {
            let dir = TestPaths.scratchDir "cli-env"
            let xor = Path.Combine(dir, "xor-c")
            InSPO.Data.MatrixGameDatasets.Generate(InSPO.Envs.MatrixGames.Xor, "c", 5, 50, 0, xor) |> ignore
            let mne = Path.Combine(dir, "mne-balanced")
            InSPO.Data.MatrixGameDatasets.Generate(InSPO.Envs.MatrixGames.Mne, "balanced", 5, 50, 0, mne) |> ignore
            let train env folder = [ "train"; "--env"; env; "--dataset"; folder; "--algo"; "bc"; "--profile"; "smoke"; "--out"; Path.Combine(dir, "runs") ]
            expectBadInput (train "bridge" xor) "environment 'xor' (2 agents, 2 actions, observation 4, state 4), not the run's environment 'bridge' (2 agents, 5 actions, observation 8, state 8)"
            expectBadInput (train "xor" mne) "environment 'mne' (2 agents, 3 actions, observation 4, state 4), not the run's environment 'xor' (2 agents, 2 actions, observation 4, state 4)"
            Expect.isFalse (Directory.Exists(Path.Combine(dir, "runs", "bridge"))) "no run folder"
        }

        test "a run started outside the checkout records the commit of the code that ran it" {
            // The queue scripts and Slurm jobs start `inspo` from other folders: the record must name the engine's commit,
            // not the working directory's (here: no git repository at all).
            let dir = TestPaths.scratchDir "cli-commit"
            let code, _, err = TestPaths.runDotnet dir [ cliDll; "train"; "--env"; "xor"; "--dataset"; "a"; "--algo"; "bc"; "--profile"; "smoke"; "--seeds"; "0"; "--out"; Path.Combine(dir, "runs") ]
            Expect.equal code 0 (sprintf "trained (stderr: %s)" err)
            let _, head, _ =
                let psi = Diagnostics.ProcessStartInfo("git", $"-C \"{TestPaths.repoRoot}\" rev-parse HEAD", RedirectStandardOutput = true, UseShellExecute = false)
                use p = match Diagnostics.Process.Start psi with null -> failwith "no git" | p -> p
                let out = p.StandardOutput.ReadToEnd()
                p.WaitForExit(); p.ExitCode, out.Trim(), ""
            let record = Directory.GetFiles(Path.Combine(dir, "runs"), "record.json", SearchOption.AllDirectories) |> Array.exactlyOne
            let commit = JsonDocument.Parse(File.ReadAllText record).RootElement.GetProperty("commit")
            Expect.equal commit.ValueKind JsonValueKind.String (sprintf "a commit is recorded (%s)" record)
            Expect.stringStarts (commit.GetString()) head "this checkout's HEAD (with +dirty when its files changed)"
        }

        test "a run started in a deleted folder says so in one line instead of libtorch's fatal error" {
            // A queue script whose build folder was swapped away starts its next run from a deleted working directory;
            // libtorch's MKL then ends the process with "Cannot load …libtorch_cpu.so" and nothing else.
            let dir = TestPaths.scratchDir "cli-gone"
            let gone = Path.Combine(dir, "gone")
            Directory.CreateDirectory gone |> ignore
            let psi = Diagnostics.ProcessStartInfo("bash", RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
            for a in [ "-c"; "cd \"$1\" && rmdir \"$1\" && shift && exec dotnet \"$@\""; "bash"; gone; cliDll; "train"; "--env"; "xor"; "--dataset"; "a"
                       "--algo"; "bc"; "--profile"; "smoke"; "--seeds"; "0"; "--out"; Path.Combine(dir, "runs") ] do psi.ArgumentList.Add a
            use p = match Diagnostics.Process.Start psi with null -> failwith "no bash" | p -> p
            let out = p.StandardOutput.ReadToEndAsync()
            let err = p.StandardError.ReadToEnd()
            p.WaitForExit()
            Expect.notEqual p.ExitCode 0 "the run fails"
            Expect.stringContains err "the working directory" (sprintf "names the cause (stderr: %s; stdout: %s)" err out.Result)
            Expect.stringContains err "no longer exists" "and what is wrong with it"
            Expect.isFalse (err.Contains "oneMKL FATAL") "before libtorch's own error"
        }

        test "solve says when the policy is a QRE other than the optimum and names the optimal joint action (climbing game)" {
            let path = Path.Combine(TestPaths.scratchDir "cli", "climbing.json")
            File.WriteAllText(path, """{ "name": "climbing", "agents": ["row","column"], "actions": ["a","b","c"],
                "rewards": [[11,-30,0],[-30,7,6],[0,0,5]],
                "datasets": { "uniform": { "behaviour": [[0.3333333333,0.3333333333,0.3333333334],[0.3333333333,0.3333333333,0.3333333334]] } } }""")
            let r = solveJson [ "--game"; path; "--dataset"; "uniform" ]
            Expect.isLessThan (r.GetProperty("expected_return").GetDouble()) 10.0 "the default run ends below the optimum"
            Expect.isFalse (r.GetProperty("reaches_optimum").GetBoolean()) "reaches_optimum"
            Expect.equal [ for x in r.GetProperty("optimal_joint_actions").EnumerateArray() -> x.GetString() ] [ "(a,a)" ] "optimal_joint_actions"
            let code, out, _ = inspo [ "solve"; "--game"; path; "--dataset"; "uniform" ]
            Expect.equal code 0 "exit code"
            Expect.stringContains out "a quantal response equilibrium of the regularised game, not the optimum" "says what the gap means"
            Expect.stringContains out "optimal joint action (a,a) (reward 11)" "names the optimum by action names"
            let mne = solveJson [ "--game"; "mne"; "--dataset"; "balanced" ]
            Expect.isTrue (mne.GetProperty("reaches_optimum").GetBoolean()) "M-NE balanced reaches (C,C)"
            let _, out, _ = inspo [ "solve"; "--game"; "mne"; "--dataset"; "balanced" ]
            Expect.stringContains out "reaches the optimum" "said so"
        }

        test "a bad dataset folder gives one line naming the problem and exit 2" {
            expectBadInput [ "solve"; "--game"; "xor"; "--dataset"; "/nonexistent/data" ] "/nonexistent/data"
            let folder = TestPaths.scratchDir "cli-empty"
            expectBadInput [ "solve"; "--game"; "xor"; "--dataset"; folder ] "manifest"
            expectBadInput [ "solve"; "--game"; "xor"; "--dataset"; "z" ] "unknown dataset 'z'"
        }

        test "bad option values give one line and exit 2" {
            expectBadInput [ "solve"; "--game"; "xor"; "--dataset"; "a"; "--alpha"; "0" ] "α = 0 must be a positive number"
            expectBadInput [ "runtime"; "--device"; "tpu" ] "unknown device"
            expectBadInput [ "reproduce"; "table9" ] "unknown target 'table9' (known: table1, table2, table3, table4, table5, table6, table7, fig3, fig5, exact)"
            expectBadInput [ "reproduce"; "table1"; "--profile"; "huge" ] "unknown profile 'huge'"
            expectBadInput [ "train"; "--env"; "xor"; "--dataset"; "a"; "--eval-every"; "0"; "--out"; TestPaths.scratchDir "cli-eval" ] "--eval-every 0"
        }

        test "reproduce exact runs experiments/exact_games.fsx and prints its tables" {
            let code, out, err = inspo [ "reproduce"; "exact" ]
            Expect.equal code 0 err
            Expect.stringContains out "| (b)" "XOR table"
            Expect.stringContains out "| imbalanced" "M-NE table"
        }

        test "runtime trains one step on the CPU" {
            let code, out, err = inspo [ "runtime"; "--device"; "cpu" ]
            Expect.equal code 0 err
            Expect.stringContains out "device: cpu" "device"
            Expect.stringContains out "one training step" "step"
        }

        test "the engine keeps freed native memory on glibc, and leaves the allocator alone when the user set it" {
            if not (OperatingSystem.IsLinux()) then skiptest "glibc's mallopt: Linux only"
            // the test host's own malloc variables must not reach the child: it is the case under test
            let inherited =
                [ for k in Environment.GetEnvironmentVariables().Keys |> Seq.cast<string> do
                      if k.StartsWith "MALLOC_" || k = "GLIBC_TUNABLES" || k = "INSPO_NATIVE_HEAP" then k, (null: string | null) ]
            let heapLine environment =
                let code, out, err = TestPaths.runDotnetWith (inherited @ environment) TestPaths.repoRoot [ cliDll; "runtime"; "--device"; "cpu" ]
                Expect.equal code 0 err
                out.Split('\n') |> Array.find (fun l -> l.StartsWith "native heap: ")
            Expect.stringContains (heapLine []) "keeps freed memory" "kept by default"
            Expect.stringContains (heapLine [ "INSPO_NATIVE_HEAP", "default" ]) "as the user set it" "INSPO_NATIVE_HEAP=default"
            Expect.stringContains (heapLine [ "MALLOC_TRIM_THRESHOLD_", "131072" ]) "as the user set it" "glibc's own variable"
        }
    ]
