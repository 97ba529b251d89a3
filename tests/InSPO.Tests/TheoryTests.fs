/// The theory claims of SPEC 2 (T1–T8) checked as properties over random games.
module InSPO.Tests.TheoryTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open InSPO.Tabular
open InSPO.Envs
open InSPO.Tests.GameGenerators

/// ≥ 100 cases per property (SPEC 2 / issue 2).
let config = { FsCheckConfig.defaultConfig with maxTest = 100 }

let private close tol (a: float) (b: float) = abs (a - b) <= tol * (1.0 + abs a + abs b)

// ---------------------------------------------------------------- T1
/// Σ p q − α KL(p‖μ) + β H(p), the per-agent objective of Eq. 18 in one state.
let perAgentObjective (q: float[]) (mu: float[]) alpha beta (p: float[]) =
    Array.mapi (fun a pa ->
        if pa <= 0.0 then 0.0
        else pa * q.[a] - alpha * pa * log (pa / mu.[a]) - beta * pa * log pa) p
    |> Array.sum

/// Exponentiated-gradient ascent on the simplex: a numerical optimiser that only uses the gradient.
let exponentiatedGradient (q: float[]) (mu: float[]) alpha beta =
    let eta = 0.3 / (alpha + beta)
    let mutable p = Array.create q.Length (1.0 / float q.Length)
    for _ in 1 .. 400 do
        let g = p |> Array.mapi (fun a pa -> q.[a] - alpha * (log pa - log mu.[a] + 1.0) - beta * (log pa + 1.0))
        let w = Array.map2 (fun pa ga -> pa * exp (eta * ga)) p g
        let s = Array.sum w
        p <- w |> Array.map (fun x -> x / s)
    p

type ClosedFormCase =
    { Q: float[]; Mu: float[]; Alpha: float; Beta: float; Seed: int }

let closedFormCases =
    gen {
        let! size = Gen.choose (2, 4)
        let! seed = Gen.choose (0, Int32.MaxValue - 1)
        let! betaIsZero = Gen.elements [ true; false; false ]
        let rng = Random seed
        let scale = [| 1.0; 5.0; 20.0 |].[rng.Next 3]
        return
            { Q = Array.init size (fun _ -> scale * (2.0 * rng.NextDouble() - 1.0))
              Mu = randomDistribution rng size 0.05
              Alpha = max 0.0501 (0.05 + 4.95 * rng.NextDouble())
              Beta = if betaIsZero then 0.0 else 5.0 * rng.NextDouble()
              Seed = seed }
    }
    |> Arb.fromGen

let t1 =
    testPropertyWithConfig config "T1 (KKT, Prop. 3/7): the closed form maximises the per-agent objective" <|
        Prop.forAll closedFormCases (fun c ->
            let reg = Regularizer(ProductPolicy.StateIndependent(1, [| c.Mu |]), c.Alpha, c.Beta)
            let star = Array.zeroCreate c.Q.Length
            reg.ClosedForm(ReadOnlySpan c.Q, ReadOnlySpan c.Mu, Span star)
            let f = perAgentObjective c.Q c.Mu c.Alpha c.Beta
            let best = f star
            let rng = Random(c.Seed + 7)
            // random distributions on the simplex
            for _ in 1 .. 50 do
                let p = randomDistribution rng c.Q.Length 0.0
                Expect.isGreaterThanOrEqual best (f p - 1e-12) "a random distribution scores higher"
            // small perturbations of the closed form along random tangent directions
            for _ in 1 .. 50 do
                let d = Array.init c.Q.Length (fun _ -> rng.NextDouble() - 0.5)
                let mean = Array.average d
                let eps = 1e-3 * rng.NextDouble()
                let p = Array.map2 (fun s di -> s + eps * (di - mean)) star d
                if Array.forall (fun x -> x >= 0.0) p then
                    Expect.isGreaterThanOrEqual best (f p - 1e-12) "a perturbed distribution scores higher"
            // a numerical optimiser lands on the same point
            let opt = exponentiatedGradient c.Q c.Mu c.Alpha c.Beta
            Expect.isGreaterThanOrEqual best (f opt - 1e-10) "the optimiser beats the closed form"
            for a in 0 .. c.Q.Length - 1 do
                Expect.floatClose Accuracy.medium opt.[a] star.[a] "optimiser and closed form disagree")

