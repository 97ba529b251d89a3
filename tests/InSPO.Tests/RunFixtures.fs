/// What the training tests share: a run spec from a few words, and a tiny budget that keeps a run in seconds.
module InSPO.Tests.RunFixtures

open System.Collections.Generic
open Expecto
open InSPO.Training

/// A smoke-profile CPU run spec with hyperparameter overrides by name.
let spec env dataset algo seed root (hyper: (string * float) list) =
    let h = Dictionary<string, float>(dict hyper) :> IReadOnlyDictionary<string, float>
    RunSpec(env, dataset, algo, seed, "smoke", "cpu", h, root)

/// A small budget: 10 behaviour steps, 40 policy steps (rounds), batch 32, 32 hidden units, checkpoints every 20 steps.
let tiny = Profile("tiny", 10, 40, 32, 32, 20, 5, 32)

/// Runs a spec under a profile of one's own.
let run (s: RunSpec) (profile: Profile) = Runner.Run(s, RunControl(ProfileOverride = profile))

/// Two runs ended with bit-identical final policies and metrics.
let samePolicy (a: RunResult) (b: RunResult) =
    Expect.equal (a.FinalPolicy |> Array.map Array.toList |> Array.toList) (b.FinalPolicy |> Array.map Array.toList |> Array.toList) "final policies bit-identical"
    Expect.equal (a.Metrics |> Seq.map (fun kv -> kv.Key, kv.Value) |> Seq.sort |> Seq.toList)
                 (b.Metrics |> Seq.map (fun kv -> kv.Key, kv.Value) |> Seq.sort |> Seq.toList) "metrics bit-identical"
