// The SMAC-lite datasets as the CFCQL authors made theirs (notes, smac-datasets.md), from the QMIX models published
// in experiments/qmix_models/{map} (`inspo qmix publish`, which records its choice in tiers.json): medium = greedy
// episodes of the first saved model whose greedy win rate is in [0.2, 0.45], expert = greedy episodes of the run's
// best model, mixed = medium[idx] then expert[idx] for one sorted index set, medium-replay = the QMIX run's replay
// buffer when it reached medium: at the paper profile the run again from step 0 (deterministic on CPU), at quick the
// run resumed from its published model 100 000 steps before medium, at smoke the same stopped 2000 steps later.
// Prints each tier's card beside the real files' statistics. Episodes per tier: smoke 16, quick 1000, paper 5000
// (CFCQL's). Datasets go to INSPO_RUNS/smac_datasets/{map}/{tier}; existing ones are kept. INSPO_SMAC_MAPS=a,b: only
// those maps.
// Run: `dotnet fsi experiments/smac_tiers.fsx` (after a Release build), or `dotnet fsi build.fsx -t SmacTiers`.
// Training the models again: see experiments/qmix_models/README.md (`inspo qmix train`, then `inspo qmix publish`).
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
let models = Path.Combine(__SOURCE_DIRECTORY__, "qmix_models")
// INSPO_SMAC_MAPS=5m_vs_6m,2s3z: only these maps (default all four)
let maps = match envOr "INSPO_SMAC_MAPS" "" with
           | "" -> List.ofSeq SmacMaps.Names
           | list -> list.Split(',', System.StringSplitOptions.RemoveEmptyEntries ||| System.StringSplitOptions.TrimEntries) |> List.ofArray

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

printfn "\nSMAC-lite dataset tiers, profile %s (%d episodes per tier)\n" profile episodes
printfn "| map | tier | episodes (distinct) | transitions | return | win rate | mean length | real SMAC file's return |"
printfn "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
let clock = System.Diagnostics.Stopwatch.StartNew()
for mapName in maps do
    let dir = Path.Combine(models, mapName)
    if File.Exists(Path.Combine(dir, TierModels.ChoiceFile)) then
        let map = SmacMaps.Get mapName
        let model name = Path.Combine(dir, "models", name + ".bin")
        let collect name seed () = SmacTiers.Collect(map, model name, episodes, seed, 0.0, TorchSharp.torch.CPU)
        let medium = tier map "medium" (collect "medium" 0)
        let expert = tier map "expert" (collect "expert" 1)
        let mixed = tier map "mixed" (fun () -> SmacTiers.Mixed(medium, expert, episodes / 2, 2))
        let replay =
            tier map "medium-replay" (fun () ->
                // smoke: 2000 steps past where the run restarts (its replay start, or its beginning where medium came
                // within the window and there is none)
                let start = Path.Combine(dir, "models", TierModels.ReplayStart + ".bin")
                let stopAt =
                    if profile = "smoke" then
                        System.Nullable((if File.Exists start then InSPO.Training.Checkpoint.ReadStep start else 0L) + 2000L)
                    else System.Nullable()
                SmacTiers.MediumReplay(map, dir, Path.Combine(runs, "qmix-replay"), (profile = "paper"), TorchSharp.torch.CPU, stopAt))
        for name, d in [ "medium", medium; "expert", expert; "medium-replay", replay; "mixed", mixed ] do
            let s = DatasetStatistics.Of d
            let win = if s.WinRate.HasValue then sprintf "%.3f" s.WinRate.Value else "–"
            let real = PaperTargets.smacDataCards.[mapName].[name]
            printfn "| %s | %s | %d (%d) | %d | %.2f ± %.2f | %s | %.1f | %s |" mapName name s.Episodes s.Distinct s.Transitions s.ReturnMean s.ReturnStd win s.MeanLength real
        let choice = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, TierModels.ChoiceFile)))
        let model (tier: string) =
            let node = choice[tier]
            let step = node["step"].GetValue<int64>()
            let win = node["win_rate"].GetValue<float>()
            sprintf "%s: model at %d steps (greedy win rate %.2f)" tier step win
        printfn "| %s | %s; %s | | | | | | |" mapName (model "medium") (model "expert")
    else printfn "| %s | (no published QMIX models: experiments/qmix_models/%s/tiers.json) | | | | | | |" mapName mapName
printfn "\n%d maps in %.0f s (datasets already under %s are reused, not timed again)" maps.Length clock.Elapsed.TotalSeconds (Path.Combine(runs, "smac_datasets"))
