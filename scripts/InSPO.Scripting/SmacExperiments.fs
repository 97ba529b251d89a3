module InSPO.Scripting.SmacExperiments

// What the SMAC-lite tables (4–7) share: the maps a run covers, where each map's four tier datasets live (written
// by experiments/smac_tiers.fsx), and collecting the missing ones before a table needs them.

open System
open System.Diagnostics
open System.IO
open InSPO.Data

/// The four tiers in the paper's row order (the folder names smac_tiers.fsx writes).
let tiers = [ "medium"; "medium-replay"; "expert"; "mixed" ]

/// INSPO_SMAC_MAPS=a,b: only those maps; default every built-in map (paper order).
let maps () =
    match Environment.GetEnvironmentVariable "INSPO_SMAC_MAPS" with
    | null | "" -> List.ofSeq InSPO.Envs.Smac.SmacMaps.Names
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
        use p = Process.Start start
        p.WaitForExit()
        if p.ExitCode <> 0 then failwithf "%s failed (exit %d) collecting %s" script p.ExitCode (String.Join(", ", missing))
    [ for map in wanted do
        if hasTiers runs map then map
        else printfn "%s: no tier datasets (the map has no published QMIX models, experiments/qmix_models/README.md): left out" map ]

/// A map's tier folders in row order.
let tierFolders runs map = tiers |> List.map (tierFolder runs map)
