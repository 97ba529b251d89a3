/// Where tests find the repository, the shared reference data and scratch space.
module InSPO.Tests.TestPaths

open System
open System.IO

/// The repository root: the first ancestor of the test binary that holds InSPO.sln.
let repoRoot =
    let rec up (dir: DirectoryInfo | null) =
        match dir with
        | null -> failwith "tests: cannot find InSPO.sln above the test binary"
        | d when File.Exists(Path.Combine(d.FullName, "InSPO.sln")) -> d.FullName
        | d -> up d.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

/// ../shared/data beside the repository (read-only reference data, never copied into the repo).
let sharedData = Path.GetFullPath(Path.Combine(repoRoot, "..", "shared", "data"))

/// A fresh empty directory under the system temp folder; the caller may delete it.
let scratchDir (name: string) =
    let dir = Path.Combine(Path.GetTempPath(), "inspo-tests", sprintf "%s-%s" name (Guid.NewGuid().ToString("N").Substring(0, 8)))
    Directory.CreateDirectory dir |> ignore
    dir

/// Runs f and returns the exception of type 'E it throws; fails the test if it throws nothing or another type.
let catchException<'E when 'E :> exn> (f: unit -> unit) : 'E =
    let outcome =
        try f (); Choice1Of2()
        with e -> Choice2Of2 e
    match outcome with
    | Choice2Of2 (:? 'E as e) -> e
    | Choice2Of2 e -> failwithf "expected %s, got %s: %s" typeof<'E>.Name (e.GetType().Name) e.Message
    | Choice1Of2 () -> failwithf "expected %s, nothing was thrown" typeof<'E>.Name

/// Runs `dotnet args…` in workingDirectory with extra environment variables; returns (exit code, stdout, stderr).
let runDotnetWith (environment: (string * (string | null)) list) (workingDirectory: string) (args: string list) =
    let psi =
        System.Diagnostics.ProcessStartInfo(
            "dotnet", RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory)
    for a in args do psi.ArgumentList.Add a
    for k, v in environment do
        match v with
        | null -> psi.Environment.Remove k |> ignore   // null: the child does not inherit k
        | v -> psi.Environment.[k] <- v
    use p = match System.Diagnostics.Process.Start psi with null -> failwith "could not start dotnet" | p -> p
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEnd()
    p.WaitForExit()
    p.ExitCode, out.Result, err

/// Runs `dotnet args…` in workingDirectory; returns (exit code, stdout, stderr).
let runDotnet workingDirectory args = runDotnetWith [] workingDirectory args
