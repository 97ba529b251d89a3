/// The pieces a seed ensemble is built from, each against what one seed's run does alone.
module InSPO.Tests.EnsembleNetTests

open Expecto
open TorchSharp
open InSPO.Nets
open InSPO.Algorithms

let private close (a: torch.Tensor) (b: torch.Tensor) = torch.allclose(a, b, rtol = 1e-5, atol = 1e-6)

[<Tests>]
let tests =
    testList "ensemble nets" [
        testProperty "MemberAdam steps exactly the members named, each as PyTorch's Adam on that member alone" <| fun (seed: uint16) ->
            let members, lr = 3L, 0.01
            use g = new torch.Generator(uint64 seed)
            let weights = new Modules.Parameter(torch.randn([| members; 4L; 5L |], generator = g))
            let adam = new MemberAdam("adam", [ weights ], lr)
            // the reference: one ordinary parameter and Adam per member
            let singles = [| for k in 0L .. members - 1L -> new Modules.Parameter(weights[k].detach().clone()) |]
            let references = singles |> Array.map (fun p -> torch.optim.Adam([ p ], lr))
            let schedule = [ [ 0L; 2L ]; [ 1L ]; [ 0L; 1L; 2L ]; [ 2L ]; [ 0L ]; [ 1L; 2L ] ]
            let mutable ok = true
            for stepped in schedule do
                let grad = torch.randn([| members; 4L; 5L |], generator = g)
                let before = weights.detach().clone()
                adam.ZeroGrad()
                (weights * grad).sum().backward()
                adam.Step(torch.tensor(Array.ofList stepped))
                for k in stepped do
                    references[int k].zero_grad()
                    (singles[int k] * grad[k]).sum().backward()
                    references[int k].step() |> ignore
                for k in 0L .. members - 1L do
                    if List.contains k stepped then ok <- ok && close (weights[k].detach()) (singles[int k].detach())
                    else ok <- ok && weights[k].detach().eq(before[k]).all().item<bool>()
            ok

        testProperty "Eq. 23 with a member's own agent per row equals the per-agent form" <| fun (seed: uint16) ->
            use g = new torch.Generator(uint64 seed)
            let agents, rows = 4, 7L
            let logPi = -(torch.rand([| rows; int64 agents |], generator = g) * 3.0)
            let logMu = -(torch.rand([| rows |], generator = g) * 3.0)
            let columns = [| for j in 0 .. agents - 1 -> logPi.select(1, int64 j) |]
            [ 0 .. agents - 1 ] |> List.forall (fun i ->
                let own = torch.tensor(Array.create (int rows) (int64 i))
                close (InspoObjectives.ImportanceRatio(logPi, own, logMu, 100.0)) (InspoObjectives.ImportanceRatio(columns, i, logMu, 100.0)))
    ]
