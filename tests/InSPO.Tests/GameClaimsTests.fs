/// The game-specific claims of SPEC 2: T6 (IGM failure), T7 (sequential vs simultaneous on XOR),
/// T8 (entropy on M-NE), as properties over seeds of data generation and update order.
module InSPO.Tests.GameClaimsTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open InSPO.Data
open InSPO.Envs
open InSPO.Tabular

let config = { FsCheckConfig.defaultConfig with maxTest = 100 }

let private seeds = Gen.choose (0, Int32.MaxValue - 1) |> Arb.fromGen

/// μ counted from a freshly generated dataset (100 episodes × 50 steps, as AlberDICE's buffers).
let countedBehaviour (game: MatrixGame) dataset seed =
    BehaviourEstimate.FromDataset(MatrixGameDatasets.Record(game, dataset, 100, 50, seed), game)

let solveXor dataset seed scheme =
    let mu = countedBehaviour MatrixGames.Xor dataset seed
    TabularInspo.Run(MatrixGames.Xor.Tabular, mu, TabularInspoOptions.ForXor.With(seed, scheme))

// ---------------------------------------------------------------- T6
/// Least-squares VDN fit Q(a¹,a²) = Q¹(a¹) + Q²(a²) weighted by the counts of each joint action.
/// A tiny ridge term picks the minimum-norm solution when the data leave the fit underdetermined.
let fitVdn (counts: (int * int * float) list) (reward: int -> int -> float) =
    let design = Array2D.zeroCreate 4 4
    let rhs = Array.zeroCreate 4
    for (a1, a2, n) in counts do
        let x = Array.zeroCreate 4
        x.[a1] <- 1.0
        x.[2 + a2] <- 1.0
        for r in 0 .. 3 do
            rhs.[r] <- rhs.[r] + n * x.[r] * reward a1 a2
            for c in 0 .. 3 do design.[r, c] <- design.[r, c] + n * x.[r] * x.[c]
    let total = counts |> List.sumBy (fun (_, _, n) -> n)
    let flat = Array.init 16 (fun k -> design.[k / 4, k % 4] + (if k / 4 = k % 4 then 1e-9 * total else 0.0))
    DenseLinearSolver.Solve(flat, rhs)   // [Q¹(A); Q¹(B); Q²(A); Q²(B)]

let xorReward a1 a2 = MatrixGames.Xor.Rewards.[a1 * 2 + a2]

