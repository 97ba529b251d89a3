/// Bridge through the runner (issue 4): smoke-profile InSPO and BC runs, the normalised metric, determinism,
/// and the imported reference datasets (skipped when ../shared/data/bridge is absent).
module InSPO.Tests.BridgeTrainingTests

open System.IO
open System.Collections.Generic
open Expecto
open InSPO.Envs
open InSPO.Training

let private spec dataset algo seed root =
    RunSpec("bridge", dataset, algo, seed, "smoke", "cpu", Dictionary<string, float>() :> IReadOnlyDictionary<string, float>, root)

let private referenceAvailable () = Directory.Exists(Path.Combine(TestPaths.sharedData, "bridge", "optimal"))

let private checkMetrics (r: RunResult) =
    let raw, normalised = r.Metrics["return"], r.Metrics["return_normalised"]
    let random, best = BridgeValues.UniformRandom 20, BridgeValues.Optimal 20
    Expect.floatClose Accuracy.high normalised ((raw - random) / (best - random)) "normalised = (return − random)/(optimal − random)"
    Expect.equal r.Metrics["return_sampled"] raw "return_sampled = return (no exact value for Bridge)"
    // 19 rewarded steps of at most 0.5385 each (notes §1.10); never above the optimum
    Expect.isTrue (raw <= best + 1e-9 && raw >= -10.3) (sprintf "return %.4f within [−10.3, optimum]" raw)

[<Tests>]
let tests =
    testSequenced <| testList "bridge training" [
        test "smoke profile: InSPO and BC on generated optimal and mixed write records with return and return_normalised" {
            let root = TestPaths.scratchDir "bridge-smoke"
            for dataset, algo in [ "optimal", "inspo"; "mixed", "bc" ] do
                let r = Runner.Run(spec dataset algo 0 root)
                Expect.equal r.Steps Profiles.Smoke.TotalSteps "the smoke budget (Bridge changes only quick)"
                checkMetrics r
                Expect.equal r.FinalPolicy.Length 2 "start-state distribution per agent"
                Expect.isTrue (File.Exists r.RecordPath) "record written"
                Expect.stringContains (File.ReadAllText r.RecordPath) "return_normalised" "normalised return in the record"
        }

        test "Bridge's quick budget has more and larger policy rounds; other environments keep the profile" {
            let quick = RunEnvironments.Resolve("bridge").Budget(Profiles.Quick)
            Expect.equal quick.Steps BridgeRunEnvironment.QuickSteps "bridge quick rounds"
            Expect.equal quick.BatchSize BridgeRunEnvironment.QuickBatchSize "bridge quick batch"
            Expect.isGreaterThan quick.Steps Profiles.Quick.Steps "more rounds than the matrix games"
            Expect.equal (RunEnvironments.Resolve("bridge").Budget(Profiles.Smoke)) Profiles.Smoke "bridge smoke"
            Expect.equal (RunEnvironments.Resolve("xor").Budget(Profiles.Quick)) Profiles.Quick "xor quick"
        }

        test "the same seed gives the same Bridge result; the generated dataset follows the run seed" {
            let a = Runner.Run(spec "optimal" "inspo" 2 (TestPaths.scratchDir "bridge-det-a"))
            let b = Runner.Run(spec "optimal" "inspo" 2 (TestPaths.scratchDir "bridge-det-b"))
            Expect.equal (a.Metrics |> Seq.map (fun kv -> kv.Key, kv.Value) |> Seq.sort |> Seq.toList)
                         (b.Metrics |> Seq.map (fun kv -> kv.Key, kv.Value) |> Seq.sort |> Seq.toList) "metrics bit-identical"
            Expect.equal (a.FinalPolicy |> Array.map Array.toList) (b.FinalPolicy |> Array.map Array.toList) "start-state policy bit-identical"
            let env = RunEnvironments.Resolve "bridge"
            let d2, d3 = env.Dataset("mixed", Runner.DatasetSeed 2), env.Dataset("mixed", Runner.DatasetSeed 3)
            Expect.equal d2.Actions (env.Dataset("mixed", Runner.DatasetSeed 2).Actions) "same seed, same data"
            Expect.notEqual d2.Actions d3.Actions "another seed, another draw"
        }

        test "unknown Bridge dataset names are rejected with the known ones" {
            let e = TestPaths.catchException<System.ArgumentException> (fun () -> RunEnvironments.Resolve("bridge").Dataset("nope", 0) |> ignore)
            Expect.stringContains e.Message "optimal-reference" "lists the known datasets"
        }

        test "reference datasets resolve from the shared folder (optimal 500, mix 1000 episodes) and train" {
            if not (referenceAvailable ()) then
                skiptestf "reference data is absent: %s (../shared/data/bridge comes with the project's shared folder)" (Path.Combine(TestPaths.sharedData, "bridge"))
            let env = RunEnvironments.Resolve "bridge"
            Expect.equal (env.Dataset("optimal-reference", 0).Episodes) 500 "AlberDICE's optimal buffer"
            Expect.equal (env.Dataset("mixed-reference", 0).Episodes) 1000 "AlberDICE's mix buffer"
            let r = Runner.Run(spec "optimal-reference" "bc" 0 (TestPaths.scratchDir "bridge-ref"))
            checkMetrics r
        }

        test "a missing shared folder gives a one-line error naming INSPO_SHARED_DATA" {
            let saved = System.Environment.GetEnvironmentVariable SharedData.Variable
            try
                System.Environment.SetEnvironmentVariable(SharedData.Variable, Path.Combine(TestPaths.scratchDir "no-shared", "absent"))
                let e = TestPaths.catchException<DirectoryNotFoundException> (fun () -> RunEnvironments.Resolve("bridge").Dataset("mixed-reference", 0) |> ignore)
                Expect.stringContains e.Message SharedData.Variable "names the variable"
                Expect.isFalse (e.Message.Contains "\n") "one line"
            finally
                System.Environment.SetEnvironmentVariable(SharedData.Variable, saved)
        }
    ]
