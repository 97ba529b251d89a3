// What a SMAC-lite policy does, against its data: for the final policies of a run group (its group checkpoint) and
// for the dataset, each agent's share of stop / move / attack among its live steps (no-op, the only action of a dead
// unit, left out), the policies over the greedy evaluation episodes their records were scored on, the data split
// into halves (a mixed tier is its medium episodes, then its expert ones, notes/smac-datasets.md). Then, teacher-forced
// on the data's own episodes: how often each agent's greedy action is the data's, per half; and each half's opening
// (steps 0–4 of its first episode) with each seed's probability of the data's actions and, for InSPO, its target
// critic's value and Eq. 20's advantage of them — where a mixed tier's halves part, and which branch a policy takes.
// Run: `dotnet fsi experiments/smac_action_profile.fsx MAP TIER ALGORITHM [SEEDS] [name=value …]`, the runs folder
// INSPO_RUNS (else runs/), e.g. `… 2s3z mixed inspo 0-4` for the group `inspo train --env smac:2s3z --dataset
// runs/smac_datasets/2s3z/mixed --algo inspo --seeds 0-4` trained (its checkpoint holds every member's networks; a
// group trained seed after seed is read from each seed's checkpoint).
#load "../scripts/InSPO.fsx"

open System
open System.Collections.Generic
open System.IO
open TorchSharp
open InSPO.Actors
open InSPO.Algorithms
open InSPO.Envs
open InSPO.Envs.Smac
open InSPO.Training
open InSPO.Scripting

let args = fsi.CommandLineArgs |> Array.skip 1
if args.Length < 3 then
    eprintfn "smac_action_profile.fsx: expected MAP TIER ALGORITHM [SEEDS] [name=value …]"
    exit 2
let root = Path.GetFullPath(__SOURCE_DIRECTORY__ + "/..")
let runs = Path.GetFullPath(Experiment.envOr "INSPO_RUNS" (Path.Combine(root, "runs")))
/// One line and exit 2 for bad input (an unknown map, bad seeds, a malformed name=value), as the CLI does.
let refuse (message: string) : 'a =
    eprintfn "smac_action_profile.fsx: %s" message
    exit 2
let map, seeds, hyper =
    try
        let setting (a: string) =
            match a.Split('=', 2) with
            | [| name; value |] ->
                match Double.TryParse(value, Globalization.NumberStyles.Float, Globalization.CultureInfo.InvariantCulture) with
                | true, x -> name, x
                | _ -> raise (ArgumentException(sprintf "%s: value '%s' is not a number" a value))
            | _ -> raise (ArgumentException(sprintf "%s: expected name=value" a))
        let seedsGiven = args.Length > 3 && not (args[3].Contains '=')
        SmacMaps.Get args[0],
        (if seedsGiven then List.ofSeq (RunGroup.ParseSeeds args[3]) else [ 0 .. 4 ]),
        Dictionary<string, float>(dict [ for a in args |> Array.skip (if seedsGiven then 4 else 3) -> setting a ])
        :> IReadOnlyDictionary<string, float>
    with :? ArgumentException as e -> refuse e.Message
let datasetFolder = Path.Combine(runs, "smac_datasets", map.Name, args[1])
let group = RunGroup(RunSpec("smac:" + map.Name, datasetFolder, args[2], seeds.Head, "quick", "cpu", hyper, runs), seeds)
// The final policies: the group checkpoint of a group trained as one ensemble, else each seed's own checkpoint (a
// group trained seed after seed, or single runs).
let singleCheckpoint seed = Path.Combine(Runner.RunDirectory(group.Specs |> Seq.find (fun s -> s.Seed = seed)), "checkpoint.bin")
if not (File.Exists group.CheckpointPath) then
    match seeds |> List.tryFind (fun s -> not (File.Exists(singleCheckpoint s))) with
    | Some s -> refuse (sprintf "no group checkpoint %s and no checkpoint of seed %d (%s): train with inspo train --seeds" group.CheckpointPath s (singleCheckpoint s))
    | None -> ()
let data = InSPO.Data.DatasetStore.Load(datasetFolder).Data

