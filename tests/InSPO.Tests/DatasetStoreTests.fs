/// The on-disk dataset format (SPEC 6): save/load round trips, byte-identical re-saves, atomic
/// replacement, every refusal of Load, and deterministic recording from an environment.
module InSPO.Tests.DatasetStoreTests

open System
open System.Collections.Generic
open System.IO
open System.Security.Cryptography
open System.Text.Json.Nodes
open Expecto
open InSPO.Envs
open InSPO.Data
open InSPO.Actors
open InSPO.Tests.NpyTests

// ---------------------------------------------------------------- fixtures

let private spec = EnvSpec("fake", 2, 3, 4, 5, 6)

/// A valid dataset: episode e lasts 1 + e mod 6 steps, masks are random with the chosen action
/// always available, values random and finite.
let private randomDataset (seed: int) (episodes: int) =
    let rng = Random seed
    let d = EpisodeDataset.Empty(spec, episodes)
    for i in 0 .. d.Observations.Length - 1 do d.Observations[i] <- float32 (rng.NextDouble() * 10.0 - 5.0)
    for i in 0 .. d.States.Length - 1 do d.States[i] <- float32 (rng.NextDouble())
    for e in 0 .. episodes - 1 do
        let length = 1 + e % spec.EpisodeLimit
        for t in 0 .. d.Steps - 1 do
            for n in 0 .. spec.Agents - 1 do
                let first = d.AvailableActionsIndex(e, t, n)
                for a in 0 .. spec.Actions - 1 do d.AvailableActions[first + a] <- rng.Next 2 = 1
                let chosen = rng.Next spec.Actions
                d.AvailableActions[first + chosen] <- true
                if t < length then d.Actions[d.ActionIndex(e, t, n)] <- chosen
            if t < length then
                let slot = d.SlotIndex(e, t)
                d.Filled[slot] <- true
                d.Rewards[slot] <- float32 (rng.NextDouble() - 0.5)
                d.Terminated[slot] <- (t = length - 1)
    d

/// The JSON object a text holds; fails the test otherwise.
let private parseObject (text: string) : JsonObject =
    match JsonNode.Parse text with
    | :? JsonObject as o -> o
    | _ -> failtest "expected a JSON object"

/// The node at a path of keys; fails the test if one is absent.
let private at (path: string list) (node: JsonNode) : JsonNode =
    path
    |> List.fold
        (fun (n: JsonNode) key ->
            match n[key] with
            | null -> failtestf "no key '%s' in %s" key (n.ToJsonString())
            | child -> child)
        node

/// Sets the value at a path of keys (the parent must exist).
let private setAt (path: string list) (value: 'T) (root: JsonNode) =
    let parent = at (List.take (path.Length - 1) path) root
    let node: JsonNode | null = JsonValue.Create<'T> value
    parent[List.last path] <- node

/// Removes the last key of a path.
let private removeAt (path: string list) (root: JsonNode) =
    (at (List.take (path.Length - 1) path) root :?> JsonObject).Remove(List.last path) |> ignore

let private generator () = parseObject """{"name": "random", "epsilon": 0.25, "note": "test"}"""

/// Saves a fresh 7-episode dataset under a scratch folder and returns (dataset folder, data).
let private saved (name: string) =
    let folder = Path.Combine(TestPaths.scratchDir name, "ds")
    let data = randomDataset 1 7
    DatasetStore.Save(folder, data, generator (), Nullable 7)
    folder, data

/// File name → bytes of everything in a folder.
let private snapshot (folder: string) =
    Directory.GetFiles folder |> Array.sort |> Array.map (fun f -> Path.GetFileName f, File.ReadAllBytes f)

let private sha256 (path: string) = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes path))

let private editManifest (folder: string) (edit: JsonNode -> unit) =
    let path = Path.Combine(folder, "manifest.json")
    let root = parseObject (File.ReadAllText path)
    edit root
    File.WriteAllText(path, root.ToJsonString())

