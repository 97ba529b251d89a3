// InSPO.NET build script: `dotnet fsi build.fsx -t <Target>` (FAKE's libraries, no fake-cli).
//   Build   restore tools and packages, build the solution (Release)
//   Test    Build, then run every Expecto test; prints `tests: N passed, N failed`
//   Quick   Build, then the main job: the exact solutions of XOR and M-NE (experiments/exact_games.fsx)
//   BenchSim    SMAC-lite agent-steps per second per core, every map, random actions
//   SmacScores  SMAC-lite win rates of the scripted policies (200 episodes per map and policy)
#r "nuget: Fake.Core.Target, 5.20.3"
#r "nuget: Fake.Core.Process, 5.20.3"

open System
open System.IO
open System.Xml.Linq
open Fake.Core
open Fake.Core.TargetOperators

fsi.CommandLineArgs
|> Array.skip 1
|> List.ofArray
|> Context.FakeExecutionContext.Create false "build.fsx"
|> Context.RuntimeContext.Fake
|> Context.setExecutionContext

let root = __SOURCE_DIRECTORY__
let configuration = Environment.environVarOrDefault "CONFIGURATION" "Release"
let inCi = Environment.environVarOrDefault "CI" "" <> ""

/// Runs a command in the repository root, streaming its output; fails the target on a non-zero exit.
let run (program: string) (args: string list) =
    let result =
        CreateProcess.fromRawCommand program args
        |> CreateProcess.withWorkingDirectory root
        |> Proc.run
    if result.ExitCode <> 0 then
        failwithf "'%s %s' failed with exit code %d" program (String.Join(" ", args)) result.ExitCode

let dotnet args = run "dotnet" args

/// Runs an F# script of the project (they reference the Release build of the engine).
let fsiScript (path: string) (args: string list) = dotnet ([ "fsi"; path ] @ args)

Target.create "Restore" (fun _ ->
    dotnet [ "tool"; "restore" ]
    dotnet [ "paket"; "restore" ])

Target.create "Build" (fun _ ->
    dotnet [ "build"; "InSPO.sln"; "-c"; configuration; "--nologo"; "-v"; "quiet"; "-clp:NoSummary" ])

/// Expecto's JUnit summary → (passed, failed): a test case with a <failure> or <error> child failed,
/// one with <skipped> was ignored, any other passed.
let junitCounts (file: string) =
    let cases = XDocument.Load(file).Descendants(XName.Get "testcase") |> List.ofSeq
    let has (name: string) (case: XElement) = case.Elements(XName.Get name) |> Seq.isEmpty |> not
    let failed = cases |> List.filter (fun c -> has "failure" c || has "error" c) |> List.length
    let skipped = cases |> List.filter (has "skipped") |> List.length
    cases.Length - failed - skipped, failed

Target.create "Test" (fun _ ->
    let summary = Path.Combine(root, "tests", "InSPO.Tests", "bin", "test-summary.xml")
    File.Delete summary
    let testArgs = [ "--summary"; "--junit-summary"; summary ] @ (if inCi then [ "--colours"; "0" ] else [])
    let result =
        CreateProcess.fromRawCommand "dotnet"
            ([ "run"; "--project"; "tests/InSPO.Tests"; "-c"; configuration; "--no-build"; "--" ] @ testArgs)
        |> CreateProcess.withWorkingDirectory root
        |> Proc.run
    let passed, failed = if File.Exists summary then junitCounts summary else 0, 0
    // CI reads this line; a run that executed no test shows 0 passed.
    printfn "\ntests: %d passed, %d failed" passed failed
    if result.ExitCode <> 0 || passed = 0 then
        failwithf "tests failed (exit code %d, %d passed, %d failed)" result.ExitCode passed failed)

Target.create "Quick" (fun _ -> fsiScript "experiments/exact_games.fsx" [])

/// Runs the built `inspo` command.
let inspo args = dotnet ([ sprintf "core/InSPO.Cli/bin/%s/net10.0/inspo.dll" configuration ] @ args)

Target.create "BenchSim" (fun _ -> inspo [ "smac"; "bench"; "--seconds"; "3"; "--threads"; "1" ])

Target.create "SmacScores" (fun _ -> inspo [ "smac"; "scores"; "--episodes"; "200" ])

"Restore" ==> "Build" ==> "Test" |> ignore
"Build" ==> "Quick" |> ignore
"Build" ==> "BenchSim" |> ignore
"Build" ==> "SmacScores" |> ignore

Target.runOrDefaultWithArguments "Build"
