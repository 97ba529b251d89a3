/// Seed ensembles on SMAC-lite: the recurrent pieces against one network each, and BC, OMAR, CFCQL, OMIGA and InSPO ensembles
/// against their single runs step by step (losses and final policies), and a killed recurrent group resumed.
module InSPO.Tests.SmacEnsembleTests

open System
open System.IO
open System.Collections.Generic
open Expecto
open TorchSharp
open InSPO.Algorithms
open InSPO.Data
open InSPO.Envs.Smac
open InSPO.Nets
open InSPO.Training
open InSPO.Tests.RunFixtures

let private map = SmacMaps.Get "5m_vs_6m"

/// Focus fire (long episodes) and random play (short ones): members' batches have different lengths.
let private data =
    lazy (EpisodeDataset.Concatenate(SmacRunEnvironment.ScriptedDataset(map, ScriptedPolicies.FocusFire, 8, 1),
                                     SmacRunEnvironment.ScriptedDataset(map, ScriptedPolicies.Random, 8, 2)))

/// 4 behaviour steps, then 6 training steps, 8 episodes per batch.
let private budget = Profile("ensemble-smac", 4, 10, 32, 4, 20, 5, 32)

let private exactly (hyper: (string * float) list) =
    Dictionary<string, float>(dict hyper) :> IReadOnlyDictionary<string, float>

/// 8 episodes per batch, and the rest.
let private hyperOf (hyper: (string * float) list) = exactly (("episode_batch", 8.0) :: hyper)

let private closeWithin (rtol: float) (a: torch.Tensor) (b: torch.Tensor) = torch.allclose(a, b, rtol = rtol, atol = rtol / 10.0)
let private close = closeWithin 1e-4

/// InSPO draws its rows ∝ ρ (Eq. 23) with a multinomial draw. An ensemble's batched kernels may round ρ differently
/// from one member's in the last bit (on this session's AMD EPYC: 1e-7 apart, bit-equal on the CPU before it), and a
/// draw that falls that close to a boundary takes the neighbouring row: member and single run then part by ~1e-3 at
/// that step (measured: step 12 of 14, policy loss 9e-4, critic 7e-5) and stay ~1e-5 apart. With rho_max tiny every ρ
/// is the clamp, every draw the same row, and the two must agree to rounding; the default ρ is checked within 1e-2.
let private uniformRho = [ "rho_max", 1e-6 ]

/// Member s of an ensemble (with hyperparameters memberHyper[s]) and the single learner of seed s with the same
/// hyperparameters, stepped side by side on `dataset` with the same generators for `profile`'s steps: every loss of
/// every step within `tolerance` (relative). Returns the ensemble and the single learners, stepped.
let private stepSideBySideWithin tolerance algo (dataset: EpisodeDataset) (profile: Profile) (memberHyper: IReadOnlyDictionary<string, float>[]) =
    // one intra-op thread, as every run (Runner): OMAR's critic takes ~70 small updates a step here, and a second
    // thread waiting for a busy core slows each of them a hundredfold
    torch.set_num_threads 1
    let spec, members = dataset.Spec, memberHyper.Length
    let inits = [| for s in 0 .. members - 1 -> new torch.Generator(uint64 s) |]
    let ensemble = nonNull (Ensembles.TryCreateMembers(algo, spec, memberHyper, profile, torch.CPU, inits))
    let singles = [| for s in 0 .. members - 1 -> Learners.Create(algo, spec, memberHyper[s], profile, torch.CPU, new torch.Generator(uint64 s)) |]
    let buffers = [| for _ in 1 .. members -> new DeviceEpisodeBuffer(dataset, torch.CPU) |]
    let ensembleDraws = [| for s in 0 .. members - 1 -> new torch.Generator(uint64 (100 + s)) |]
    let singleDraws = [| for s in 0 .. members - 1 -> new torch.Generator(uint64 (100 + s)) |]
    for step in 0L .. profile.TotalSteps - 1L do
        use _ = torch.NewDisposeScope()
        let together = ensemble.Step(step, profile.TotalSteps, buffers, ensembleDraws)
        for s in 0 .. members - 1 do
            let alone = singles[s].Step(step, profile.TotalSteps, buffers[s], singleDraws[s])
            Expect.equal [ for kv in together[s] -> kv.Key ] [ for kv in alone -> kv.Key ] (sprintf "%s step %d seed %d: the same losses" algo step s)
            for (a, b) in Seq.zip together[s] alone do
                Expect.floatClose { absolute = tolerance / 10.0; relative = tolerance } a.Value b.Value (sprintf "%s step %d seed %d: %s" algo step s a.Key)
    ensemble, singles