/// Replaces one field's file and updates its checksum, as a careless hand edit would.
let private tamper (folder: string) (field: string) (array: NpyArray) =
    let path = Path.Combine(folder, field + ".npy")
    Npy.Write(path, array)
    editManifest folder (setAt [ "fields"; field; "sha256" ] (sha256 path))

let private shapeOf (folder: string) field = (Npy.Read(Path.Combine(folder, field + ".npy"))).Shape

let private expectLoadRefusal (folder: string) (problems: string list) =
    let message = formatError (fun () -> DatasetStore.Load folder)
    Expect.stringContains message folder "the message names the dataset folder"
    for p in problems do
        Expect.stringContains message p "the message names the problem"

let private equalData (a: EpisodeDataset) (b: EpisodeDataset) =
    Expect.equal b.Spec a.Spec "spec"
    Expect.equal (b.Episodes, b.Steps) (a.Episodes, a.Steps) "sizes"
    Expect.equal b.Observations a.Observations "observations"
    Expect.equal b.States a.States "states"
    Expect.equal b.Actions a.Actions "actions"
    Expect.equal b.AvailableActions a.AvailableActions "available actions"
    Expect.equal b.Rewards a.Rewards "rewards"
    Expect.equal b.Terminated a.Terminated "terminated"
    Expect.equal b.Filled a.Filled "filled"

// ---------------------------------------------------------------- a tiny environment

/// Two agents, three actions; a hidden value drawn at reset, episodes that end at random (or
/// never, to exercise the time-limit cut). Agent 1 may not take action 2 on odd steps.
type private CountingEnv(limit: int, neverEnds: bool) =
    let spec = EnvSpec("counting", 2, 3, 2, 3, limit)
    let mutable rng = Random 0
    let mutable value = 0
    let mutable t = 0
    member val Resets = ResizeArray<int>()
    interface IMultiAgentEnv with
        member _.Spec = spec
        member this.Reset(seed: int) =
            this.Resets.Add seed
            rng <- Random seed
            value <- rng.Next 100
            t <- 0
        member _.Step(joint: ReadOnlySpan<int>) =
            let reward = float32 (joint[0] + 10 * joint[1]) + float32 value * 0.01f
            t <- t + 1
            let ended = not neverEnds && rng.Next 4 = 0
            StepOutcome(reward, ended || t = limit, not ended && t = limit)
        member _.WriteObservations(destination: Span<float32>) =
            for n in 0..1 do
                destination[2 * n] <- float32 value
                destination[2 * n + 1] <- float32 (n + t)
        member _.WriteState(destination: Span<float32>) =
            destination[0] <- float32 value
            destination[1] <- float32 t
            destination[2] <- 1.0f
        member _.WriteAvailableActions(destination: Span<bool>) =
            for n in 0..1 do
                for a in 0..2 do
                    destination[3 * n + a] <- not (n = 1 && a = 2 && t % 2 = 1)
        member _.Info = readOnlyDict ([]: (string * float) list)

/// Uniform over each agent's available actions, from the recorder's Random.
let private uniformPolicy (ctx: EpisodeStepContext) =
    Array.init ctx.Spec.Agents (fun n ->
        let available = ResizeArray<int>()
        let mask = ctx.Available n
        for a in 0 .. mask.Length - 1 do
            if mask[a] then available.Add a
        available[ctx.Random.Next available.Count])

let private record (env: IMultiAgentEnv) (policy: EpisodeStepContext -> int[]) episodes seed =
    EpisodeRecorder.Record(env, Func<EpisodeStepContext, int[]> policy, episodes, seed)

