/// `inspo smac replay | scores | bench`: the SMAC-lite simulator from the command line.
module InSPO.Cli.SmacCommand

open Argu
open InSPO.Envs.Smac
open InSPO.Cli.Arguments

let run (args: ParseResults<SmacArgs>) =
    match args.GetSubCommand() with
    | Replay r ->
        let env = SmacEnv(r.GetResult SmacReplayArgs.Map)
        let policy = ScriptedPolicies.ByName(r.GetResult(Policy, "focus-fire"))
        let replay = SmacReplay.Record(env, policy, r.GetResult(SmacReplayArgs.Seed, 0))
        let out = r.GetResult SmacReplayArgs.Out
        replay.WriteHtml out
        printfn "wrote %s: %s, %s, %d steps, %s" out env.Spec.Name policy.Name replay.Steps (if env.BattleWon then "won" else "not won")
        0
    | Scores s ->
        SmacBenchmark.WinRateTable(s.GetResult(SmacScoresArgs.Episodes, 200), s.GetResult(SmacScoresArgs.Seed, 0), s.GetResult(SmacScoresArgs.Threads, 0))
        |> SmacBenchmark.Format
        |> printfn "%s"
        0
    | Bench b ->
        SmacBenchmark.SpeedTable(b.GetResult(Seconds, 2.0), b.GetResult(SmacBenchArgs.Threads, 1), b.GetResult(Envs, 64))
        |> SmacBenchmark.Format
        |> printfn "%s"
        0