let private stepSideBySide algo = stepSideBySideWithin 1e-4 algo

/// stepSideBySide on the SMAC-lite data, two members with the same hyperparameters (or each its own), then the same
/// action probabilities along the data's episodes at the end, all within `tolerance` (relative).
let private sideBySideWithinOn profile tolerance algo (memberHyper: IReadOnlyDictionary<string, float> list) =
    let ensemble, singles = stepSideBySideWithin tolerance algo data.Value profile (Array.ofList memberHyper)
    use ensemble = ensemble
    let members = singles.Length
    // the final policies, stepped along every episode of the data (hidden states threaded as in evaluation)
    use buffer = new DeviceEpisodeBuffer(data.Value, torch.CPU)
    let batch = buffer.GatherEpisodes(torch.arange(int64 buffer.Episodes))
    let last = batch.LastActions
    for s in 0 .. members - 1 do
        let policy = ensemble.Member s
        let mutable h1 = policy.InitialState batch.Count
        let mutable h2 = singles[s].InitialState batch.Count
        for t in 0L .. batch.Slots - 1L do
            let struct (p1: torch.Tensor, n1) = policy.Act(batch.Observations.select(1, t), batch.Available.select(1, t), last.select(1, t), h1)
            let struct (p2: torch.Tensor, n2) = singles[s].Act(batch.Observations.select(1, t), batch.Available.select(1, t), last.select(1, t), h2)
            let filled = batch.Filled.select(1, t).gt(torch.tensor 0.0f)
            Expect.isTrue (closeWithin tolerance (p1.index_select(0L, filled.nonzero().squeeze(1L))) (p2.index_select(0L, filled.nonzero().squeeze(1L))))
                (sprintf "%s seed %d: the same policy at step %d" algo s t)
            h1 <- n1
            h2 <- n2
    for l in singles do l.Dispose()

let private sideBySideWithin tolerance algo memberHyper = sideBySideWithinOn budget tolerance algo memberHyper
let private sideBySideEach algo memberHyper = sideBySideWithin 1e-4 algo memberHyper
let private sideBySide algo hyper = sideBySideEach algo [ hyperOf hyper; hyperOf hyper ]

