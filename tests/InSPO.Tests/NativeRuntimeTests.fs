module InSPO.Tests.NativeRuntimeTests

open System.IO
open Expecto
open TorchSharp
open InSPO.Runtime

let private glibcxx = "GLIBCXX_3.4.32"

[<Tests>]
let tests =
    testList "native runtime" [
        test "a tiny network trains one step on the engine's device" {
            TorchRuntime.Initialize()
            TorchRuntime.Seed 0L
            let device = TorchRuntime.ResolveDevice "cpu"
            let net = torch.nn.Linear(3L, 1L).``to``(device)
            let opt = torch.optim.SGD(net.parameters(), 0.1)
            let x = torch.ones(4L, 3L, device = device)
            let y = torch.zeros(4L, 1L, device = device)
            let loss () = torch.nn.functional.mse_loss(net.forward x, y)
            let before = (loss ()).item<float32>()
            opt.zero_grad()
            let l = loss ()
            l.backward()
            opt.step() |> ignore
            let after = (loss ()).item<float32>()
            Expect.isLessThan after before "one SGD step on a convex loss lowers it"
        }

        test "an unknown device name is refused with a message naming it" {
            let ex = Expect.throwsT<System.ArgumentException> (fun () -> TorchRuntime.ResolveDevice "tpu" |> ignore) ""
            ()
        }

        test "weakening the GLIBCXX_3.4.32 need is idempotent and leaves other needs alone" {
            TorchRuntime.Initialize()
            match TorchRuntime.NativeLibraryPath with
            | null -> skiptest "libLibTorchSharp.so not found (not Linux)"
            | lib ->
                let copy = Path.Combine(TestPaths.scratchDir "elf", "libLibTorchSharp.so")
                File.Copy(lib, copy)
                let needsBefore = ElfVersionNeeds.NeededVersions copy |> Seq.map (fun n -> n.File, n.Version) |> List.ofSeq
                let first = ElfVersionNeeds.MarkWeak(copy, glibcxx)
                let bytesAfterFirst = File.ReadAllBytes copy
                let second = ElfVersionNeeds.MarkWeak(copy, glibcxx)
                Expect.contains [ WeakenOutcome.Weakened; WeakenOutcome.AlreadyWeak ] first "first call weakens (or finds it weak)"
                Expect.equal second WeakenOutcome.AlreadyWeak "second call changes nothing"
                Expect.sequenceEqual (File.ReadAllBytes copy) bytesAfterFirst "file unchanged by the second call"
                let needs = ElfVersionNeeds.NeededVersions copy |> List.ofSeq
                Expect.equal (needs |> List.map (fun n -> n.File, n.Version)) needsBefore "same needs, only flags differ"
                for n in needs do
                    Expect.equal n.IsWeak (n.Version = glibcxx || (needsBefore |> List.isEmpty)) (sprintf "%s weak only if it is %s" n.Version glibcxx)
                Expect.equal (ElfVersionNeeds.MarkWeak(copy, "GLIBCXX_9.9.9")) WeakenOutcome.NoSuchNeed "absent version"
        }

        test "a file that is not ELF is refused naming the file" {
            let path = Path.Combine(TestPaths.scratchDir "elf", "not-elf.so")
            File.WriteAllText(path, "hello")
            let ex = Expect.throwsT<System.IO.InvalidDataException> (fun () -> ElfVersionNeeds.NeededVersions path |> ignore) ""
            ()
        }
    ]