/// Stop (1), move (2–5) or attack (6+); None for no-op (0), which SMAC leaves to dead units only.
let category action = if action = 0 then None elif action = 1 then Some 0 elif action <= 5 then Some 1 else Some 2
let agents = data.Spec.Agents
let show (label: string) (counts: int[,]) =
    let cells =
        [ for i in 0 .. agents - 1 ->
            let total = float (max 1 (counts[i, 0] + counts[i, 1] + counts[i, 2]))
            sprintf "%.2f / %.2f / %.2f" (float counts[i, 0] / total) (float counts[i, 1] / total) (float counts[i, 2] / total) ]
    printfn "| %s | %s |" label (String.Join(" | ", cells))

type private Counter(agents: int) =
    member val Counts = Array2D.zeroCreate<int> agents 3
    interface IRolloutObserver with
        member this.Acting(_, _, actions) =
            for k in 0 .. actions.Length - 1 do
                match category actions[k] with
                | Some c -> this.Counts[k % agents, c] <- this.Counts[k % agents, c] + 1
                | None -> ()

printfn "\n%s, %s, %s: each agent's stop / move / attack share of its live steps\n" map.Name args[1] args[2]
printfn "| | %s |" (String.Join(" | ", [ for i in 0 .. agents - 1 -> sprintf "agent %d" i ]))
printfn "|%s" (String.replicate (agents + 1) " --- |")
let profile = SmacRunEnvironment(map).Budget(Profiles.Get(Experiment.envOr "INSPO_PROFILE" "quick"))
/// Each seed's final policy, and (InSPO) its target critics Q̄ⁱ(s,·) at global states K × state → K × N × A.
let policyOf, criticOf: (int -> IDecentralisedPolicy) * (int -> (torch.Tensor -> torch.Tensor) option) =
    if File.Exists group.CheckpointPath then
        let inits = [| for s in seeds -> new torch.Generator(uint64 s) |]
        let ensemble = nonNull (Ensembles.TryCreate(args[2], data.Spec, hyper, profile, torch.CPU, inits))
        Checkpoint.LoadGroup(group.CheckpointPath, ensemble, TrainerState([| for _ in seeds -> new torch.Generator(0UL) |]))
        ensemble.Member,
        fun k -> match ensemble with
                 | :? InspoEpisodesEnsemble as inspo -> Some(fun states -> inspo.MemberTargetActionValues(k, states))
                 | _ -> None
    else
        let learners =
            [| for seed in seeds ->
                use init = new torch.Generator(uint64 seed)
                let learner = Learners.Create(args[2], data.Spec, hyper, profile, torch.CPU, init)
                Checkpoint.Load(singleCheckpoint seed, learner, TrainerState(new torch.Generator(0UL)))
                learner |]
        (fun k -> learners[k] :> IDecentralisedPolicy),
        fun k -> match learners[k] with
                 | :? InspoLearner as inspo -> Some inspo.TargetActionValues
                 | _ -> None
/// Seed k's final policy for one use: an ensemble member is a copy made for the call and disposed after it; a single
/// learner is kept for the next use.
let withPolicy k (use': IDecentralisedPolicy -> 'a) =
    let policy = policyOf k
    try use' policy
    finally
        if File.Exists group.CheckpointPath then
            match policy :> obj with
            | :? IDisposable as d -> d.Dispose()
            | _ -> ()
for k, seed in List.indexed seeds do
    withPolicy k (fun policy ->
        let episodes = 32
        let env = VectorEnv.Of(episodes, (fun () -> new SmacEnv(map) :> IMultiAgentEnv), threads = 1)
        use actor = new PolicyActor(policy, env.Spec, episodes, torch.CPU)
        let counter = Counter(agents)
        let evalSeed = Runner.EvaluationSeed seed
        let summaries =
            Rollout.Run(env, actor, RolloutOptions(Episodes = episodes, Seed = evalSeed, Choice = ActionChoice.Greedy, SharedChoiceStream = true,
                                                   EnvironmentSeed = (fun e -> EpisodeSeeds.Environment(evalSeed, e))), counter)
        let won = summaries |> Seq.averageBy (fun s -> if s.Won.HasValue then s.Won.Value else 0.0)
        show (sprintf "seed %d (win rate %.2f, length %.0f)" seed won (summaries |> Seq.averageBy (fun s -> float s.Length))) counter.Counts)