[<Tests>]
let tests =
    testList "SMAC-lite seed ensembles" [
        testProperty "the ensemble GRU agent equals each member's GRU agent, all members or chosen rows, and copies a member back out" <| fun (seed: uint16) ->
            let members, episodes, steps = 3, 4L, 7L
            let agents = [| for s in 0 .. members - 1 -> new RecurrentAgent("a", 6L, 8L, 5L, new torch.Generator(uint64 seed + uint64 s)) |]
            use ensemble = new EnsembleRecurrentAgent("e", agents, torch.CPU)
            use g = new torch.Generator(uint64 seed)
            let x = torch.randn([| int64 members; episodes; steps; 6L |], generator = g)
            let all = ensemble.Unroll x
            let rows = torch.tensor [| 2L; 0L |]
            let chosen = ensemble.UnrollRows(rows, x.index_select(0L, rows))
            let copy = new RecurrentAgent("c", 6L, 8L, 5L, new torch.Generator(999UL))
            ensemble.CopyMemberTo(1, copy)
            [ for s in 0 .. members - 1 -> close all[s] (agents[s].Unroll x[s]) ]
            @ [ close chosen[0] all[2]; close chosen[1] all[0]; close (copy.Unroll x[1]) all[1] ]
            |> List.forall id

        testProperty "grouped per-row clipping: each row's norm over all its groups at most the bound, as clip_grad_norm_ on that row alone" <| fun (seed: uint16) ->
            use g = new torch.Generator(uint64 seed)
            // rows = 2 agents × 3 members; group A has all 6 rows, group B (agent 1's teammate model) members 0..2 → rows 3..5
            let a = new Modules.Parameter(torch.zeros(6L, 4L))
            let b = new Modules.Parameter(torch.zeros(3L, 2L))
            a.grad <- torch.randn([| 6L; 4L |], generator = g) * 5.0f
            b.grad <- torch.randn([| 3L; 2L |], generator = g) * 5.0f
            let expected =
                [ for r in 0 .. 5 ->
                    let pa = new Modules.Parameter(torch.zeros(4L))
                    pa.grad <- (nonNull a.grad).[int64 r].clone()
                    let parts = if r >= 3 then (let pb = new Modules.Parameter(torch.zeros(2L)) in pb.grad <- (nonNull b.grad).[int64 (r - 3)].clone(); [ pa; pb ]) else [ pa ]
                    torch.nn.utils.clip_grad_norm_(parts, 1.0) |> ignore
                    parts |> List.map (fun p -> (nonNull p.grad).clone()) ]
            EnsembleLinear.ClipGradNorm([| struct (Seq.cast<torch.Tensor> [ a ], torch.arange(6L)); struct (Seq.cast<torch.Tensor> [ b ], torch.arange(3L, 6L)) |], 6L, 1.0)
            [ for r in 0 .. 5 ->
                let e = List.item r expected
                close (nonNull a.grad).[int64 r] (List.item 0 e) && (r < 3 || close (nonNull b.grad).[int64 (r - 3)] (List.item 1 e)) ]
            |> List.forall id

        test "BC, OMAR, CFCQL, OMIGA and InSPO ensembles on SMAC-lite: member s step by step the single run of seed s, to the final policy" {
            sideBySide "bc" []
            // OMAR: the critic stepped per time step, members' batches of different lengths (a member's updates end
            // with its own batch), targets copied every 3 updates; and the critic stepped once per batch. 6 steps, not
            // the budget's 14: its ~70 critic updates a step carry batched-kernel rounding forward (1e-7 apart at step
            // 0), and its argmax terms (the rectification's one-hot argmax Q, the target actor's greedy action) turn
            // that into jumps — measured on the policy-gradient term: 6e-4 apart at step 7, 3e-2 at step 9.
            let omarShort = Profile("ensemble-smac-omar", 0, 6, 32, 4, 20, 5, 32)
            for hyper in [ [ "target_interval", 3.0 ]; [ "critic_per_step", 0.0 ] ] do
                sideBySideWithinOn omarShort 1e-4 "omar" [ hyperOf hyper; hyperOf hyper ]
            // OMIGA: one MLP shared by the agents on [oⁱ, id], batches of transitions (its own size), not episodes
            sideBySideEach "omiga" [ exactly []; exactly [] ]
            sideBySide "cfcql" [ "softmax_temp", 1.0 ]
            sideBySide "inspo" uniformRho
            sideBySide "inspo" ([ "alpha_auto", 1.0; "order", 2.0 ] @ uniformRho)
            sideBySide "inspo" ([ "sequential", 0.0; "order", 1.0 ] @ uniformRho)
            sideBySide "inspo" ([ "td_lambda", 0.6 ] @ uniformRho)
            sideBySideWithin 1e-2 "inspo" [ hyperOf []; hyperOf [] ]
        }

        test "InSPO ensembles whose members set α and β apart: member s step by step the single run with its own options" {
            // recurrent (SMAC-lite): α auto-tuned towards two targets, a fixed α with a larger β₀, a fixed α with β off.
            // ρ uniform: see uniformRho.
            sideBySideEach "inspo" ([ []; [ "alpha_auto", 0.0; "alpha", 0.3; "beta0", 10.0 ]; [ "alpha_auto", 0.0; "entropy", 0.0 ]; [ "kl_target", 0.08; "beta_final_ratio", 1.0 ] ]
                                    |> List.map (fun h -> hyperOf (h @ uniformRho)))
            // the TD(λ) target with each member's α and β (S × 1 × 1 against its episode grid)
            sideBySideEach "inspo" ([ [ "td_lambda", 0.8 ]; [ "td_lambda", 0.8; "alpha_auto", 0.0; "alpha", 0.3; "beta0", 10.0 ] ]
                                    |> List.map (fun h -> hyperOf (h @ uniformRho)))
            // feed-forward (M-NE imbalanced, the smoke profile): fixed α against auto-tuned, β₀ and its decay apart
            let mne = RunEnvironments.Resolve("mne").Dataset("imbalanced", 1)
            let hyper (pairs: (string * float) list) = Dictionary<string, float>(dict pairs) :> IReadOnlyDictionary<string, float>
            let ensemble, singles =
                stepSideBySide "inspo" mne Profiles.Smoke
                    [| hyper []; hyper [ "alpha", 0.2; "beta0", 0.0 ]; hyper [ "alpha_auto", 1.0; "kl_target", 0.3 ]; hyper [ "beta_final_ratio", 0.5; "entropy", 0.0 ] |]
            Expect.equal (ensemble.MemberOptions 1 :?> InspoOptions).Alpha 0.2 "each member's options, as its record stores them"
            ensemble.Dispose()
            for l in singles do l.Dispose()
            // any other option, or another algorithm's members apart: refused, naming it
            let spec = data.Value.Spec
            let inits () = [| for s in 0 .. 1 -> new torch.Generator(uint64 s) |]
            let refused algo (members: (string * float) list list) named =
                let message =
                    try Ensembles.TryCreateMembers(algo, spec, [| for h in members -> hyperOf h |], budget, torch.CPU, inits ()) |> ignore; ""
                    with :? System.ArgumentException as e -> e.Message
                Expect.stringContains message named (sprintf "%s: refused, naming %s" algo named)
            refused "inspo" [ [ "order", 1.0 ]; [ "order", 2.0 ] ] "Order"
            refused "inspo" [ []; [ "hidden", 16.0 ] ] "Hidden"
            refused "cfcql" [ [ "softmax_temp", 1.0 ]; [ "softmax_temp", 0.5 ] ] "share every hyperparameter"
        }

        test "a killed InSPO group on SMAC-lite resumes bit-identically, its members' learning curves too" {
            let control resume stop =
                RunControl(Resume = resume, StopAfter = Option.toNullable stop, ProfileOverride = budget, DatasetOverride = data.Value, TensorBoard = false,
                           EvaluateEvery = Nullable 5L)
            let group root = RunGroup(spec "smac:5m_vs_6m" "focus-fire" "inspo" 0 root [ "episode_batch", 8.0 ], [ 0; 1; 2 ])
            let killed = group (TestPaths.scratchDir "smac-ensemble-killed")
            Expect.throwsT<RunInterruptedException> (fun () -> GroupRunner.Run(killed, control false (Some 7L)) |> ignore) "stopped in the rounds"
            let resumed = GroupRunner.Run(killed, control true None)
            let uninterrupted = group (TestPaths.scratchDir "smac-ensemble-whole")
            let whole = GroupRunner.Run(uninterrupted, control false None)
            for (struct (_, a, _)), (struct (_, b, _)) in Seq.zip resumed whole do
                Expect.equal (nonNull a).Metrics.["return"] (nonNull b).Metrics.["return"] "the same evaluation after resuming"
                // every member evaluated every 5 steps and at the end (14); the killed group's row of step 5 kept
                let curve (r: RunResult) = [ for struct (step, m) in LearningCurve.Read(Path.Combine(nonNull (Path.GetDirectoryName r.RecordPath), LearningCurve.FileName)) -> step, m.["return"] ]
                Expect.equal (curve (nonNull a) |> List.map fst) [ 5L; 10L; 14L ] "a row every 5 steps and the final policy's"
                Expect.equal (curve (nonNull a)) (curve (nonNull b)) "the same curve after resuming"
                Expect.equal (curve (nonNull a) |> List.last |> snd) (nonNull a).Metrics.["return"] "its last row is the record's"
            // and the same weights and optimiser state in the two groups' final checkpoints
            let load (g: RunGroup) =
                let inits = [| for s in 0 .. 2 -> new torch.Generator(uint64 s) |]
                let e = nonNull (Ensembles.TryCreate("inspo", data.Value.Spec, hyperOf [], budget, torch.CPU, inits))
                Checkpoint.LoadGroup(g.CheckpointPath, e, TrainerState([| for s in 0 .. 2 -> new torch.Generator(0UL) |]))
                [ for struct (name, m) in e.Modules do
                    for kv in m.state_dict() -> sprintf "%s.%s" name kv.Key, kv.Value ]
            for (n1, t1), (n2, t2) in List.zip (load killed) (load uninterrupted) do
                Expect.equal n1 n2 "same keys"
                Expect.isTrue (t1.eq(t2).all().item<bool>()) (sprintf "%s bit-identical" n1)
        }
    ]
