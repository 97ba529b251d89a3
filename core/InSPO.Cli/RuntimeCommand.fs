/// `inspo runtime [--device D]`: which device and native libraries the engine uses, checked by one training step.
module InSPO.Cli.RuntimeCommand

open Argu
open TorchSharp
open InSPO.Runtime
open InSPO.Cli.Arguments

let run (args: ParseResults<RuntimeArgs>) =
    let device = TorchRuntime.ResolveDevice(args.GetResult(RuntimeArgs.Device, "auto"))
    printfn "device: %O (CUDA available: %b)" device (torch.cuda.is_available ())
    printfn "native: %s" (match TorchRuntime.NativeLibraryPath with null -> "loaded by TorchSharp" | p -> p)
    printfn "native heap: %s" (NativeHeap.Describe())
    let struct (before, after) = TorchRuntime.TrainingSmokeStep device
    printfn "one training step: loss %.4f -> %.4f" before after
    0