// ---------------------------------------------------------------- T2
/// After one round from π_old (a random full-support policy), Q_new ≥ Q_old and V_new ≥ V_old everywhere.
let monotoneImprovement (scheme: UpdateScheme) (c: GameCase) =
    let old = randomPolicy (Random(c.Seed + 3)) c.Game.States c.Game.ActionCounts
    let reg = regularizer c
    let before = PolicyEvaluation.LinearSolve(c.Game, old, reg)
    let updated = TabularInspo.ImprovementRound(c.Game, old, reg, randomOrder c, scheme)
    let after = PolicyEvaluation.LinearSolve(c.Game, updated, reg)
    let ok (n: float) (o: float) = n >= o - 1e-9 * (1.0 + abs o)
    Array.forall2 ok after.Q before.Q && Array.forall2 ok after.V before.V

let t2 =
    testPropertyWithConfig config "T2 (monotonic improvement, Prop. 4/8): one sequential round never lowers Q or V" <|
        Prop.forAll anyGames (fun c -> monotoneImprovement UpdateScheme.Sequential c)

let t2CanFail =
    test "T2 is sensitive: the simultaneous update lowers V on XOR from the uniform policy" {
        // μ = π_old uniform: every agent alone prefers A (Qⁱ(A) = 0.5 > Qⁱ(B) = −0.5), so updating
        // both against OLD teammates moves both towards A, onto r(A,A) = 0 and pays the KL.
        let mu = ProductPolicy.Uniform(1, [| 2; 2 |])
        let c = { Game = MatrixGames.Xor.Tabular; Behaviour = mu; Alpha = 0.1; Beta = 0.0; Seed = 0; Description = "xor" }
        let reg = regularizer c
        let before = PolicyEvaluation.LinearSolve(c.Game, mu, reg).V.[0]
        let sim = TabularInspo.ImprovementRound(c.Game, mu, reg, [| 0; 1 |], UpdateScheme.Simultaneous)
        let seq = TabularInspo.ImprovementRound(c.Game, mu, reg, [| 0; 1 |], UpdateScheme.Sequential)
        Expect.isLessThan (PolicyEvaluation.LinearSolve(c.Game, sim, reg).V.[0]) (before - 0.01) "simultaneous lowers V"
        Expect.isGreaterThanOrEqual (PolicyEvaluation.LinearSolve(c.Game, seq, reg).V.[0]) before "sequential does not"
    }

// ---------------------------------------------------------------- T3
/// Iterates rounds at a fixed β until the policy stops moving.
let iterateToFixedPoint (c: GameCase) =
    let reg = regularizer c
    let rng = Random(c.Seed + 5)
    let rec loop (p: ProductPolicy) round =
        let order = Array.init c.Game.Agents id |> Array.sortBy (fun _ -> rng.Next())
        let next = TabularInspo.ImprovementRound(c.Game, p, reg, order, UpdateScheme.Sequential)
        if next.MaxAbsDifference p < 1e-13 then next, round
        elif round >= 20000 then failwithf "no convergence in 20000 rounds (%s)" c.Description
        else loop next (round + 1)
    loop (c.Behaviour.Clone()) 1

let t3 =
    testPropertyWithConfig config "T3 (convergence, Thm. 5/10): rounds converge to a QRE (gap < 1e-6)" <|
        Prop.forAll anyGames (fun c ->
            let fixedPoint, _ = iterateToFixedPoint c
            let gap = QreGap.Compute(c.Game, fixedPoint, regularizer c)
            Expect.isLessThan gap.Gap 1e-6 (sprintf "QRE gap %g" gap.Gap)
            Expect.isGreaterThanOrEqual (Array.min gap.PerAgent) -1e-9 "a best response cannot be worse than the policy")

