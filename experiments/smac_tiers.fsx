// The SMAC-lite datasets as the CFCQL authors made theirs (notes, smac-datasets.md), from the committed QMIX models
// in experiments/qmix_models/{map}/models: medium = greedy episodes of the model saved at 100 000 environment steps
// (the CFCQL README's collection example loads step 100000), expert = greedy episodes of the best model (highest
// greedy test win rate), mixed = medium[idx] then expert[idx] for one sorted index set, medium-replay = the replay
// buffer of a fresh QMIX run (same configuration, seed 0) stopped at 100 000 steps. Prints each tier's card beside
// the real files' statistics. Episodes per tier: smoke 16, quick 1000, paper 5000 (CFCQL's); medium-replay at
// smoke stops at 2000 steps. Datasets go to INSPO_RUNS/smac_datasets/{map}/{tier}; existing ones are kept.
// Run: `dotnet fsi experiments/smac_tiers.fsx` (after a Release build), or `dotnet fsi build.fsx -t SmacTiers`.
// Training the models again: `inspo qmix train --map MAP --steps 2000000 --set checkpoint_every=20000`, then copy
// models/100000.bin and models/best.bin (as medium.bin and expert.bin) and options.json (see qmix_models/README.md).
#load "../scripts/InSPO.fsx"

open System.IO
open InSPO.Data
open InSPO.Envs.Smac
open InSPO.Online
open InSPO.Scripting

let root = Path.GetFullPath(__SOURCE_DIRECTORY__ + "/..")
let envOr name fallback = match System.Environment.GetEnvironmentVariable name with | null | "" -> fallback | v -> v
let profile = envOr "INSPO_PROFILE" "quick"
let runs = envOr "INSPO_RUNS" (Path.Combine(root, "runs"))
let episodes = match profile with "smoke" -> 16 | "paper" -> 5000 | _ -> 1000
let mediumStep = if profile = "smoke" then 2000L else 100_000L
let models = Path.Combine(__SOURCE_DIRECTORY__, "qmix_models")

let save folder (data: EpisodeDataset) (generator: (string * string) list) =
    let g = System.Text.Json.Nodes.JsonObject()
    for k, v in generator do g[k] <- System.Text.Json.Nodes.JsonValue.Create v
    DatasetStore.Save(folder, data, g, System.Nullable 0)
    data

let tier (map: SmacMap) name (make: unit -> EpisodeDataset) =
    let folder = Path.Combine(runs, "smac_datasets", map.Name, name)
    if File.Exists(Path.Combine(folder, DatasetStore.ManifestFile)) then (DatasetStore.Load folder).Data
    else
        printfn "%s %s: collecting" map.Name name
        save folder (make ()) [ "name", "smac-tier"; "map", map.Name; "tier", name; "profile", profile ]

printfn "\nSMAC-lite dataset tiers, profile %s (%d episodes per tier; medium-replay: the buffer at %d steps)\n" profile episodes mediumStep
printfn "| map | tier | episodes (distinct) | transitions | return | win rate | mean length | real SMAC file's return |"
printfn "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for mapName in SmacMaps.Names do
    let dir = Path.Combine(models, mapName)
    if Directory.Exists dir then
        let map = SmacMaps.Get mapName
        let model name = Path.Combine(dir, "models", name + ".bin")
        let collect name seed () = SmacTiers.Collect(map, model name, episodes, seed, 0.0, TorchSharp.torch.CPU)
        let medium = tier map "medium" (collect "medium" 0)
        let expert = tier map "expert" (collect "expert" 1)
        let mixed = tier map "mixed" (fun () -> SmacTiers.Mixed(medium, expert, episodes / 2, 2))
        let replay =
            tier map "medium-replay" (fun () ->
                let hyper = dict [ "total_steps", float mediumStep; "replay_at", float mediumStep; "test_every", 1e12; "checkpoint_every", 1e12 ]
                let options = QmixOptions.For(mapName, System.Collections.Generic.Dictionary<string, float>(hyper))
                let run = Path.Combine(runs, "qmix-replay")
                QmixTrainer.Train(map, options, 0, run, false) |> ignore
                (DatasetStore.Load(QmixTrainer.ReplayDataset(QmixTrainer.RunDirectory(run, mapName, 0), mediumStep))).Data)
        for name, d in [ "medium", medium; "expert", expert; "medium-replay", replay; "mixed", mixed ] do
            let s = DatasetStatistics.Of d
            let win = if s.WinRate.HasValue then sprintf "%.3f" s.WinRate.Value else "–"
            let real = PaperTargets.smacDataCards.[mapName].[name]
            printfn "| %s | %s | %d (%d) | %d | %.2f ± %.2f | %s | %.1f | %s |" mapName name s.Episodes s.Distinct s.Transitions s.ReturnMean s.ReturnStd win s.MeanLength real
    else printfn "| %s | (no committed QMIX models: experiments/qmix_models/%s) | | | | | | |" mapName mapName
