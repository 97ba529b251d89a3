/// The value-decomposition baselines (SPEC 8): CFCQL's monotone mixer and counterfactual CQL pieces, OMIGA's
/// non-negative linear mixer, and a tiny end-to-end run of each through the runner.
module InSPO.Tests.ValueDecompositionTests

open System
open System.IO
open System.Collections.Generic
open Expecto
open FsCheck
open FsCheck.FSharp
open TorchSharp
open InSPO.Algorithms
open InSPO.Nets
open InSPO.Training
open InSPO.Tests.RunFixtures

let private config = { FsCheckConfig.defaultConfig with maxTest = 40 }

/// A random case: seed, agents N, actions A, state size S, rows K.
type Shape = { Seed: int; Agents: int; Actions: int; State: int; Rows: int }

let private shapes =
    gen {
        let! seed = Gen.choose (0, Int32.MaxValue - 1)
        let! n = Gen.choose (1, 4)
        let! a = Gen.choose (2, 5)
        let! s = Gen.choose (1, 8)
        let! k = Gen.choose (1, 16)
        return { Seed = seed; Agents = n; Actions = a; State = s; Rows = k }
    }
    |> Arb.fromGen

/// Random normal tensor from the case's own generator (values scaled to exercise both ELU branches).
let private randn (g: torch.Generator) (shape: int64[]) (scale: float) =
    torch.randn(shape, generator = g) * scale

/// Random availability with at least one available action per (row, agent).
let private randomAvailable (g: torch.Generator) (k: int) (n: int) (a: int) =
    let avail = torch.rand([| int64 k; int64 n; int64 a |], generator = g).lt(torch.tensor 0.6)
    let first = torch.randint(int64 a, [| int64 k; int64 n; 1L |], generator = g)
    avail.scatter(-1L, first, torch.ones([| int64 k; int64 n; 1L |], dtype = torch.ScalarType.Bool))

