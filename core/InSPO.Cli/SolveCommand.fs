/// `inspo solve`: exact tabular InSPO on a matrix game.
module InSPO.Cli.SolveCommand

open System.Text.Json
open System.Text.Json.Nodes
open Argu
open Spectre.Console
open InSPO.Envs
open InSPO.Tabular
open InSPO.Cli.Arguments

let options (game: MatrixGame) (args: ParseResults<SolveArgs>) =
    let d = MatrixGameSolver.DefaultOptions game
    TabularInspoOptions(
        Alpha = args.GetResult(SolveArgs.Alpha, d.Alpha),
        Beta0 = args.GetResult(SolveArgs.Beta, d.Beta0),
        BetaDecay = args.GetResult(Beta_Decay, d.BetaDecay),
        Rounds = args.GetResult(Iterations, d.Rounds),
        Order = (match args.TryGetResult SolveArgs.Order with
                 | Some OrderArg.Fixed -> UpdateOrder.Fixed
                 | Some OrderArg.Random -> UpdateOrder.Random
                 | None -> d.Order),
        Scheme = (if args.Contains Simultaneous then UpdateScheme.Simultaneous else d.Scheme),
        Seed = args.GetResult(SolveArgs.Seed, d.Seed))

/// {"policies": {agent: {action: p}}, "expected_return": x, "qre_gap": g, ...}
let toJson (r: MatrixSolveResult) =
    let g = r.Game
    let policies = JsonObject()
    for i in 0 .. g.Agents.Length - 1 do
        let probs = JsonObject()
        let p = r.Policy.Probabilities[i]
        for a in 0 .. g.Actions[i].Length - 1 do probs[g.Actions[i][a]] <- JsonValue.Create p[a]
        policies[g.Agents[i]] <- probs
    let o = r.Run.Options
    let root = JsonObject()
    root["game"] <- JsonValue.Create g.Name
    root["dataset"] <- JsonValue.Create r.Dataset
    root["policies"] <- policies
    root["expected_return"] <- JsonValue.Create r.ExpectedReturn
    root["qre_gap"] <- JsonValue.Create r.QreGap
    root["joint_action"] <- JsonValue.Create r.ModeJointAction
    root["optimum"] <- JsonValue.Create g.Optimum
    let optimal = JsonArray()
    for j in r.OptimalJointActions do optimal.Add(JsonValue.Create j)
    root["optimal_joint_actions"] <- optimal
    root["reaches_optimum"] <- JsonValue.Create r.ReachesOptimum
    root["alpha"] <- JsonValue.Create o.Alpha
    root["beta0"] <- JsonValue.Create o.Beta0
    root["beta_decay"] <- JsonValue.Create o.BetaDecay
    root["final_beta"] <- JsonValue.Create r.FinalBeta
    root["rounds"] <- JsonValue.Create o.Rounds
    root["order"] <- JsonValue.Create(o.Order.ToString().ToLowerInvariant())
    root["scheme"] <- JsonValue.Create(o.Scheme.ToString().ToLowerInvariant())
    root["seed"] <- JsonValue.Create o.Seed
    root["behaviour_source"] <- JsonValue.Create r.BehaviourSource
    root.ToJsonString(JsonSerializerOptions(WriteIndented = true))

let printTables (r: MatrixSolveResult) =
    let g = r.Game
    let o = r.Run.Options
    printfn "%s, dataset %s: α = %g, β₀ = %g (×%g per round, final %.3g), %d rounds, %s order, %s update"
            g.Name r.Dataset o.Alpha o.Beta0 o.BetaDecay r.FinalBeta o.Rounds
            (o.Order.ToString().ToLowerInvariant()) (o.Scheme.ToString().ToLowerInvariant())
    let table = Table().AddColumn("agent")
    let maxActions = g.ActionCounts |> Array.max
    for a in 0 .. maxActions - 1 do table.AddColumn(TableColumn(sprintf "π(a%d)" a).RightAligned()) |> ignore
    table.AddColumn("μ (behaviour)") |> ignore
    for i in 0 .. g.Agents.Length - 1 do
        let cells =
            [ yield g.Agents[i]
              for a in 0 .. maxActions - 1 do
                  yield (if a < g.Actions[i].Length then sprintf "%s %.4f" (g.Actions[i][a]) (r.Policy.Probabilities[i][a]) else "")
              yield (r.Behaviour.Probabilities[i] |> Array.map (sprintf "%.3f") |> String.concat " ") ]
        table.AddRow(cells |> List.map Markup.Escape |> Array.ofList) |> ignore
    AnsiConsole.Write table
    printfn "joint action %s, expected return %.4f (optimum %g), QRE gap %s"
        r.ModeJointAction r.ExpectedReturn g.Optimum (r.QreGap.ToString("0.00e+00"))
    // A gap near 0 only says the policy is an equilibrium of the regularised game; say whether it is the optimum.
    let optimal =
        (if r.OptimalJointActions.Count > 1 then "optimal joint actions " else "optimal joint action ")
        + String.concat " and " r.OptimalJointActions
    if r.ReachesOptimum then printfn "the policy reaches the optimum (%s)" optimal
    else
        printfn "the policy is %s, not the optimum: %s (reward %g)"
            (if r.QreGap < 1e-6 then "a quantal response equilibrium of the regularised game"
             else "not an equilibrium of the regularised game (QRE gap above 1e-6)")
            optimal g.Optimum

let run (args: ParseResults<SolveArgs>) =
    let game = MatrixGames.Resolve(args.GetResult SolveArgs.Game)
    let result = MatrixGameSolver.Solve(game, args.GetResult SolveArgs.Dataset, options game args)
    if args.Contains Json then printfn "%s" (toJson result) else printTables result
    0
