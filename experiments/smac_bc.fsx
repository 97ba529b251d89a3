// SMAC-lite sanity check of the episode engine: BC on the scripted focus-fire policy's episodes of 5m_vs_6m.
// CFCQL's BC (one GRU agent shared by all agents, agent id and last action, episode batches) against a
// memoryless BC (the same sharing, an MLP on transitions), quick profile, seed 0; each final policy evaluated
// greedily on 200 episodes (SPEC 4's 32 are too few for this comparison). The scripted policy itself wins 0.975
// of 200 (smac scores), uniform random 0.
// Run: `dotnet fsi experiments/smac_bc.fsx` (after a Release build). INSPO_RUNS / INSPO_REPORTS as elsewhere;
// INSPO_PROFILE (default quick) sets the budget.
#load "../scripts/InSPO.fsx"

open System.IO
open System.Collections.Generic
open InSPO.Data
open InSPO.Envs.Smac
open InSPO.Training

let root = Path.GetFullPath(__SOURCE_DIRECTORY__ + "/..")
let envOr name fallback = match System.Environment.GetEnvironmentVariable name with | null | "" -> fallback | v -> v
let runs = envOr "INSPO_RUNS" (Path.Combine(root, "runs"))
let profileName = envOr "INSPO_PROFILE" "quick"
let episodes = if profileName = "smoke" then 40 else 1000
let folder = Path.Combine(runs, "datasets", sprintf "5m_vs_6m-focus-fire-%d" episodes)
if not (File.Exists(Path.Combine(folder, DatasetStore.ManifestFile))) then
    let data = SmacRunEnvironment.ScriptedDataset(SmacMaps.Get "5m_vs_6m", ScriptedPolicies.FocusFire, episodes, 0)
    let generator = System.Text.Json.Nodes.JsonObject()
    generator["name"] <- System.Text.Json.Nodes.JsonValue.Create "smac-scripted"
    generator["map"] <- System.Text.Json.Nodes.JsonValue.Create "5m_vs_6m"
    generator["policy"] <- System.Text.Json.Nodes.JsonValue.Create "focus-fire"
    DatasetStore.Save(folder, data, generator, System.Nullable 0)
let card = DatasetStatistics.Of((DatasetStore.Load folder).Data)
let evalEpisodes = if profileName = "smoke" then 8 else 200
let budget = (Profiles.Get profileName).WithEvalEpisodes evalEpisodes

let train label (hyper: (string * float) list) =
    let spec = RunSpec("smac:5m_vs_6m", folder, "bc", 0, profileName, "cpu", Dictionary<string, float>(dict hyper), runs)
    let r = Runner.Run(spec, RunControl(Resume = true, ProfileOverride = budget))
    label, r

let results =
    [ train "BC, shared GRU agent (CFCQL's)" []
      train "BC, shared MLP (no memory)" (List.singleton ("recurrent", 0.0)) ]
printfn "\nSMAC-lite 5m_vs_6m, BC on %d focus-fire episodes (data: win rate %.3f, return %.2f ± %.2f, mean length %.1f), profile %s, seed 0, %d greedy evaluation episodes\n"
    card.Episodes (card.WinRate.GetValueOrDefault nan) card.ReturnMean card.ReturnStd card.MeanLength profileName evalEpisodes
printfn "| policy | win rate | return | length | train s |"
printfn "| --- | ---: | ---: | ---: | ---: |"
for label, r in results do
    printfn "| %s | %.3f | %.2f | %.1f | %.0f |" label r.Metrics["win_rate"] r.Metrics["return"] r.Metrics["length"] r.WallSeconds