[<Tests>]
let tests =
    testList "value decomposition" [
        testPropertyWithConfig config "monotone mixer: ∂Q_tot/∂qᵢ ≥ 0 for random states and inputs (and > 0: ELU' > 0, |W| > 0)" <|
            Prop.forAll shapes (fun c ->
                use g = new torch.Generator(uint64 c.Seed)
                use mixer = new MonotoneMixer("m", c.Agents, int64 c.State, 8, 16, g)
                let states = randn g [| int64 c.Rows; int64 c.State |] 3.0
                let qs = (randn g [| int64 c.Rows; int64 c.Agents |] 5.0).requires_grad_(true)
                mixer.forward(qs, states).sum().backward()
                let grad = (nonNull qs.grad).data<float32>().ToArray()
                grad |> Array.forall (fun x -> x > 0.0f))

        testPropertyWithConfig config "monotone mixer: mixing M vectors at once equals mixing each alone" <|
            Prop.forAll shapes (fun c ->
                use g = new torch.Generator(uint64 c.Seed)
                use mixer = new MonotoneMixer("m", c.Agents, int64 c.State, 8, 16, g)
                let states = randn g [| int64 c.Rows; int64 c.State |] 1.0
                let qs = randn g [| int64 c.Rows; 3L; int64 c.Agents |] 2.0
                let together = mixer.Mix(qs, states)
                let alone = torch.stack([| for m in 0L .. 2L -> mixer.forward(qs.select(1L, m), states) |], 1L)
                (together - alone).abs().max().item<float32>() < 1e-4f)

        testPropertyWithConfig config "OMIGA mixer: weights w(s) ≥ 0 and Q_tot = Σ wᵢ Qᵢ + b (linear in Q)" <|
            Prop.forAll shapes (fun c ->
                use g = new torch.Generator(uint64 c.Seed)
                use mixer = new OmigaMixer("m", c.Agents, int64 c.State, 16, g)
                let states = randn g [| int64 c.Rows; int64 c.State |] 3.0
                let struct (w, b) = mixer.forward(states)
                let q1 = randn g [| int64 c.Rows; int64 c.Agents |] 5.0
                let q2 = randn g [| int64 c.Rows; int64 c.Agents |] 5.0
                let linear = (mixer.Mix(q1 + q2, states) - mixer.Mix(q1, states) - mixer.Mix(q2, states) + b).abs().max().item<float32>()
                w.ge(torch.tensor 0.0f).all().item<bool>() && linear < 1e-3f
                && (mixer.Mix(q1, states) - ((w * q1).sum(1L) + b)).abs().max().item<float32>() < 1e-4f)

        testPropertyWithConfig config "CFCQL λ: rows sum to 1 for any temperature; temperature 0 gives exactly 1/n" <|
            Prop.forAll shapes (fun c ->
                use g = new torch.Generator(uint64 c.Seed)
                let avail = randomAvailable g c.Rows c.Agents c.Actions
                let cf = (randn g [| int64 c.Rows; int64 c.Agents; int64 c.Actions |] 3.0).masked_fill(avail.logical_not(), MaskedCategorical.MaskedLogit)
                let logBeta = MaskedCategorical.LogProbs(randn g [| int64 c.Rows; int64 c.Agents; int64 c.Actions |] 2.0, avail)
                let temperature = float (c.Seed % 7) * 1.5
                let lambda = Cfcql.AgentWeights(cf, logBeta, avail, temperature)
                let uniform = Cfcql.AgentWeights(cf, logBeta, avail, 0.0)
                (lambda.sum(1L) - 1.0f).abs().max().item<float32>() < 1e-5f
                && lambda.ge(torch.tensor 0.0f).all().item<bool>()
                && (uniform - 1.0f / float32 c.Agents).abs().max().item<float32>() < 1e-7f)

        test "CFCQL λ: the agent whose counterfactual Q-softmax is furthest from β gets the larger weight" {
            let avail = torch.ones([| 1L; 2L; 2L |], dtype = torch.ScalarType.Bool)
            let cf = torch.tensor([| 0.0f; 0.0f; 5.0f; -5.0f |]).view(1L, 2L, 2L)   // agent 0 matches β, agent 1 does not
            let logBeta = torch.tensor([| 0.5f; 0.5f; 0.5f; 0.5f |]).log().view(1L, 2L, 2L)
            let lambda = Cfcql.AgentWeights(cf, logBeta, avail, 1.0).data<float32>().ToArray()
            Expect.isGreaterThan lambda[1] lambda[0] "agent 1 weighted more"
            Expect.isLessThan (abs (Cfcql.AgentWeights(cf, logBeta, avail, 100.0).data<float32>().[1] - 1.0f)) 1e-3f "τ = 100: nearly one-hot"
        }

        testPropertyWithConfig config "counterfactual values: only agent i's action changes, and logsumexp ignores unavailable actions" <|
            Prop.forAll shapes (fun c ->
                use g = new torch.Generator(uint64 c.Seed)
                use mixer = new MonotoneMixer("m", c.Agents, int64 c.State, 8, 16, g)
                let k, n, a = int64 c.Rows, int64 c.Agents, int64 c.Actions
                let states = randn g [| k; int64 c.State |] 1.0
                let qAll = randn g [| k; n; a |] 2.0
                let actions = torch.randint(a, [| k; n |], generator = g)
                let qTaken = MaskedCategorical.Pick(qAll, actions)
                let avail = randomAvailable g c.Rows c.Agents c.Actions
                let cf = Cfcql.Counterfactual(mixer, qAll, qTaken, states, avail)
                // reference: substitute by hand, mix, and take logsumexp over available actions only
                let mutable ok = true
                for i in 0L .. n - 1L do
                    for j in 0L .. a - 1L do
                        let q = qTaken.clone()
                        q[torch.TensorIndex.Colon, torch.TensorIndex.Single i] <- qAll.select(1L, i).select(1L, j)
                        let expected = mixer.forward(q, states)
                        let got = cf.select(1L, i).select(1L, j)
                        let av = avail.select(1L, i).select(1L, j)
                        let diff = torch.where(av, (got - expected).abs(), torch.zeros_like(expected)).max().item<float32>()
                        ok <- ok && diff < 1e-4f
                // an unavailable action's value, however large, does not move logsumexp
                let boosted = qAll + avail.logical_not().to_type(torch.ScalarType.Float32) * 1e6f
                let cf2 = Cfcql.Counterfactual(mixer, boosted, qTaken, states, avail)
                ok && (cf.logsumexp(-1L) - cf2.logsumexp(-1L)).abs().max().item<float32>() < 1e-4f)

        test "OMIGA residual zᵢ is clipped to [−10, 10]" {
            let z = Omiga.Residual(torch.tensor [| 1.0f; 1.0f; 0.5f |], torch.tensor [| 1000.0f; -1000.0f; 3.0f |], torch.tensor [| 0.0f; 0.0f; 1.0f |], 2.0)
            Expect.sequenceEqual (z.data<float32>().ToArray()) [| 10.0f; -10.0f; 0.5f |] "clipped, and (w̄Q̄ − w̄V)/α inside"
        }

        test "CFCQL and OMIGA run end to end: greedy one-hot CFCQL policy, stochastic OMIGA policy, options in the record" {
            for algo, key, hyper in [ "cfcql", "CqlAlpha", [ "softmax_temp", 1.0 ]; "omiga", "Alpha", [ "alpha", 0.1 ] ] do
                let root = TestPaths.scratchDir ("vd-" + algo)
                let r = Runner.Run(spec "xor" "b" algo 0 root hyper, RunControl(ProfileOverride = tiny))
                Expect.equal r.Steps tiny.TotalSteps (algo + ": every step")
                Expect.isTrue (r.Metrics["return"] >= -2.0 && r.Metrics["return"] <= 1.0) (algo + ": return within XOR's range")
                for p in r.FinalPolicy do Expect.floatClose Accuracy.high (Array.sum p) 1.0 (algo + ": a distribution per agent")
                if algo = "cfcql" then
                    for p in r.FinalPolicy do Expect.equal (Array.sort p) [| 0.0; 1.0 |] "greedy: one-hot"
                let record = File.ReadAllText r.RecordPath
                Expect.stringContains record (sprintf "\"%s\"" key) (algo + ": options written to the record")
                let e = TestPaths.catchException<ArgumentException> (fun () ->
                    Runner.Run(spec "xor" "b" algo 0 root [ "alpah", 1.0 ], RunControl(ProfileOverride = tiny)) |> ignore)
                Expect.stringContains e.Message "alpah" (algo + ": unknown hyperparameter named")
        }

        test "OMIGA relaxed: with α small, the local greedy actions of the linear decomposition win on XOR (b): (B, B)" {
            // The decomposition's fixed point on (b) ({AA, AB, BA}) has Qⁱ(B) − Qⁱ(A) = 1/wᵢ for both agents, so
            // πⁱ ∝ μⁱ exp(w̄ᵢQ̄ⁱ/α) puts its mass on B as α → 0 (Figure 3's OOD pick), while α = 10 stays near μⁱ(B) = 1/3.
            let budget = Profile("vd", 0, 400, 64, 32, 1000, 50, 32)
            let root = TestPaths.scratchDir "vd-relaxed"
            let relaxed = Runner.Run(spec "xor" "b" "omiga" 0 root [ "alpha", 0.1 ], RunControl(ProfileOverride = budget))
            for p in relaxed.FinalPolicy do Expect.isGreaterThan p[1] 0.9 (sprintf "π(B) = %.3f" p[1])
            let standard = Runner.Run(spec "xor" "b" "omiga" 0 root [], RunControl(ProfileOverride = budget))
            for p in standard.FinalPolicy do Expect.isLessThan p[1] 0.5 (sprintf "α = 10: π(B) = %.3f" p[1])
        }
    ]