let half = data.Episodes / 2
for label, episodes in [ "data, first half", [ 0 .. half - 1 ]; "data, second half", [ half .. data.Episodes - 1 ] ] do
    let counts = Array2D.zeroCreate<int> agents 3
    for e in episodes do
        for t in 0 .. data.Steps - 1 do
            if data.Filled[e * data.Steps + t] then
                for i in 0 .. agents - 1 do
                    match category data.Actions[(e * data.Steps + t) * agents + i] with
                    | Some c -> counts[i, c] <- counts[i, c] + 1
                    | None -> ()
    show label counts

/// Teacher-forcing: the policy steps through data episodes on their own observations and last actions, as in
/// training, for their first `steps` slots; `visit t j p` sees step t of episodes[j] (filled steps only) with the
/// agents' action probabilities p (agent i's at i · A).
let teacherForced (policy: IDecentralisedPolicy) (episodes: int[]) steps (visit: int -> int -> float32[] -> unit) =
    let k, o, a = episodes.Length, data.ObservationSize, data.ActionCount
    let mutable hidden = policy.InitialState(int64 k)
    for t in 0 .. steps - 1 do
        let observations = Array.zeroCreate<float32> (k * agents * o)
        let available = Array.zeroCreate<bool> (k * agents * a)
        let last = Array.create (k * agents) -1L
        for j in 0 .. k - 1 do
            let e = episodes[j]
            let filled = data.Filled[data.SlotIndex(e, t)]
            for i in 0 .. agents - 1 do
                let row = j * agents + i
                Array.blit data.Observations (data.ObservationIndex(e, t, i)) observations (row * o) o
                // a padded step gets its no-op available, so its (unused) probabilities are finite
                if filled then Array.blit data.AvailableActions (data.AvailableActionsIndex(e, t, i)) available (row * a) a
                else available[row * a] <- true
                if t > 0 then last[row] <- int64 data.Actions[data.ActionIndex(e, t - 1, i)]
        let probabilities, next =
            policy.Act(torch.tensor(observations).view(int64 k, int64 agents, int64 o), torch.tensor(available).view(int64 k, int64 agents, int64 a),
                       torch.tensor(last).view(int64 k, int64 agents), hidden).ToTuple()
        hidden <- next
        let p = probabilities.contiguous().data<float32>().ToArray()
        for j in 0 .. k - 1 do
            if data.Filled[data.SlotIndex(episodes[j], t)] then visit t j (Array.sub p (j * agents * a) (agents * a))

/// Per agent, how often its greedy action is the data's on live steps of `episodes`, and the mean log-probability it
/// gives the data's action there. Says which half the policy imitates, state by state, not only in aggregate.
let agreement (policy: IDecentralisedPolicy) (episodes: int[]) =
    let a = data.ActionCount
    let agree, logLikelihood, live = Array.zeroCreate<float> agents, Array.zeroCreate<float> agents, Array.zeroCreate<int> agents
    teacherForced policy episodes data.Steps (fun t j p ->
        for i in 0 .. agents - 1 do
            let action = data.Actions[data.ActionIndex(episodes[j], t, i)]
            if action <> 0 then
                let greedy = [ 0 .. a - 1 ] |> List.maxBy (fun b -> p[i * a + b])
                live[i] <- live[i] + 1
                if greedy = action then agree[i] <- agree[i] + 1.0
                logLikelihood[i] <- logLikelihood[i] + log (max 1e-12 (float p[i * a + action])))
    [ for i in 0 .. agents - 1 -> agree[i] / float (max 1 live[i]), logLikelihood[i] / float (max 1 live[i]) ]

// 200 episodes of each half (every 5th in its range, INSPO_PROFILE_EPISODES=n for n)
let sampled = int (Experiment.envOr "INSPO_PROFILE_EPISODES" "200")
let halves = [ "first half", [| 0 .. half - 1 |]; "second half", [| half .. data.Episodes - 1 |] ]
              |> List.map (fun (label, range) -> label, (if range.Length <= sampled then range else Array.init sampled (fun n -> range[n * range.Length / sampled])))
printfn "\nTeacher-forced on %d data episodes of each half: each agent's greedy action = the data's (share of its live steps) / mean log π(data action)\n" sampled
printfn "| | %s |" (String.Join(" | ", [ for i in 0 .. agents - 1 -> sprintf "agent %d" i ]))
printfn "|%s" (String.replicate (agents + 1) " --- |")
for k, seed in List.indexed seeds do
    for label, episodes in halves do
        let cells = withPolicy k (fun policy -> agreement policy episodes) |> List.map (fun (share, ll) -> sprintf "%.2f / %.2f" share ll)
        printfn "| seed %d, data %s | %s |" seed label (String.Join(" | ", cells))

