/// FsCheck generators of random cooperative games for the theory properties (SPEC 2):
/// N ∈ {2,3}, |Aⁱ| ∈ {2..4}, random rewards, random full-support μ, α ∈ (0.05, 5], β ∈ [0, 5],
/// and small tabular Markov games with γ < 1. Numbers come from a System.Random seeded by the
/// generated seed, so a failing case prints everything needed to rebuild it.
module InSPO.Tests.GameGenerators

open System
open FsCheck
open FsCheck.FSharp
open InSPO.Tabular

/// A game with a behaviour policy and regularisation weights.
type GameCase =
    { Game: TabularGame
      Behaviour: ProductPolicy
      Alpha: float
      Beta: float
      Seed: int
      Description: string }
    override c.ToString() = c.Description

let private uniform (rng: Random) lo hi = lo + (hi - lo) * rng.NextDouble()

/// A random distribution with every probability ≥ floor / size (full support).
let randomDistribution (rng: Random) (size: int) (floor: float) =
    let w = Array.init size (fun _ -> floor + rng.NextDouble())
    let s = Array.sum w
    w |> Array.map (fun x -> x / s)

let randomPolicy (rng: Random) (states: int) (counts: int[]) =
    ProductPolicy(states, counts, counts |> Array.map (fun a -> Array.init states (fun _ -> randomDistribution rng a 0.05) |> Array.concat))

let private buildGame (rng: Random) (counts: int[]) (states: int) =
    let joint = Array.fold (*) 1 counts
    let scale = [| 1.0; 5.0; 20.0 |].[rng.Next 3]
    let reward = Array.init (states * joint) (fun _ -> uniform rng -scale scale)
    if states = 1 then TabularGame.Matrix(counts, reward)
    else
        let gamma = uniform rng 0.3 0.95
        // Each row keeps a random mass ∈ [0.7, 1]; the rest is the chance the episode ends.
        let transition =
            Array.init (states * joint) (fun _ ->
                let stay = uniform rng 0.7 1.0
                randomDistribution rng states 0.0 |> Array.map ((*) stay))
            |> Array.concat
        let initial = randomDistribution rng states 0.1
        TabularGame(counts, states, reward, transition, gamma, initial)

let private caseGen (states: Gen<int>) =
    gen {
        let! n = Gen.choose (2, 3)
        let! counts = Gen.arrayOfLength n (Gen.choose (2, 4))
        let! s = states
        let! seed = Gen.choose (0, Int32.MaxValue - 1)
        let! betaIsZero = Gen.elements [ true; false; false; false ]
        let rng = Random seed
        let game = buildGame rng counts s
        let mu = randomPolicy rng s counts
        let alpha = uniform rng 0.05 5.0 |> max 0.0501
        let beta = if betaIsZero then 0.0 else uniform rng 0.0 5.0
        let desc =
            sprintf "N=%d A=%A S=%d γ=%.3f α=%.4f β=%.4f seed=%d" n counts s game.Gamma alpha beta seed
        return { Game = game; Behaviour = mu; Alpha = alpha; Beta = beta; Seed = seed; Description = desc }
    }

/// One-step matrix games.
let matrixGames = caseGen (Gen.constant 1) |> Arb.fromGen
/// Tabular Markov games with 2–4 states and γ < 1.
let markovGames = caseGen (Gen.choose (2, 4)) |> Arb.fromGen
/// Either kind, half and half.
let anyGames = Gen.oneof [ caseGen (Gen.constant 1); caseGen (Gen.choose (2, 4)) ] |> Arb.fromGen

let regularizer (c: GameCase) = Regularizer(c.Behaviour, c.Alpha, c.Beta)

/// A uniformly random permutation of the agents, from the case's own seed.
let randomOrder (c: GameCase) =
    let rng = Random(c.Seed + 1)
    let p = Array.init c.Game.Agents id
    for i in p.Length - 1 .. -1 .. 1 do
        let j = rng.Next(i + 1)
        let t = p.[i] in p.[i] <- p.[j]; p.[j] <- t
    p
