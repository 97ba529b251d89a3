/// Each experiment script runs under `dotnet fsi` against the Release build (CI's smoke runs).
module InSPO.Tests.ExperimentSmokeTests

open System.IO
open Expecto

let private scriptingDll =
    Path.Combine(TestPaths.repoRoot, "scripts", "InSPO.Scripting", "bin", "Release", "net10.0", "InSPO.Scripting.dll")

/// Runs `dotnet fsi <script>` from a directory outside the repository (the prelude must not depend on it).
let runScript (relativePath: string) =
    if not (File.Exists scriptingDll) then
        failwithf "scripts need the Release build (%s missing): run `dotnet fsi build.fsx -t Build`" scriptingDll
    TestPaths.runDotnet (Path.GetTempPath()) [ "fsi"; Path.Combine(TestPaths.repoRoot, relativePath) ]

[<Tests>]
let tests =
    testList "experiments" [
        test "exact_games.fsx runs in dotnet fsi (engine and libtorch loaded) and prints both tables" {
            let code, out, err = runScript "experiments/exact_games.fsx"
            Expect.equal code 0 (sprintf "exit code; stderr: %s" err)
            let row (prefix: string) = out.Split('\n') |> Array.find (fun l -> l.StartsWith prefix)
            Expect.stringContains (row "| (b)") "1.000" "XOR (b): InSPO reaches 1"
            Expect.stringContains (row "| (a)") "-2.000 (B,B)" "XOR (a): simultaneous picks (B,B)"
            Expect.stringContains (row "| imbalanced") "4.983 (A,A)" "M-NE imbalanced without entropy ends at (A,A)"
        }
    ]