let private slice (data: 'a[]) (perEpisode: int) (episodes: int) = data[.. perEpisode * episodes - 1]

// ---------------------------------------------------------------- tests

[<Tests>]
let tests =
    testList "dataset store" [
        testList "episode dataset" [
            test "lengths and returns count filled steps only" {
                let d = randomDataset 3 7
                Expect.equal [ for e in 0..6 -> d.EpisodeLength e ] [ 1; 2; 3; 4; 5; 6; 1 ] "1 + e mod 6"
                let expected = Seq.sum (seq { for t in 0 .. d.Steps - 1 do if d.Filled[d.SlotIndex(2, t)] then float d.Rewards[d.SlotIndex(2, t)] })
                d.Rewards[d.SlotIndex(2, 5)] <- 100.0f // unfilled: must not count
                Expect.floatClose Accuracy.veryHigh (d.EpisodeReturn 2) expected "return of episode 2"
                Expect.equal (d.TotalSteps()) 22L "sum of lengths"
                Expect.isNull (d.FindValueProblem()) "a valid dataset has no problem"
            }
            test "index helpers follow the row-major layout" {
                let d = randomDataset 3 2
                Expect.equal d.Steps 7 "T1 = limit + 1"
                Expect.equal (d.ObservationIndex(1, 2, 1)) (((1 * 7 + 2) * 2 + 1) * 4) "obs index"
                Expect.equal (d.StateIndex(1, 3)) ((1 * 7 + 3) * 5) "state index"
                Expect.equal (d.ActionIndex(1, 6, 1)) ((1 * 7 + 6) * 2 + 1) "action index"
                Expect.equal (d.AvailableActionsIndex(0, 1, 1)) ((1 * 2 + 1) * 3) "avail index"
                Expect.equal ((d.Observation(1, 2, 1)).ToArray()) d.Observations[d.ObservationIndex(1, 2, 1) .. d.ObservationIndex(1, 2, 1) + 3] "observation span"
            }
            test "the constructor checks every array length" {
                let ok = randomDataset 3 2
                let make (f: EpisodeDataset -> EpisodeDataset) = f ok |> ignore
                let throwsNamed (name: string) f =
                    let e = Expect.throwsC (fun () -> make f) id
                    Expect.stringContains e.Message name "names the array"
                throwsNamed "observations" (fun d -> EpisodeDataset(d.Spec, 2, d.Observations[1..], d.States, d.Actions, d.AvailableActions, d.Rewards, d.Terminated, d.Filled))
                throwsNamed "states" (fun d -> EpisodeDataset(d.Spec, 2, d.Observations, Array.append d.States [| 0f |], d.Actions, d.AvailableActions, d.Rewards, d.Terminated, d.Filled))
                throwsNamed "actions" (fun d -> EpisodeDataset(d.Spec, 2, d.Observations, d.States, d.Actions[1..], d.AvailableActions, d.Rewards, d.Terminated, d.Filled))
                throwsNamed "availableActions" (fun d -> EpisodeDataset(d.Spec, 2, d.Observations, d.States, d.Actions, d.AvailableActions[1..], d.Rewards, d.Terminated, d.Filled))
                throwsNamed "rewards" (fun d -> EpisodeDataset(d.Spec, 2, d.Observations, d.States, d.Actions, d.AvailableActions, d.Rewards[1..], d.Terminated, d.Filled))
                throwsNamed "terminated" (fun d -> EpisodeDataset(d.Spec, 2, d.Observations, d.States, d.Actions, d.AvailableActions, d.Rewards, d.Terminated[1..], d.Filled))
                throwsNamed "filled" (fun d -> EpisodeDataset(d.Spec, 2, d.Observations, d.States, d.Actions, d.AvailableActions, d.Rewards, d.Terminated, d.Filled[1..]))
                throwsNamed "E×T1×N×O" (fun d -> EpisodeDataset(d.Spec, 3, d.Observations, d.States, d.Actions, d.AvailableActions, d.Rewards, d.Terminated, d.Filled))
            }
        ]

        testList "save and load" [
            test "a saved dataset loads back equal, with its manifest" {
                let folder, data = saved "store-roundtrip"
                let loaded = DatasetStore.Load folder
                equalData data loaded.Data
                let m = loaded.Manifest
                Expect.equal m.Format "inspo-dataset/2" "format"
                Expect.equal m.TimeLimits TimeLimitConvention.Truncated "time-outs kept apart"
                Expect.equal m.Environment spec "environment"
                Expect.equal (m.Seed, m.Episodes, m.Steps) (Nullable 7, 7, 7) "seed, episodes, steps"
                Expect.equal (m.Generator.ToJsonString()) ((generator ()).ToJsonString()) "generator verbatim"
                Expect.equal (List.ofSeq m.Fields.Keys) (List.ofSeq DatasetStore.FieldNames) "every field, in order"
            }
            test "a dataset of format 1 (no truncated field) still loads, its time-outs read as stored terminated" {
                let folder, data = saved "store-format1"
                let path = Path.Combine(folder, "manifest.json")
                let root = parseObject (File.ReadAllText path)
                root["format"] <- JsonValue.Create "inspo-dataset/1"
                root.Remove "time_limits" |> ignore
                (nonNull root["fields"] :?> JsonObject).Remove "truncated" |> ignore
                File.WriteAllText(path, root.ToJsonString())
                File.Delete(Path.Combine(folder, "truncated.npy"))
                let loaded = DatasetStore.Load folder
                Expect.equal loaded.Manifest.TimeLimits TimeLimitConvention.StoredAsTerminated "format 1: time-outs stored as terminated"
                Expect.equal loaded.Data.TimeLimits TimeLimitConvention.StoredAsTerminated "the data say so too"
                Expect.isFalse (Array.exists id loaded.Data.Truncated) "no truncation"
                Expect.equal loaded.Data.Terminated data.Terminated "terminated as stored"
                let missing = Path.Combine(TestPaths.scratchDir "store-format2-missing", "ds")
                DatasetStore.Save(missing, data, generator (), Nullable 7)
                File.Delete(Path.Combine(missing, "truncated.npy"))
                expectLoadRefusal missing [ "field 'truncated': file truncated.npy is missing" ]
            }
            test "the manifest is snake_case JSON with shapes, dtypes and checksums and no timestamps" {
                let folder, _ = saved "store-manifest"
                let text = File.ReadAllText(Path.Combine(folder, "manifest.json"))
                let root = parseObject text :> JsonNode
                Expect.equal ((at [ "format" ] root).GetValue<string>()) "inspo-dataset/2" "format"
                Expect.equal ((at [ "time_limits" ] root).GetValue<string>()) "truncated" "time_limits"
                Expect.equal ((at [ "environment"; "observation_size" ] root).GetValue<int>()) 4 "environment.observation_size"
                Expect.equal ((at [ "environment"; "episode_limit" ] root).GetValue<int>()) 6 "environment.episode_limit"
                Expect.equal ((at [ "generator"; "epsilon" ] root).GetValue<float>()) 0.25 "generator parameters"
                Expect.equal ((at [ "seed" ] root).GetValue<int>()) 7 "seed"
                let expected =
                    [ "obs", "<f4", [ 7L; 7L; 2L; 4L ]; "state", "<f4", [ 7L; 7L; 5L ]; "actions", "<i4", [ 7L; 7L; 2L ]
                      "avail_actions", "|u1", [ 7L; 7L; 2L; 3L ]; "reward", "<f4", [ 7L; 7L ]
                      "terminated", "|u1", [ 7L; 7L ]; "filled", "|u1", [ 7L; 7L ]; "truncated", "|u1", [ 7L; 7L ] ]
                for name, dtype, shape in expected do
                    let f = at [ "fields"; name ] root
                    Expect.equal ((at [ "file" ] f).GetValue<string>()) (name + ".npy") "file"
                    Expect.equal ((at [ "dtype" ] f).GetValue<string>()) dtype (name + " dtype")
                    Expect.equal [ for d in (at [ "shape" ] f).AsArray() -> (nonNull d).GetValue<int64>() ] shape (name + " shape")
                    Expect.equal ((at [ "sha256" ] f).GetValue<string>()) (sha256 (Path.Combine(folder, name + ".npy"))) (name + " checksum")
                    Expect.equal (List.ofArray (shapeOf folder name)) shape (name + " .npy header shape")
                Expect.stringContains text "\"dtype\": \"<f4\"" "dtypes written as NumPy spells them, unescaped"
                for word in [ "timestamp"; "date"; "created"; "utc"; folder ] do
                    Expect.isFalse (text.Contains word) (sprintf "no '%s' in the manifest" word)
            }
            test "a null seed is stored and read back as null" {
                let folder = Path.Combine(TestPaths.scratchDir "store-noseed", "nested", "ds")
                DatasetStore.Save(folder, randomDataset 4 2, generator (), Nullable())
                Expect.isFalse (DatasetStore.ReadManifest(folder).Seed.HasValue) "seed null"
                Expect.stringContains (File.ReadAllText(Path.Combine(folder, "manifest.json"))) "\"seed\": null" "written as null"
            }
            test "re-saving a loaded dataset gives the same bytes" {
                let folder, _ = saved "store-resave"
                let loaded = DatasetStore.Load folder
                let again = Path.Combine(TestPaths.scratchDir "store-resave2", "ds")
                DatasetStore.Save(again, loaded.Data, loaded.Manifest.Generator, loaded.Manifest.Seed)
                Expect.equal (snapshot again) (snapshot folder) "every file byte-identical"
                DatasetStore.Save(folder, loaded.Data, loaded.Manifest.Generator, loaded.Manifest.Seed)
                Expect.equal (snapshot folder) (snapshot again) "replacing in place gives the same bytes too"
            }
            test "a failed save leaves the old dataset intact and no temporary folder" {
                let folder, data = saved "store-atomic"
                let parent = nonNull (Path.GetDirectoryName folder)
                let before = snapshot folder
                let bad = randomDataset 2 7
                let chosen = bad.Actions[bad.ActionIndex(3, 1, 0)]
                bad.AvailableActions[bad.AvailableActionsIndex(3, 1, 0) + chosen] <- false
                let message = formatError (fun () -> DatasetStore.Save(folder, bad, generator (), Nullable 8))
                Expect.stringContains message ("cannot save dataset " + folder) "names the target"
                Expect.stringContains message (sprintf "action %d at episode 3, step 1, agent 0 is not available" chosen) "names the problem"
                Expect.equal (snapshot folder) before "old dataset untouched"
                equalData data (DatasetStore.Load folder).Data
                Expect.equal (Directory.GetFileSystemEntries parent) [| folder |] "no temporary folder left"
                // A good dataset then replaces it completely.
                let next = randomDataset 5 3
                DatasetStore.Save(folder, next, generator (), Nullable 9)
                equalData next (DatasetStore.Load folder).Data
                Expect.equal (Directory.GetFileSystemEntries parent) [| folder |] "no old or temporary folder left"
            }
            test "refuses to replace a folder that is not a dataset" {
                let folder = TestPaths.scratchDir "store-notds"
                File.WriteAllText(Path.Combine(folder, "keep.txt"), "precious")
                let e = Expect.throwsC (fun () -> DatasetStore.Save(folder, randomDataset 1 1, generator (), Nullable 1)) id
                Expect.stringContains e.Message "refusing to replace" "says why"
                Expect.equal (Directory.GetFiles folder |> Array.map Path.GetFileName) [| "keep.txt" |] "folder untouched"
            }
            test "ReadManifest needs only the manifest" {
                let folder, _ = saved "store-info"
                File.Delete(Path.Combine(folder, "obs.npy"))
                let m = DatasetStore.ReadManifest folder
                Expect.equal (m.Episodes, m.Environment.Name) (7, "fake") "manifest read"
            }
        ]

        testList "load refusals name the dataset and the problem" [
            test "folder missing" {
                let folder = Path.Combine(TestPaths.scratchDir "store-missing", "nothing")
                expectLoadRefusal folder [ "folder does not exist" ]
            }
            test "manifest missing" {
                let folder, _ = saved "store-nomanifest"
                File.Delete(Path.Combine(folder, "manifest.json"))
                expectLoadRefusal folder [ "manifest.json is missing" ]
            }
            test "manifest not JSON" {
                let folder, _ = saved "store-badjson"
                File.WriteAllText(Path.Combine(folder, "manifest.json"), "{ \"format\": ")
                expectLoadRefusal folder [ "manifest.json: malformed JSON" ]
            }
            test "unknown format version" {
                let folder, _ = saved "store-format"
                editManifest folder (setAt [ "format" ] "inspo-dataset/9")
                expectLoadRefusal folder [ "unknown format 'inspo-dataset/9'" ]
            }
            test "a manifest key missing" {
                let folder, _ = saved "store-key"
                editManifest folder (removeAt [ "environment"; "agents" ])
                expectLoadRefusal folder [ "missing key 'environment.agents'" ]
            }
            test "steps disagreeing with the episode limit" {
                let folder, _ = saved "store-steps"
                editManifest folder (setAt [ "steps" ] 8)
                expectLoadRefusal folder [ "steps 8 disagrees with environment.episode_limit 6" ]
            }
            test "field missing from the manifest" {
                let folder, _ = saved "store-field"
                editManifest folder (removeAt [ "fields"; "reward" ])
                expectLoadRefusal folder [ "field 'reward' is missing from manifest.json" ]
            }
            test "field file missing" {
                let folder, _ = saved "store-file"
                File.Delete(Path.Combine(folder, "state.npy"))
                expectLoadRefusal folder [ "field 'state': file state.npy is missing" ]
            }
            test "manifest dtype not the format's" {
                let folder, _ = saved "store-mdtype"
                editManifest folder (setAt [ "fields"; "obs"; "dtype" ] "<f8")
                expectLoadRefusal folder [ "field 'obs': manifest.json gives dtype <f8, the format stores <f4" ]
            }
            test "manifest shape disagreeing with the episode count" {
                let folder, _ = saved "store-mshape"
                editManifest folder (setAt [ "episodes" ] 8)
                expectLoadRefusal folder [ "field 'obs': manifest.json gives shape (7, 7, 2, 4)"; "need (8, 7, 2, 4)" ]
            }
            test "file dtype disagreeing with the manifest" {
                let folder, data = saved "store-fdtype"
                Npy.Write(Path.Combine(folder, "obs.npy"), NpyArray(Array.map float data.Observations, 7L, 7L, 2L, 4L))
                expectLoadRefusal folder [ "field 'obs': obs.npy has dtype <f8, manifest.json says <f4" ]
            }
            test "file shape disagreeing with the other fields" {
                let folder, data = saved "store-fshape"
                Npy.Write(Path.Combine(folder, "reward.npy"), NpyArray(data.Rewards[.. 6 * 7 - 1], 6L, 7L))
                expectLoadRefusal folder [ "field 'reward': reward.npy has shape (6, 7), manifest.json says (7, 7)" ]
            }
            test "checksum mismatch" {
                let folder, _ = saved "store-sha"
                let path = Path.Combine(folder, "reward.npy")
                let bytes = File.ReadAllBytes path
                bytes[bytes.Length - 1] <- bytes[bytes.Length - 1] ^^^ 1uy
                File.WriteAllBytes(path, bytes)
                expectLoadRefusal folder [ "field 'reward': checksum mismatch: reward.npy has sha256" ]
            }
            test "truncated field file" {
                let folder, _ = saved "store-trunc"
                let path = Path.Combine(folder, "obs.npy")
                File.WriteAllBytes(path, (File.ReadAllBytes path)[.. 200])
                expectLoadRefusal folder [ path; "truncated data" ]
            }
            test "action outside [0, A) on a filled step" {
                let folder, data = saved "store-range"
                let actions = Array.copy data.Actions
                actions[data.ActionIndex(4, 2, 1)] <- 3
                tamper folder "actions" (NpyArray(actions, 7L, 7L, 2L))
                expectLoadRefusal folder [ "actions: action 3 outside [0, 3) at episode 4, step 2, agent 1" ]
            }
            test "action not available on a filled step" {
                let folder, data = saved "store-avail"
                let avail = Array.copy data.AvailableActions
                avail[data.AvailableActionsIndex(5, 4, 0) + data.Actions[data.ActionIndex(5, 4, 0)]] <- false
                tamper folder "avail_actions" (NpyArray.BoolsAsBytes(avail, 7L, 7L, 2L, 3L))
                expectLoadRefusal folder [ "at episode 5, step 4, agent 0 is not available" ]
            }
            test "an action on an unfilled step is not checked" {
                let folder, data = saved "store-padding"
                let actions = Array.copy data.Actions
                actions[data.ActionIndex(0, 5, 0)] <- 99
                tamper folder "actions" (NpyArray(actions, 7L, 7L, 2L))
                Expect.equal (DatasetStore.Load folder).Data.Actions actions "padding may hold anything"
            }
            test "mask byte other than 0 or 1" {
                let folder, data = saved "store-mask"
                let bytes = data.AvailableActions |> Array.map (fun b -> if b then 1uy else 0uy)
                bytes[10] <- 2uy
                tamper folder "avail_actions" (NpyArray(bytes, 7L, 7L, 2L, 3L))
                expectLoadRefusal folder [ "avail_actions.npy: value 2"; "a boolean" ]
            }
            test "non-finite reward" {
                let folder, data = saved "store-nan"
                let reward = Array.copy data.Rewards
                reward[data.SlotIndex(1, 0)] <- nanf
                tamper folder "reward" (NpyArray(reward, 7L, 7L))
                expectLoadRefusal folder [ "reward: non-finite value NaN at episode 1, step 0" ]
            }
            test "non-finite observation" {
                let folder, data = saved "store-inf"
                let obs = Array.copy data.Observations
                obs[data.ObservationIndex(2, 6, 1) + 3] <- infinityf
                tamper folder "obs" (NpyArray(obs, 7L, 7L, 2L, 4L))
                expectLoadRefusal folder [ "obs: non-finite value"; "at episode 2, step 6, agent 1, feature 3" ]
            }
            test "filled not a prefix" {
                let folder, data = saved "store-prefix"
                let filled = Array.copy data.Filled
                filled[data.SlotIndex(0, 3)] <- true
                tamper folder "filled" (NpyArray.BoolsAsBytes(filled, 7L, 7L))
                expectLoadRefusal folder [ "filled: episode 0 is not a prefix (step 3 filled after unfilled step 1)" ]
            }
            test "filled on the final-observation slot" {
                let folder, data = saved "store-final"
                let filled = Array.copy data.Filled
                filled[data.SlotIndex(5, 6)] <- true
                tamper folder "filled" (NpyArray.BoolsAsBytes(filled, 7L, 7L))
                expectLoadRefusal folder [ "filled: episode 5 is filled on its final slot 6" ]
            }
            test "terminated before the episode's last step" {
                let folder, data = saved "store-term"
                let terminated = Array.copy data.Terminated
                terminated[data.SlotIndex(3, 0)] <- true
                tamper folder "terminated" (NpyArray.BoolsAsBytes(terminated, 7L, 7L))
                expectLoadRefusal folder [ "terminated: episode 3 is terminated at step 0 but goes on to step 3" ]
            }
        ]

        testList "episode recorder" [
            test "the same seed gives byte-identical datasets, another seed another one" {
                let a = record (CountingEnv(8, false)) uniformPolicy 12 42
                let b = record (CountingEnv(8, false)) uniformPolicy 12 42
                let c = record (CountingEnv(8, false)) uniformPolicy 12 43
                equalData a b
                let save (d: EpisodeDataset) name =
                    let folder = Path.Combine(TestPaths.scratchDir name, "ds")
                    DatasetStore.Save(folder, d, generator (), Nullable 42)
                    snapshot folder
                Expect.equal (save a "rec-a") (save b "rec-b") "saved bytes identical"
                Expect.notEqual c.Observations a.Observations "seed 43 differs"
            }
            test "episode e depends only on the seed and e" {
                let env = CountingEnv(8, false)
                let short = record env uniformPolicy 3 5
                Expect.equal (List.ofSeq env.Resets) [ for e in 0..2 -> EpisodeRecorder.EnvironmentSeed(5, e) ] "reset seeds derived from (seed, e)"
                Expect.equal (env.Resets |> Seq.distinct |> Seq.length) 3 "every episode its own environment seed"
                Expect.notEqual (EpisodeRecorder.PolicySeed(5, 0)) (EpisodeRecorder.EnvironmentSeed(5, 0)) "policy and environment streams differ"
                Expect.notEqual (EpisodeRecorder.EnvironmentSeed(5, 1)) (EpisodeRecorder.EnvironmentSeed(6, 0)) "no overlap between neighbouring seeds"
                let long = record (CountingEnv(8, false)) uniformPolicy 6 5
                Expect.equal (slice long.Observations (9 * 2 * 2) 3) short.Observations "first three episodes' observations"
                Expect.equal (slice long.Actions (9 * 2) 3) short.Actions "first three episodes' actions"
            }
            test "recorded episodes follow the PyMARL layout" {
                let d = record (CountingEnv(8, false)) uniformPolicy 30 11
                Expect.equal (d.Episodes, d.Steps, d.Agents, d.ActionCount) (30, 9, 2, 3) "sizes from the spec"
                Expect.isNull (d.FindValueProblem()) "valid values"
                Expect.isGreaterThan (List.length (List.distinct [ for e in 0..29 -> d.EpisodeLength e ])) 2 "random lengths"
                for e in 0..29 do
                    let length = d.EpisodeLength e
                    let value = d.Observations[d.ObservationIndex(e, 0, 0)]
                    for t in 0 .. d.Steps - 1 do
                        let slot = d.SlotIndex(e, t)
                        Expect.equal d.Filled[slot] (t < length) "filled is the prefix of real steps"
                        Expect.equal d.Terminated[slot] (t = length - 1) "terminated on the last step"
                        if t <= length then
                            Expect.equal (d.Observation(e, t, 1).ToArray()) [| value; float32 (1 + t) |] "slot t holds what agent 1 saw at t, up to the final observation"
                            Expect.equal (d.State(e, t).ToArray()) [| value; float32 t; 1.0f |] "state"
                        if t < length then
                            let a0, a1 = d.Actions[d.ActionIndex(e, t, 0)], d.Actions[d.ActionIndex(e, t, 1)]
                            Expect.floatClose Accuracy.high (float d.Rewards[slot]) (float (float32 (a0 + 10 * a1) + value * 0.01f)) "reward of the joint action"
                            Expect.isFalse (t % 2 = 1 && a1 = 2) "agent 1 never took its unavailable action"
                        else
                            Expect.equal (d.Actions[d.ActionIndex(e, t, 0)], d.Rewards[slot]) (0, 0.0f) "padding is zero"
            }
            test "an episode the environment never ends is cut at the limit and stored as truncated, not terminated" {
                let d = record (CountingEnv(5, true)) uniformPolicy 3 1
                Expect.equal d.TimeLimits TimeLimitConvention.Truncated "recorded data keep time-outs apart"
                for e in 0..2 do
                    Expect.equal (d.EpisodeLength e) 5 "full length"
                    Expect.isTrue d.Truncated[d.SlotIndex(e, 4)] "truncated at the limit"
                    Expect.isFalse d.Terminated[d.SlotIndex(e, 4)] "a time-out is not a termination"
                    let finalState = d.State(e, 5).ToArray()
                    Expect.equal finalState[1] 5.0f "final slot holds the state after the last step"
            }
            test "an unavailable action is refused with a clear message" {
                let policy (ctx: EpisodeStepContext) = if ctx.Step = 1 then [| 0; 2 |] else [| 0; 0 |]
                let e = Expect.throwsC (fun () -> record (CountingEnv(8, true)) policy 1 0 |> ignore) id
                Expect.isTrue (e :? InvalidOperationException) "InvalidOperationException"
                Expect.stringContains e.Message "action 2 for agent 1 at episode 0, step 1, which is not available (available: 0, 1)" "message"
            }
            test "an out-of-range action or a wrong-length joint action is refused" {
                let outside = Expect.throwsC (fun () -> record (CountingEnv(8, true)) (fun _ -> [| 3; 0 |]) 1 0 |> ignore) id
                Expect.stringContains outside.Message "action 3 for agent 0 at episode 0, step 0: outside [0, 3)" "range"
                let short = Expect.throwsC (fun () -> record (CountingEnv(8, true)) (fun _ -> [| 0 |]) 1 0 |> ignore) id
                Expect.stringContains short.Message "1 actions for 2 agents" "length"
            }
        ]
    ]
