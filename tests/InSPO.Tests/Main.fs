module InSPO.Tests.Main

open Expecto

/// Runs every [<Tests>] value in the assembly. CLI arguments are Expecto's (e.g. --filter, --sequenced).
[<EntryPoint>]
let main argv =
    InSPO.Runtime.TorchRuntime.Initialize()
    runTestsInAssemblyWithCLIArgs [] argv
