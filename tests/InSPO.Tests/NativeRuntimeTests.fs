module InSPO.Tests.NativeRuntimeTests

open System
open System.IO
open Expecto
open TorchSharp
open InSPO.Runtime

let private glibcxx = "GLIBCXX_3.4.32"

[<Tests>]
let tests =
    testList "native runtime" [
        test "a tiny network trains one step on the engine's device (a broken native load fails here)" {
            let struct (before, after) = TorchRuntime.TrainingSmokeStep(TorchRuntime.ResolveDevice "auto")
            Expect.isTrue (Single.IsFinite before && Single.IsFinite after) "finite losses"
            Expect.isLessThan after before "one SGD step on a convex loss lowers it"
        }

        test "the build weakened the GLIBCXX_3.4.32 need exactly where the system lacks the version" {
            TorchRuntime.Initialize()
            match TorchRuntime.NativeLibraryPath with
            | null -> skiptest "libLibTorchSharp.so not found (not Linux)"
            | lib ->
                let systemHasIt = ElfVersionNeeds.SystemLibstdcxxDefines glibcxx
                Expect.isTrue (ElfVersionNeeds.SystemLibstdcxxDefines "GLIBCXX_3.4") "the system libstdc++ is found and read"
                let need = ElfVersionNeeds.NeededVersions lib |> Seq.find (fun n -> n.Version = glibcxx)
                if not systemHasIt then Expect.isTrue need.IsWeak (sprintf "%s is weak in %s" glibcxx lib)
        }

        test "an unknown device name is refused with a message naming it" {
            let e = TestPaths.catchException<System.ArgumentException> (fun () -> TorchRuntime.ResolveDevice "tpu" |> ignore)
            Expect.stringContains e.Message "device 'tpu': unknown device" "message"
        }

        test "weakening the GLIBCXX_3.4.32 need is idempotent and leaves other needs alone" {
            TorchRuntime.Initialize()
            match TorchRuntime.NativeLibraryPath with
            | null -> skiptest "libLibTorchSharp.so not found (not Linux)"
            | lib ->
                let copy = Path.Combine(TestPaths.scratchDir "elf", "libLibTorchSharp.so")
                File.Copy(lib, copy)
                // Restore the pristine flags (the loaded copy may already be weakened by the build).
                let bytes = File.ReadAllBytes copy
                for n in ElfVersionNeeds.NeededVersions copy do
                    if n.Version = glibcxx then
                        let flags = n.Flags &&& ~~~ElfVersionNeeds.VerFlgWeak
                        bytes.[int n.FlagsOffset] <- byte (flags &&& 0xffus)
                        bytes.[int n.FlagsOffset + 1] <- byte (flags >>> 8)
                File.WriteAllBytes(copy, bytes)
                Expect.isFalse (ElfVersionNeeds.NeededVersions copy |> Seq.exists (fun n -> n.IsWeak)) "pristine: no weak need"
                let needsBefore = ElfVersionNeeds.NeededVersions copy |> Seq.map (fun n -> n.File, n.Version) |> List.ofSeq
                let first = ElfVersionNeeds.MarkWeak(copy, glibcxx)
                let bytesAfterFirst = File.ReadAllBytes copy
                let second = ElfVersionNeeds.MarkWeak(copy, glibcxx)
                Expect.equal first WeakenOutcome.Weakened "first call weakens"
                Expect.equal second WeakenOutcome.AlreadyWeak "second call changes nothing"
                Expect.sequenceEqual (File.ReadAllBytes copy) bytesAfterFirst "file unchanged by the second call"
                let needs = ElfVersionNeeds.NeededVersions copy |> List.ofSeq
                Expect.equal (needs |> List.map (fun n -> n.File, n.Version)) needsBefore "same needs, only flags differ"
                for n in needs do
                    Expect.equal n.IsWeak (n.Version = glibcxx) (sprintf "%s weak only if it is %s" n.Version glibcxx)
                Expect.equal (ElfVersionNeeds.MarkWeak(copy, "GLIBCXX_9.9.9")) WeakenOutcome.NoSuchNeed "absent version"
        }

        test "a file that is not ELF is refused naming the file" {
            let path = Path.Combine(TestPaths.scratchDir "elf", "not-elf.so")
            File.WriteAllText(path, "hello")
            let e = TestPaths.catchException<System.IO.InvalidDataException> (fun () -> ElfVersionNeeds.NeededVersions path |> ignore)
            Expect.stringContains e.Message (path + ": not an ELF file") "message"
        }
    ]