/// The opening of one data episode, teacher-forced: per agent, the data's action at steps 0 … n−1, the policy's
/// probability of it and, with a critic, Eq. 20's advantage of it, Q̄ⁱ(s,aⁱ) − Σ_a πⁱ(a|τⁱ) Q̄ⁱ(s,a). A mixed tier's
/// greedy QMIX models open alike in every episode of a half, so the steps where the two halves' openings part are the
/// branch points; a probability under 0.5 there is a branch the greedy policy does not take.
let opening (policy: IDecentralisedPolicy) (critic: (torch.Tensor -> torch.Tensor) option) (episode: int) (steps: int) =
    let a = data.ActionCount
    let rows = ResizeArray()
    teacherForced policy [| episode |] (min steps (data.EpisodeLength episode)) (fun t _ p ->
        let q = critic |> Option.map (fun c ->
            let state = Array.sub data.States (data.StateIndex(episode, t)) data.StateSize
            (c (torch.tensor(state).view(1L, int64 data.StateSize))).contiguous().data<float32>().ToArray())
        rows.Add [ for i in 0 .. agents - 1 ->
                    let action = data.Actions[data.ActionIndex(episode, t, i)]
                    let critic = q |> Option.map (fun q -> float q[i * a + action], float q[i * a + action] - Seq.sum (seq { for b in 0 .. a - 1 -> float p[i * a + b] * float q[i * a + b] }))
                    action, float p[i * a + action], critic ])
    List.ofSeq rows

let actionName action = if action = 0 then "no-op" elif action = 1 then "stop" elif action <= 5 then sprintf "move%d" (action - 2) else sprintf "attack%d" (action - 6)
let openingSteps = 5
printfn "\nThe opening of each half's first episode (steps 0–%d), teacher-forced: each agent's data action, then each seed's probability of it (and, for InSPO, Q̄ⁱ(s, aⁱ) and Eq. 20's advantage of it; the data's discounted return from step 0 beside)\n" (openingSteps - 1)
printfn "| | %s |" (String.Join(" | ", [ for i in 0 .. agents - 1 -> sprintf "agent %d" i ]))
printfn "|%s" (String.replicate (agents + 1) " --- |")
for label, episode in [ "first half", 0; "second half", half ] do
    let cells (steps: (int * float * (float * float) option) list list) (cell: int * float * (float * float) option -> string) =
        String.Join(" | ", [ for i in 0 .. agents - 1 -> String.Join(" ", [ for step in steps -> cell step[i] ]) ])
    let dataActions = [ for t in 0 .. min openingSteps (data.EpisodeLength episode) - 1 ->
                          [ for i in 0 .. agents - 1 -> data.Actions[data.ActionIndex(episode, t, i)], nan, None ] ]
    // the half's mean discounted return from step 0 (γ of the SMAC learners, 0.99): what a critic's Q̄ there estimates
    let discounted =
        [ for e in (if episode = 0 then [ 0 .. half - 1 ] else [ half .. data.Episodes - 1 ]) ->
            Seq.sum (seq { for t in 0 .. data.EpisodeLength e - 1 -> (0.99 ** float t) * float data.Rewards[data.SlotIndex(e, t)] }) ]
        |> List.average
    printfn "| data %s, episode %d (discounted return %.1f) | %s |" label episode discounted (cells dataActions (fun (action, _, _) -> actionName action))
    for k, seed in List.indexed seeds do
        let steps = withPolicy k (fun policy -> opening policy (criticOf k) episode openingSteps)
        printfn "| seed %d on it | %s |" seed (cells steps (fun (_, p, _) -> sprintf "%.2f" p))
        if steps |> List.exists (List.exists (fun (_, _, critic) -> critic.IsSome)) then
            printfn "| seed %d, Q̄ⁱ(s, aⁱ) | %s |" seed (cells steps (fun (_, _, critic) -> critic |> Option.map (fst >> sprintf "%.1f") |> Option.defaultValue "—"))
            printfn "| seed %d, Eq. 20's advantage | %s |" seed (cells steps (fun (_, _, critic) -> critic |> Option.map (snd >> sprintf "%+.2f") |> Option.defaultValue "—"))