/// QMIX-style monotone mixer Q_tot = w₂ᵀ elu(W₁ [Q¹(a¹); Q²(a²)] + b₁) + b₂ with W₁ = |W₁raw|, w₂ = |w₂raw|
/// (non-negative, hence monotone in each Qⁱ), fitted jointly with the per-agent tables by Adam on the
/// count-weighted squared error. Plain doubles with hand-written gradients: a dozen parameters do not
/// need libtorch, and this keeps 100 cases fast.
let fitQmix (counts: (int * int * float) list) seed =
    let hidden = 8
    let rng = Random seed
    // layout: q1(2) q2(2) W1raw(hidden×2) b1(hidden) w2raw(hidden) b2(1)
    let iQ1, iQ2, iW1 = 0, 2, 4
    let iB1 = iW1 + 2 * hidden
    let iW2 = iB1 + hidden
    let iB2 = iW2 + hidden
    let theta = Array.init (iB2 + 1) (fun _ -> 0.5 * (rng.NextDouble() * 2.0 - 1.0))
    let total = counts |> List.sumBy (fun (_, _, n) -> n)
    let lossAndGrad (grad: float[]) =
        Array.fill grad 0 grad.Length 0.0
        let mutable loss = 0.0
        for (a1, a2, n) in counts do
            let x = [| theta.[iQ1 + a1]; theta.[iQ2 + a2] |]
            let z = Array.init hidden (fun h -> abs theta.[iW1 + 2 * h] * x.[0] + abs theta.[iW1 + 2 * h + 1] * x.[1] + theta.[iB1 + h])
            let act = z |> Array.map (fun v -> if v > 0.0 then v else exp v - 1.0)
            let y = (Array.init hidden (fun h -> abs theta.[iW2 + h] * act.[h]) |> Array.sum) + theta.[iB2]
            let err = y - xorReward a1 a2
            loss <- loss + n * err * err / total
            let dy = 2.0 * n * err / total
            grad.[iB2] <- grad.[iB2] + dy
            for h in 0 .. hidden - 1 do
                grad.[iW2 + h] <- grad.[iW2 + h] + dy * act.[h] * float (sign theta.[iW2 + h])
                let dz = dy * abs theta.[iW2 + h] * (if z.[h] > 0.0 then 1.0 else exp z.[h])
                grad.[iB1 + h] <- grad.[iB1 + h] + dz
                for k in 0 .. 1 do
                    grad.[iW1 + 2 * h + k] <- grad.[iW1 + 2 * h + k] + dz * x.[k] * float (sign theta.[iW1 + 2 * h + k])
                grad.[iQ1 + a1] <- grad.[iQ1 + a1] + dz * abs theta.[iW1 + 2 * h]
                grad.[iQ2 + a2] <- grad.[iQ2 + a2] + dz * abs theta.[iW1 + 2 * h + 1]
        loss
    // Adam
    let m = Array.zeroCreate theta.Length
    let v = Array.zeroCreate theta.Length
    let grad = Array.zeroCreate theta.Length
    let lr, b1, b2 = 0.01, 0.9, 0.999
    let mutable loss = infinity
    for t in 1 .. 15000 do
        loss <- lossAndGrad grad
        for k in 0 .. theta.Length - 1 do
            m.[k] <- b1 * m.[k] + (1.0 - b1) * grad.[k]
            v.[k] <- b2 * v.[k] + (1.0 - b2) * grad.[k] * grad.[k]
            let mHat = m.[k] / (1.0 - b1 ** float t)
            let vHat = v.[k] / (1.0 - b2 ** float t)
            theta.[k] <- theta.[k] - lr * mHat / (sqrt vHat + 1e-12)
    lossAndGrad grad, theta.[iQ1 .. iQ1 + 1], theta.[iQ2 .. iQ2 + 1]

let private xorCounts =
    gen {
        let! aa = Gen.choose (1, 2000)
        let! ab = Gen.choose (1, 2000)
        let! ba = Gen.choose (1, 2000)
        let! seed = Gen.choose (0, 100000)
        return (aa, ab, ba, seed)
    } |> Arb.fromGen

let t6 =
    testList "T6 (IGM failure, Appendix D)" [
        testPropertyWithConfig config "VDN fitted to XOR (b) data prefers B for each agent: greedy (B,B) is OOD" <|
            Prop.forAll xorCounts (fun (aa, ab, ba, _) ->
                let q = fitVdn [ 0, 0, float aa; 0, 1, float ab; 1, 0, float ba ] xorReward
                Expect.isGreaterThan q.[1] (q.[0] + 0.5) "Q¹(B) > Q¹(A)"
                Expect.isGreaterThan q.[3] (q.[2] + 0.5) "Q²(B) > Q²(A)")

        testPropertyWithConfig { config with maxTest = 100 } "a monotone QMIX mixer fitted to XOR (b) data prefers B for each agent" <|
            Prop.forAll xorCounts (fun (aa, ab, ba, seed) ->
                let loss, q1, q2 = fitQmix [ 0, 0, float aa; 0, 1, float ab; 1, 0, float ba ] seed
                Expect.isLessThan loss 1e-3 "the mixer fits the three in-sample joint actions"
                Expect.isGreaterThan q1.[1] q1.[0] "Q¹(B) > Q¹(A)"
                Expect.isGreaterThan q2.[1] q2.[0] "Q²(B) > Q²(A)")

        // SPEC says dataset (a); there the fit is underdetermined: {AB, BA} fix only Q¹(A)+Q²(B) and
        // Q¹(B)+Q²(A), so nothing ranks A against B. The minimum-norm VDN solution ties them.
        test "on XOR (a) the IGM fit is underdetermined: minimum-norm VDN ties A and B" {
            let q = fitVdn [ 0, 1, 2511.0; 1, 0, 2589.0 ] xorReward
            Expect.floatClose Accuracy.medium q.[0] q.[1] "Q¹(A) = Q¹(B)"
            Expect.floatClose Accuracy.medium q.[2] q.[3] "Q²(A) = Q²(B)"
        }
    ]

