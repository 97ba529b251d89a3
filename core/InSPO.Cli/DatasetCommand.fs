/// `inspo dataset generate | info`, `inspo import pymarl | cfcql`, `inspo export cfcql`.
module InSPO.Cli.DatasetCommand

open System
open System.Text.Json.Nodes
open Argu
open Spectre.Console
open InSPO.Cli.Arguments
open InSPO.Data

/// Runs `collect` under a progress bar of finished episodes.
let private withProgress (label: string) (episodes: int) (collect: IProgress<int> -> 'a) =
    ProgressBar.run label (fun bar ->
        bar.Update(0.0, float episodes, label)
        collect { new IProgress<int> with member _.Report n = bar.Update(float n, float episodes, label) })

/// A progress bar on a terminal only: redirected output (scripts, tests) gets just the summary line.
let private withProgressOnTerminal (label: string) (episodes: int) (work: IProgress<int> | null -> 'a) =
    if Console.IsOutputRedirected || episodes <= 0 then work null else withProgress label episodes (fun p -> work p)

let private generateSmac (g: ParseResults<GenerateArgs>) (env: string) out seed =
    let map = InSPO.Envs.Smac.SmacMaps.Get(env.Substring InSPO.Training.SmacRunEnvironment.Prefix.Length)
    let episodes = g.GetResult(GenerateArgs.Episodes, InSPO.Training.SmacRunEnvironment.ScriptedEpisodes)
    if episodes < 1 then raise (ArgumentException(sprintf "--episodes %d: expected at least 1" episodes))
    let generator = JsonObject()
    generator["map"] <- JsonValue.Create map.Name
    generator["episodes"] <- JsonValue.Create episodes
    let data, player =
        match g.TryGetResult GenerateArgs.Policy, g.TryGetResult GenerateArgs.Qmix with
        | Some p, None ->
            let policy = InSPO.Envs.Smac.ScriptedPolicies.ByName p
            generator["name"] <- JsonValue.Create "smac-scripted"
            generator["policy"] <- JsonValue.Create policy.Name
            withProgress (sprintf "%s %s" map.Name policy.Name) episodes (fun progress ->
                InSPO.Training.SmacRunEnvironment.ScriptedDataset(map, policy, episodes, seed, progress)), policy.Name
        | None, Some model ->
            let epsilon = g.GetResult(GenerateArgs.Epsilon, 0.0)
            if epsilon < 0.0 || epsilon > 1.0 then raise (ArgumentException(sprintf "--epsilon %g: expected a value in [0, 1]" epsilon))
            generator["name"] <- JsonValue.Create "smac-qmix"
            generator["model"] <- JsonValue.Create(IO.Path.GetFullPath model)
            generator["epsilon"] <- JsonValue.Create epsilon
            withProgress (sprintf "%s qmix" map.Name) episodes (fun progress ->
                InSPO.Online.SmacTiers.Collect(map, model, episodes, seed, epsilon, TorchSharp.torch.CPU, progress)), "QMIX " + model
        | _ -> raise (ArgumentException "dataset generate --env smac:MAP needs one of --policy (random, attack-nearest, focus-fire) or --qmix MODEL")
    DatasetStore.Save(out, data, generator, Nullable seed)
    printfn "wrote %s: %d episodes of SMAC-lite %s played by %s" out data.Episodes map.Name player

let run (args: ParseResults<DatasetArgs>) =
    match args.GetSubCommand() with
    | Generate g ->
        let out = g.GetResult GenerateArgs.Out
        let seed = g.GetResult(GenerateArgs.Seed, 0)
        let dataset () =
            match g.TryGetResult GenerateArgs.Dataset with
            | Some name -> name
            | None -> raise (ArgumentException "dataset generate: --dataset is required for matrix games and Bridge")
        match g.GetResult GenerateArgs.Env with
        | env when env.StartsWith(InSPO.Training.SmacRunEnvironment.Prefix, StringComparison.OrdinalIgnoreCase) -> generateSmac g env out seed
        | "bridge" ->
            let name = dataset ()
            let episodes = g.GetResult(GenerateArgs.Episodes, (if name = "mixed" then 1000 else 500))
            let data = BridgeDatasets.Generate(name, episodes, seed, out)
            printfn "wrote %s: %d episodes of bridge dataset '%s'" out data.Episodes name
        | gameName ->
            let name = dataset ()
            let game = InSPO.Envs.MatrixGames.Resolve gameName
            let data =
                MatrixGameDatasets.Generate(
                    game, name, g.GetResult(GenerateArgs.Episodes, 100), g.GetResult(GenerateArgs.Steps, 50), seed, out)
            printfn "wrote %s: %d episodes × %d steps of %s dataset '%s'" out data.Episodes (data.Steps - 1) game.Name name
        0
    | Mix m ->
        let medium, expert = (DatasetStore.Load(m.GetResult MixArgs.Medium)).Data, (DatasetStore.Load(m.GetResult MixArgs.Expert)).Data
        let count = m.GetResult(MixArgs.Episodes, min medium.Episodes expert.Episodes / 2)
        let seed = m.GetResult(MixArgs.Seed, 0)
        let data = InSPO.Online.SmacTiers.Mixed(medium, expert, count, seed)
        let generator = JsonObject()
        generator["name"] <- JsonValue.Create "mixed"
        generator["medium"] <- JsonValue.Create(IO.Path.GetFullPath(m.GetResult MixArgs.Medium))
        generator["expert"] <- JsonValue.Create(IO.Path.GetFullPath(m.GetResult MixArgs.Expert))
        generator["episodes_each"] <- JsonValue.Create count
        let out = m.GetResult MixArgs.Out
        DatasetStore.Save(out, data, generator, Nullable seed)
        printfn "wrote %s: %d medium then %d expert episodes" out count count
        0
    | Info i ->
        let folder = i.GetResult InfoArgs.Folder
        let stored = DatasetStore.Load folder
        let s = DatasetStatistics.Of stored.Data
        let d = stored.Data
        printfn "%s: environment %s, %d agents, %d actions, obs %d, state %d, limit %d"
            folder d.Spec.Name d.Spec.Agents d.Spec.Actions d.Spec.ObservationSize d.Spec.StateSize d.Spec.EpisodeLimit
        printfn "episodes %d (%d distinct), transitions %d, mean length %.2f, return %.4f ± %.4f (min %.4f, max %.4f)%s"
            s.Episodes s.Distinct s.Transitions s.MeanLength s.ReturnMean s.ReturnStd s.ReturnMin s.ReturnMax
            (match s.WinRate with
             | w when w.HasValue -> sprintf ", win rate %.3f" w.Value
             | _ -> "")
        printfn "time limits: %s (%d episodes cut), generator %s"
            (DatasetManifest.TimeLimitName d.TimeLimits) s.Truncated (stored.Manifest.Generator.ToJsonString())
        0

/// `inspo import pymarl <folder> --out <dataset>`, `inspo import cfcql <file.h5> [--map M] --out <dataset>`.
let import (args: ParseResults<ImportArgs>) =
    match args.GetSubCommand() with
    | Pymarl p ->
        let folder = p.GetResult PymarlImportArgs.Folder
        let env =
            p.GetResult(PymarlImportArgs.Env,
                        (match System.IO.DirectoryInfo(System.IO.Path.GetFullPath folder).Parent with
                         | null -> "pymarl"
                         | parent -> parent.Name))
        let out = p.GetResult PymarlImportArgs.Out
        let data = PymarlImporter.ImportTo(folder, env, out)
        printfn "wrote %s: %d episodes of %s (limit %d) from %s" out data.Episodes env data.Spec.EpisodeLimit folder
        0
    | ImportArgs.Cfcql c ->
        let file = c.GetResult CfcqlImportArgs.File
        let mapName =
            match c.TryGetResult CfcqlImportArgs.Map, CfcqlLayout.MapFromFileName file with
            | Some m, _ -> m
            | None, null ->
                raise (ArgumentException(
                    sprintf "import cfcql %s: give --map (the file name starts with none of %s)" file
                        (String.Join(", ", InSPO.Envs.Smac.SmacMaps.Names))))
            | None, m -> m
        let spec = CfcqlLayout.SpecOf(InSPO.Envs.Smac.SmacMaps.Get mapName)
        let out = c.GetResult CfcqlImportArgs.Out
        let data =
            withProgressOnTerminal file (CfcqlImporter.CountEpisodes file) (fun progress ->
                CfcqlImporter.ImportTo(file, spec, out, progress))
        printfn "wrote %s: %d episodes of %s (limit %d) from %s (time-outs stored as terminated, as in the file)"
            out data.Episodes spec.Name spec.EpisodeLimit file
        0

/// `inspo export cfcql <dataset> --out <file.h5>`.
let export (args: ParseResults<ExportArgs>) =
    match args.GetSubCommand() with
    | ExportArgs.Cfcql c ->
        let folder = c.GetResult CfcqlExportArgs.Folder
        let file = c.GetResult CfcqlExportArgs.Out
        let data = (DatasetStore.Load folder).Data
        withProgressOnTerminal file data.Episodes (fun progress -> CfcqlExporter.Export(data, file, progress))
        let truncated = data.Truncated |> Array.filter id |> Array.length
        printfn "wrote %s: %d episodes of %s (limit %d) in CFCQL's HDF5 layout%s"
            file data.Episodes data.Spec.Name data.Spec.EpisodeLimit
            (if truncated > 0 then sprintf "; %d time-outs stored as terminated, as CFCQL stores them" truncated else "")
        0