let t3CanFail =
    test "T3 is sensitive: the behaviour policy itself is not a QRE of XOR" {
        let mu = ProductPolicy.Uniform(1, [| 2; 2 |])
        let gap = QreGap.Compute(MatrixGames.Xor.Tabular, mu, Regularizer(mu, 0.1, 0.0))
        Expect.isGreaterThan gap.Gap 0.1 "uniform play leaves a profitable deviation"
    }

// ---------------------------------------------------------------- T4
let t4 =
    testPropertyWithConfig config "T4 (advantage decomposition, Lemma 9): A(s,a) = Σₙ Aⁱⁿ(s, a^{i_{1:n-1}}, aⁱⁿ)" <|
        Prop.forAll anyGames (fun c ->
            let g = c.Game
            let pi = randomPolicy (Random(c.Seed + 11)) g.States g.ActionCounts
            let q = PolicyEvaluation.LinearSolve(g, pi, regularizer c).Q
            let joint = PolicyEvaluation.JointProbabilities(g, pi)
            let order = randomOrder c
            for s in 0 .. g.States - 1 do
                let expectedQ = Seq.sum (seq { for j in 0 .. g.JointActions - 1 -> joint.[s * g.JointActions + j] * q.[s * g.JointActions + j] })
                for a in 0 .. g.JointActions - 1 do
                    let fixedAfter n = Array.init g.Agents (fun k -> Array.IndexOf(order, k) < n)
                    let prefixQ n = TeammateMarginals.ConditionalQ(g, q, s, fixedAfter n, a, pi.Probabilities)
                    let decomposed = Seq.sum (seq { for n in 1 .. g.Agents -> prefixQ n - prefixQ (n - 1) })
                    let direct = q.[s * g.JointActions + a] - expectedQ
                    Expect.isTrue (close 1e-10 direct decomposed) (sprintf "s=%d a=%d: %g vs %g" s a direct decomposed)
                    // each agent's advantage has zero mean under its own policy (it is an advantage)
                    for n in 1 .. g.Agents do
                        let i = order.[n - 1]
                        let mean =
                            Seq.sum (seq {
                                for ai in 0 .. g.ActionCounts.[i] - 1 do
                                    let acts = Array.init g.Agents (fun k -> g.ActionOf(a, k))
                                    acts.[i] <- ai
                                    let a' = g.JointIndex(ReadOnlySpan acts)
                                    let pq m = TeammateMarginals.ConditionalQ(g, q, s, fixedAfter m, a', pi.Probabilities)
                                    yield pi.Probabilities.[i].[s * g.ActionCounts.[i] + ai] * (pq n - pq (n - 1)) })
                        Expect.isTrue (close 1e-10 mean 0.0) (sprintf "agent %d advantage mean %g" i mean))

// ---------------------------------------------------------------- T5
let t5 =
    testPropertyWithConfig config "T5 (policy evaluation, Lemma 2/6): iterating Eq. 10 from any Q reaches the linear solve" <|
        Prop.forAll markovGames (fun c ->
            let g = c.Game
            let rng = Random(c.Seed + 13)
            let pi = randomPolicy rng g.States g.ActionCounts
            let start = Array.init (g.States * g.JointActions) (fun _ -> 200.0 * (rng.NextDouble() - 0.5))
            let solved = PolicyEvaluation.LinearSolve(g, pi, regularizer c)
            let struct (iterated, sweeps) = PolicyEvaluation.Iterate(g, pi, regularizer c, start)
            Expect.isGreaterThan sweeps 1 "iteration actually iterated"
            for k in 0 .. solved.Q.Length - 1 do
                Expect.isTrue (close 1e-9 solved.Q.[k] iterated.Q.[k]) (sprintf "Q[%d]: %g vs %g" k solved.Q.[k] iterated.Q.[k])
            for s in 0 .. g.States - 1 do
                Expect.isTrue (close 1e-9 solved.V.[s] iterated.V.[s]) (sprintf "V[%d]" s))

[<Tests>]
let tests = testList "theory" [ t1; t2; t2CanFail; t3; t3CanFail; t4; t5 ]
