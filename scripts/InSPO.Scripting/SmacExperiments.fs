module InSPO.Scripting.SmacExperiments

// What the SMAC-lite tables (4–7) share: the maps a run covers, where each map's four tier datasets live (written
// by experiments/smac_tiers.fsx), and collecting the missing ones before a table needs them.

open System
open System.Diagnostics
open System.IO
open InSPO.Data

/// The four tiers in the paper's row order (the folder names smac_tiers.fsx writes).
let tiers = [ "medium"; "medium-replay"; "expert"; "mixed" ]

/// Every built-in map, in the paper's order.
let allMaps = List.ofSeq InSPO.Envs.Smac.SmacMaps.Names

/// The maps a table covers: INSPO_SMAC_MAPS=a,b if set, else the table's own (Table 4: all; Table 5: 6h_vs_8z; …).
let mapsOr (defaults: string list) =
    match Environment.GetEnvironmentVariable "INSPO_SMAC_MAPS" with
    | null | "" -> defaults
    | list -> list.Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries) |> List.ofArray

/// A tier's dataset folder under a runs root.
let tierFolder (runs: string) map tier = Path.Combine(runs, "smac_datasets", map, tier)

/// Whether all four tiers of a map are on disk.
let hasTiers runs map =
    tiers |> List.forall (fun t -> File.Exists(Path.Combine(tierFolder runs map t, DatasetStore.ManifestFile)))

/// The maps of <paramref name="wanted"/> whose four tiers exist, after running experiments/smac_tiers.fsx (same
/// profile and runs root) for the others; a map still without tiers (no published QMIX models: see
/// experiments/qmix_models/README.md) is left out with a line saying why.
let ensureTiers (root: string) (runs: string) (profile: string) (wanted: string list) =
    match wanted |> List.filter (hasTiers runs >> not) with
    | [] -> ()
    | missing ->
        let script = Path.Combine(root, "experiments", "smac_tiers.fsx")
        printfn "collecting the tier datasets of %s (%s)" (String.Join(", ", missing)) script
        let start = ProcessStartInfo("dotnet", [ "fsi"; script ], UseShellExecute = false)
        start.Environment.["INSPO_RUNS"] <- runs
        start.Environment.["INSPO_PROFILE"] <- profile
        start.Environment.["INSPO_SMAC_MAPS"] <- String.Join(",", missing)
        use p = match Process.Start start with null -> failwithf "could not start dotnet fsi %s" script | p -> p
        p.WaitForExit()
        if p.ExitCode <> 0 then failwithf "%s failed (exit %d) collecting %s" script p.ExitCode (String.Join(", ", missing))
    [ for map in wanted do
        if hasTiers runs map then map
        else printfn "%s: no tier datasets (the map has no published QMIX models, experiments/qmix_models/README.md): left out" map ]

/// The tiers a table covers: INSPO_SMAC_TIERS=a,b if set (e.g. CI's smoke runs: expert only), else all four.
let selectedTiers () =
    match Environment.GetEnvironmentVariable "INSPO_SMAC_TIERS" with
    | null | "" -> tiers
    | list ->
        let wanted = list.Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries) |> List.ofArray
        match wanted |> List.filter (fun t -> not (List.contains t tiers)) with
        | [] -> tiers |> List.filter (fun t -> List.contains t wanted)
        | bad -> failwithf "INSPO_SMAC_TIERS: unknown tier %s (known: %s)" (String.Join(", ", bad)) (String.Join(", ", tiers))

/// A map's tier folders (the selected tiers) in row order; a folder's last name is its tier.
let tierFolders runs map = selectedTiers () |> List.map (tierFolder runs map)

/// The map of a SMAC-lite environment name ("smac:5m_vs_6m" → "5m_vs_6m").
let mapOf (env: string) = env.Substring(env.IndexOf ':' + 1)

/// What every SMAC-lite table script starts with: the repository root's experiment settings (profile, runs and
/// reports folders from the environment), and the maps of <paramref name="defaults"/> (or INSPO_SMAC_MAPS) whose
/// tiers exist after collecting the missing ones.
/// A bad INSPO_SMAC_MAPS or INSPO_SMAC_TIERS ends the script with one line naming it and exit code 2 (bad input).
let prepare (root: string) (defaults: string list) =
    let probe = Experiment.experiment "smac" "smac:2s3z" [] [] |> Experiment.withEnvironment root
    let maps = mapsOr defaults
    let problem =
        match maps |> List.filter (fun m -> not (List.contains m allMaps)) with
        | [] -> (try selectedTiers () |> ignore; None with ex -> Some ex.Message)
        | bad -> Some(sprintf "INSPO_SMAC_MAPS: unknown map %s (known: %s)" (String.Join(", ", bad)) (String.Join(", ", allMaps)))
    match problem with
    | Some message -> eprintfn "inspo: %s" message; exit 2
    | None -> probe, ensureTiers root probe.RunsRoot.Value probe.Profile maps

/// An experiment on a map's four tiers (win rate, the table's value on SMAC).
let onTiers (probe: Experiment.Experiment) name map algorithms =
    { Experiment.experiment name ("smac:" + map) (tierFolders probe.RunsRoot.Value map) algorithms with
        Profile = probe.Profile; Device = probe.Device; RunsRoot = probe.RunsRoot; ReportsRoot = probe.ReportsRoot
        Metric = "win_rate" }