// ---------------------------------------------------------------- T7
let t7 =
    testList "T7 (sequential vs simultaneous on XOR)" [
        for dataset in [ "a"; "b"; "c" ] do
            testPropertyWithConfig config (sprintf "XOR (%s): the sequential update reaches ≥ 0.99" dataset) <|
                Prop.forAll seeds (fun seed ->
                    let sequential = solveXor dataset seed UpdateScheme.Sequential
                    Expect.isGreaterThanOrEqual sequential.ExpectedReturn 0.99 "sequential return")
        for dataset in [ "a"; "c" ] do
            testPropertyWithConfig config (sprintf "XOR (%s): the simultaneous update picks the OOD (B,B)" dataset) <|
                Prop.forAll seeds (fun seed ->
                    let simultaneous = solveXor dataset seed UpdateScheme.Simultaneous
                    Expect.isLessThan simultaneous.ExpectedReturn -1.9 "simultaneous return (B,B) = −2")
        // On (b) the simultaneous update fails only while both agents' marginals are exactly equal:
        // then its dynamics stay symmetric and cannot anti-coordinate. Marginals counted from sampled
        // data differ slightly and it sometimes escapes (see the issue note for the measured rate).
        test "XOR (b) with its exact symmetric μ: the simultaneous update stays < 0.9 (and the sequential one does not)" {
            let mu = MatrixGames.Xor.Dataset("b").Behaviour(MatrixGames.Xor)
            let run scheme = TabularInspo.Run(MatrixGames.Xor.Tabular, mu, TabularInspoOptions.ForXor.With(0, scheme))
            Expect.isLessThan (run UpdateScheme.Simultaneous).ExpectedReturn 0.9 "simultaneous return"
            Expect.isGreaterThanOrEqual (run UpdateScheme.Sequential).ExpectedReturn 0.99 "sequential return"
        }
        // The paper's own datasets: AlberDICE's XOR buffers (SPEC 5.1), μ counted from them.
        for name, folder, simultaneousBelow in [ "a", "buffer_02_20", -1.9; "b", "buffer_00_02_20", 0.9; "c", "buffer_random", -1.9 ] do
            test (sprintf "the paper's XOR (%s) buffer: sequential ≥ 0.99, simultaneous < %g" name simultaneousBelow) {
                let path = IO.Path.Combine(TestPaths.sharedData, "xor_alberdice", folder)
                if not (IO.Directory.Exists path) then skiptestf "reference data %s is absent" path
                let mu = BehaviourEstimate.FromDataset(PymarlImporter.Import(path, "xor"), MatrixGames.Xor)
                let run scheme = TabularInspo.Run(MatrixGames.Xor.Tabular, mu, TabularInspoOptions.ForXor.With(0, scheme))
                Expect.isGreaterThanOrEqual (run UpdateScheme.Sequential).ExpectedReturn 0.99 "sequential"
                Expect.isLessThan (run UpdateScheme.Simultaneous).ExpectedReturn simultaneousBelow "simultaneous"
            }
    ]

// ---------------------------------------------------------------- T8
let t8 =
    testPropertyWithConfig config "T8 (entropy): on M-NE imbalanced β = 0 ends at (A,A), decaying β > 0 reaches (C,C)" <|
        Prop.forAll seeds (fun seed ->
            let mu = countedBehaviour MatrixGames.Mne "imbalanced" seed
            let run beta0 =
                TabularInspo.Run(MatrixGames.Mne.Tabular, mu, TabularInspoOptions.ForMne.With(seed, UpdateScheme.Sequential, beta0 = Nullable beta0))
            let noEntropy = run 0.0
            let entropy = run 5.0
            let mode (r: TabularInspoResult) i = r.Policy.Probabilities.[i] |> Array.indexed |> Array.maxBy snd |> fst
            Expect.equal [ mode noEntropy 0; mode noEntropy 1 ] [ 0; 0 ] "β = 0 ends at (A,A)"
            Expect.isGreaterThanOrEqual entropy.ExpectedReturn 19.5 "β₀ = 5 reaches (C,C)"
            Expect.equal [ mode entropy 0; mode entropy 1 ] [ 2; 2 ] "β₀ = 5 ends at (C,C)")

[<Tests>]
let tests = testList "theory" [ t6; t7; t8 ]
