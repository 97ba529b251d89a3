/// The OMAR and AlberDICE baselines (SPEC 8): their defining pieces as properties, and a tiny end-to-end run of each
/// through the Runner. Budgets are tiny so the list stays within seconds.
module InSPO.Tests.BaselineTests

open System
open System.IO
open System.Collections.Generic
open Expecto
open TorchSharp
open InSPO.Algorithms
open InSPO.Data
open InSPO.Training

let private spec env dataset algo seed root (hyper: (string * float) list) =
    let h = Dictionary<string, float>(dict hyper) :> IReadOnlyDictionary<string, float>
    RunSpec(env, dataset, algo, seed, "smoke", "cpu", h, root)

/// 10 behaviour steps, 40 policy steps, batch 32, 32 hidden units.
let private tiny = Profile("tiny", 10, 40, 32, 32, 20, 5, 32)

[<Tests>]
let tests =
    testList "baselines" [
        test "OMAR's regression target is the one-hot argmax of Q over the available actions only" {
            let rng = Random 11
            for case in 1 .. 200 do
                let k, a = 1 + rng.Next 6, 2 + rng.Next 5
                let q = Array.init (k * a) (fun _ -> float32 (rng.NextDouble() * 10.0 - 5.0))
                let avail = Array.init (k * a) (fun _ -> rng.NextDouble() < 0.5)
                for row in 0 .. k - 1 do avail[row * a + rng.Next a] <- true   // at least one available per row
                use qt = torch.tensor(q).reshape(int64 k, int64 a)
                use at = torch.tensor(avail).reshape(int64 k, int64 a)
                let target = Omar.BestActionTarget(qt, at).data<float32>().ToArray()
                for row in 0 .. k - 1 do
                    let t = target[row * a .. row * a + a - 1]
                    Expect.equal (Array.sum t) 1.0f (sprintf "case %d row %d: one-hot" case row)
                    let chosen = Array.findIndex (fun x -> x = 1.0f) t
                    Expect.isTrue avail[row * a + chosen] (sprintf "case %d row %d: the chosen action is available" case row)
                    let bestAvailable = [ for j in 0 .. a - 1 do if avail[row * a + j] then q[row * a + j] ] |> List.max
                    Expect.equal q[row * a + chosen] bestAvailable (sprintf "case %d row %d: the best available Q" case row)
        }

        test "AlberDICE's teammate ratio ρ = π^{-i}/μ^{-i} is clamped at its maximum and rows are redrawn ∝ ρ" {
            let logPi = torch.tensor [| log 0.5f; log 0.2f; log 0.9f; log 0.3f |]
            let logMu = torch.tensor [| log 1.0f; log 0.1f; log 0.001f; log 0.3f |]
            let rho = AlberDice.Ratio(logPi, logMu, 100.0).data<float32>().ToArray()
            let expected = [| 0.5; 2.0; 100.0; 1.0 |]   // 0.9 / 0.001 = 900 → clamped at 100
            for k in 0 .. 3 do Expect.floatClose Accuracy.medium (float rho[k]) expected[k] (sprintf "ρ[%d]" k)
            let huge = AlberDice.Ratio(torch.tensor [| 1e4f |], torch.tensor [| -1e4f |], 100.0).item<float32>()
            Expect.equal huge 100.0f "no overflow: an enormous ratio gives exactly the clamp"
            let g = new torch.Generator(3UL)
            let n = 200_000L
            let idx = DeviceEpisodeBuffer.ResampleIndices(AlberDice.Ratio(logPi, logMu, 100.0), n, g)
            let counts = torch.bincount(idx, minlength = 4L).data<int64>().ToArray()
            let total = Array.sum expected
            for k in 0 .. 3 do
                Expect.isLessThan (abs (float counts[k] / float n - expected[k] / total)) 0.005 (sprintf "row %d drawn ∝ ρ" k)
        }

        test "AlberDICE's ν dual equals its closed form α·log(ρ̄·mean exp(ê/α)) + (1−γ)·mean ν on a hand case" {
            let e = [| 0.2; -0.1; 0.5; 1.5 |]
            let nuStates = [| 1.0; 2.0; -0.5 |]
            let rhoBar, alpha, gamma = 1.3, 0.5, 0.9
            let got =
                AlberDice.NuDual(torch.tensor(Array.map float32 e), rhoBar, torch.tensor(Array.map float32 nuStates), alpha, gamma).item<float32>()
            let expected = alpha * log (rhoBar * (e |> Array.averageBy (fun x -> exp (x / alpha)))) + (1.0 - gamma) * Array.average nuStates
            Expect.floatClose Accuracy.medium (float got) expected "closed form"
            // a small α: the logsumexp form stays finite where the naive exp(ê/α) overflows float32
            let sharp = AlberDice.NuDual(torch.tensor [| 100.0f; 0.0f |], 1.0, torch.tensor [| 0.0f |], 0.001, 0.99).item<float32>()
            Expect.floatClose Accuracy.medium (float sharp) (100.0 + 0.001 * log 0.5) "α·log mean exp(ê/α) → max ê as α → 0"
        }

        test "AlberDICE's α anneals geometrically from 5 to 0.001; learning rates are the code's 1e-4 at the paper profile" {
            let o = AlberDiceOptions.For("xor", null, tiny)
            Expect.equal (o.AlphaAt(0L, 101L)) 5.0 "α_start"
            Expect.floatClose Accuracy.high (o.AlphaAt(100L, 101L)) 0.001 "α_end"
            Expect.floatClose Accuracy.high (o.AlphaAt(50L, 101L)) (sqrt (5.0 * 0.001)) "geometric mean halfway"
            let paper = AlberDiceOptions.For("xor", null, Profiles.Paper)
            Expect.equal (paper.LearningRate, paper.NuLearningRate) (1e-4, 1e-4) "paper profile"
            Expect.equal (o.LearningRate, o.NuLearningRate) (1e-3, 1e-3) "CPU profiles"
        }

        test "unknown hyperparameters of OMAR and AlberDICE are refused by name" {
            let root = TestPaths.scratchDir "baseline-bad"
            for algo, typo in [ "omar", "omar_ceo"; "alberdice", "alpha_strat" ] do
                let e = TestPaths.catchException<ArgumentException> (fun () -> Runner.Run(spec "xor" "a" algo 0 root [ typo, 1.0 ], RunControl(ProfileOverride = tiny)) |> ignore)
                Expect.stringContains e.Message typo (sprintf "%s names the typo" algo)
        }

        test "OMAR and AlberDICE run end to end through the Runner and record their resolved options" {
            for algo, key in [ "omar", "OmarCoe"; "alberdice", "AlphaStart" ] do
                let root = TestPaths.scratchDir ("baseline-" + algo)
                let r = Runner.Run(spec "xor" "b" algo 0 root [], RunControl(ProfileOverride = tiny, TensorBoard = false))
                Expect.equal r.Steps tiny.TotalSteps (sprintf "%s: every step" algo)
                Expect.isTrue (r.Metrics["return"] >= -2.0 && r.Metrics["return"] <= 1.0) (sprintf "%s: exact return within XOR's range" algo)
                for p in r.FinalPolicy do Expect.floatClose Accuracy.high (Array.sum p) 1.0 (sprintf "%s: a distribution per agent" algo)
                let json = File.ReadAllText r.RecordPath
                Expect.stringContains json key (sprintf "%s: options in the record" algo)
        }
    ]
