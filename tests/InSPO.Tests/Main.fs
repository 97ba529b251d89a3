module InSPO.Tests.Main

open System.Reflection
open Expecto

/// Runs every [<Tests>] value in the assembly: the tests that run code in this process one at a time, beside the
/// lists marked Sequencing.childProcessesOnly (Sequencing.fs says why). CLI arguments are Expecto's (e.g. --filter).
[<EntryPoint>]
let main argv =
    InSPO.Runtime.TorchRuntime.Initialize()
    match Impl.testFromAssembly (Assembly.GetExecutingAssembly()) with
    | Some all -> runTestsWithCLIArgs [] argv (Sequencing.inProcessOneAtATime all)
    | None -> failwith "no [<Tests>] found in the test assembly"
