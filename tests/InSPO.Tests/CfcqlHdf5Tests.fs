/// CFCQL's SMAC HDF5 files: import of the shared fixture (its JSON sidecar gives what must come out), refusal of
/// the four malformed fixtures through the CLI, export → import round trips, and h5py reading an exported file.
module InSPO.Tests.CfcqlHdf5Tests

open System
open System.Diagnostics
open System.IO
open System.Runtime.InteropServices
open System.Text.Json
open Expecto
open PureHDF
open InSPO.Data
open InSPO.Envs.Smac

let private smacH5 = Path.Combine(TestPaths.sharedData, "smac_h5")
let private fixture = Path.Combine(smacH5, "5m_vs_6m_fixture.h5")
let private spec = CfcqlLayout.SpecOf(SmacMaps.Get "5m_vs_6m")

/// Runs a test only where the shared fixtures are present, else skips saying why.
let private withFixtures f =
    if File.Exists fixture then f ()
    else skiptestf "reference data %s is absent (../shared/data/smac_h5 comes with the project's shared folder)" fixture

/// Every field of two datasets, floats compared bit for bit.
let private expectSameData (actual: EpisodeDataset) (expected: EpisodeDataset) =
    let bits (xs: float32[]) = xs |> Array.map BitConverter.SingleToInt32Bits
    Expect.equal actual.Spec expected.Spec "environment"
    Expect.equal actual.Episodes expected.Episodes "episodes"
    Expect.equal actual.TimeLimits expected.TimeLimits "time limits"
    Expect.isTrue (bits actual.Observations = bits expected.Observations) "obs bit for bit"
    Expect.isTrue (bits actual.States = bits expected.States) "state bit for bit"
    Expect.isTrue (bits actual.Rewards = bits expected.Rewards) "reward bit for bit"
    Expect.equal actual.Actions expected.Actions "actions"
    Expect.equal actual.AvailableActions expected.AvailableActions "avail_actions"
    Expect.equal actual.Terminated expected.Terminated "terminated"
    Expect.equal actual.Truncated expected.Truncated "truncated"
    Expect.equal actual.Filled expected.Filled "filled"

/// A key of an HDF5 file as its raw bytes and shape, read with its own element type.
let private rawKey (file: string) (key: CfcqlLayout.Key) =
    use h5 = H5File.OpenRead file
    let ds = h5.Dataset key.Name :?> PureHDF.VOL.Native.NativeDataset
    let count = int (Array.fold (fun p d -> p * d) 1UL ds.Space.Dimensions)
    let read (empty: 'T[]) : byte[] =
        ds.Read<'T>(Span empty)
        MemoryMarshal.AsBytes(Span empty).ToArray()
    let bytes =
        match key.Dtype with
        | "float32" -> read (Array.zeroCreate<float32> count)
        | "int64" -> read (Array.zeroCreate<int64> count)
        | "int32" -> read (Array.zeroCreate<int32> count)
        | "uint8" -> read (Array.zeroCreate<byte> count)
        | other -> failwithf "no reader for dtype %s" other
    bytes, ds.Space.Dimensions

/// `inspo import cfcql` refuses: exit 2, one line on stderr naming the problem, nothing on stdout, no dataset.
let private refusedByCli (file: string) (extra: string list) (fragments: string list) =
    let out = Path.Combine(TestPaths.scratchDir "cfcql-refused", "data")
    let code, stdout, stderr = CliTests.inspo ([ "import"; "cfcql"; file; "--out"; out ] @ extra)
    Expect.equal code 2 (sprintf "exit code 2 on a bad file (stderr: %s)" stderr)
    let lines = stderr.Trim().Split('\n')
    Expect.equal lines.Length 1 (sprintf "one line on stderr, got: %s" stderr)
    for f in fragments do Expect.stringContains lines.[0] f "the line names the problem"
    Expect.equal stdout "" "nothing on stdout"
    Expect.isFalse (Directory.Exists out) "no dataset written"

/// The first Python 3 that imports h5py: the one on PATH, else Debian's (python3-h5py installs there, and PATH
/// may lead to another Python, e.g. pyenv's).
let private pythonWithH5py =
    lazy (
        [ "python3"; "/usr/bin/python3" ]
        |> List.tryFind (fun exe ->
            try
                let psi = ProcessStartInfo(exe, RedirectStandardOutput = true, RedirectStandardError = true)
                for a in [ "-c"; "import h5py" ] do psi.ArgumentList.Add a
                match Process.Start psi with
                | null -> false
                | p ->
                    use p = p
                    p.WaitForExit()
                    p.ExitCode = 0
            with _ -> false))

/// Runs a Python script with arguments; returns stdout, failing the test on a non-zero exit.
let private runPython (python: string) (script: string) (args: string list) =
    let psi = ProcessStartInfo(python, RedirectStandardOutput = true, RedirectStandardError = true)
    for a in [ "-c"; script ] @ args do psi.ArgumentList.Add a
    use p = match Process.Start psi with null -> failtestf "could not start %s" python | p -> p
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEnd()
    p.WaitForExit()
    if p.ExitCode <> 0 then failtestf "%s exited %d: %s" python p.ExitCode err
    out.Result

[<Tests>]
let tests =
    testList "cfcql hdf5" [
        test "import recovers the sidecar's episode lengths and returns; time-outs are stored as terminated" {
            withFixtures (fun () ->
                let sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(smacH5, "5m_vs_6m_fixture.json"))).RootElement
                let lengths = [ for x in sidecar.GetProperty("lengths").EnumerateArray() -> x.GetInt32() ]
                let returns = [ for x in sidecar.GetProperty("returns").EnumerateArray() -> x.GetDouble() ]
                let data = CfcqlImporter.Import(fixture, spec)
                Expect.equal data.Episodes (sidecar.GetProperty("episodes").GetInt32()) "episodes"
                Expect.equal data.Steps (sidecar.GetProperty("rows").GetInt32()) "rows = episode limit + 1"
                Expect.equal [ for e in 0 .. data.Episodes - 1 -> data.EpisodeLength e ] lengths "episode lengths"
                for e in 0 .. data.Episodes - 1 do
                    Expect.floatClose { absolute = 1e-5; relative = 1e-6 } (data.EpisodeReturn e) returns.[e] (sprintf "return of episode %d" e)
                Expect.equal data.TimeLimits TimeLimitConvention.StoredAsTerminated "the file stores time-outs as terminated"
                Expect.isFalse (Array.contains true data.Truncated) "nothing truncated"
                // Every episode ends terminated, the 70-step time-out (episode 0) too.
                for e in 0 .. data.Episodes - 1 do
                    Expect.isTrue data.Terminated.[data.SlotIndex(e, lengths.[e] - 1)] (sprintf "episode %d terminated on its last step" e)
                Expect.equal lengths.[0] spec.EpisodeLimit "episode 0 runs to the limit")
        }

        test "import reads chunks of 1, 5 and 64 episodes to the same arrays" {
            withFixtures (fun () ->
                let whole = CfcqlImporter.Import(fixture, spec, chunkEpisodes = 64)
                for chunk in [ 1; 5 ] do   // 5 leaves a last chunk of 2 of the 12 episodes
                    expectSameData (CfcqlImporter.Import(fixture, spec, chunkEpisodes = chunk)) whole)
        }

        test "inspo import cfcql writes a dataset whose manifest names the source and the convention" {
            withFixtures (fun () ->
                let out = Path.Combine(TestPaths.scratchDir "cfcql-import", "5m")
                // No --map: the file name starts with it.
                let code, stdout, stderr = CliTests.inspo [ "import"; "cfcql"; fixture; "--out"; out ]
                Expect.equal code 0 (sprintf "exit code (stderr: %s)" stderr)
                Expect.stringContains stdout "12 episodes of 5m_vs_6m" "summary"
                let stored = DatasetStore.Load out
                let text (key: string) = match stored.Manifest.Generator[key] with null -> "" | v -> v.GetValue<string>()
                Expect.equal (text "name") "cfcql-hdf5" "generator"
                Expect.equal (text "source") fixture "source file"
                Expect.equal stored.Manifest.TimeLimits TimeLimitConvention.StoredAsTerminated "time_limits: terminated"
                Expect.stringContains (File.ReadAllText(Path.Combine(out, "manifest.json"))) "\"time_limits\": \"terminated\"" "in the JSON")
        }

        testList "malformed files are refused by inspo import cfcql: one line, exit 2" [
            for name, fragments in
                [ "missing_filled", [ "5m_vs_6m_missing_filled.h5"; "missing key 'filled'" ]
                  "wrong_obs_width", [ "5m_vs_6m_wrong_obs_width.h5"; "'obs' has observation size 54, expected 55" ]
                  "filled_gap", [ "5m_vs_6m_filled_gap.h5"; "'filled' has a gap in episode 0" ]
                  "unavailable_action", [ "5m_vs_6m_unavailable_action.h5"; "episode 0, row 0, agent 0 takes action"; "marks unavailable" ] ] do
                test name {
                    withFixtures (fun () -> refusedByCli (Path.Combine(smacH5, sprintf "5m_vs_6m_%s.h5" name)) [] fragments)
                }
            test "the fixture against another map's sizes" {
                withFixtures (fun () -> refusedByCli fixture [ "--map"; "2s3z" ] [ "has 71 rows per episode, expected 121" ])
            }
            test "a file not named after a map, without --map" {
                withFixtures (fun () ->
                    let copy = Path.Combine(TestPaths.scratchDir "cfcql-name", "expert.h5")
                    File.Copy(fixture, copy)
                    refusedByCli copy [] [ "give --map" ])
            }
            test "a file that is not HDF5" {
                let file = Path.Combine(TestPaths.scratchDir "cfcql-text", "5m_vs_6m_expert.h5")
                File.WriteAllText(file, "not hdf5")
                refusedByCli file [] [ "not a readable HDF5 file" ]
            }
        ]

        test "export rewrites the fixture's rows exactly, save the action on each final row (the lowest available one)" {
            withFixtures (fun () ->
                let data = CfcqlImporter.Import(fixture, spec)
                let file = Path.Combine(TestPaths.scratchDir "cfcql-rows", "5m_vs_6m_export.h5")
                CfcqlExporter.Export(data, file, chunkEpisodes = 5)
                for key in CfcqlLayout.Keys do
                    let ours, ourDims = rawKey file key
                    let theirs, theirDims = rawKey fixture key
                    Expect.equal ourDims theirDims (sprintf "%s: shape" key.Name)
                    if key.Name <> "actions" then Expect.isTrue (ours = theirs) (sprintf "%s: every byte" key.Name)
                // actions: equal on every row but each episode's row L, where CFCQL kept the controller's pick.
                let ours = (fst (rawKey file CfcqlLayout.Actions)) |> Array.chunkBySize 8 |> Array.map (fun b -> BitConverter.ToInt64 b)
                let theirs = (fst (rawKey fixture CfcqlLayout.Actions)) |> Array.chunkBySize 8 |> Array.map (fun b -> BitConverter.ToInt64 b)
                for e in 0 .. data.Episodes - 1 do
                    let length = data.EpisodeLength e
                    for t in 0 .. data.Steps - 1 do
                        for n in 0 .. spec.Agents - 1 do
                            let i = data.ActionIndex(e, t, n)
                            if t = length then
                                let lowest = data.Available(e, t, n).IndexOf true
                                Expect.equal ours.[i] (int64 lowest) (sprintf "episode %d final row, agent %d: lowest available action" e n)
                            else Expect.equal ours.[i] theirs.[i] (sprintf "episode %d row %d agent %d" e t n))
        }

        testList "export → import round trips" [
            test "an imported dataset (time-outs stored as terminated) comes back bit for bit" {
                withFixtures (fun () ->
                    let data = CfcqlImporter.Import(fixture, spec)
                    let file = Path.Combine(TestPaths.scratchDir "cfcql-roundtrip", "5m_vs_6m_roundtrip.h5")
                    CfcqlExporter.Export(data, file)
                    expectSameData (CfcqlImporter.Import(file, spec)) data)
            }

            test "a SMAC-lite dataset through inspo export/import: equal but for truncated → terminated and battle_won" {
                let folder = TestPaths.scratchDir "cfcql-smaclite"
                let source = Path.Combine(folder, "source")
                // Random play: some episodes run into the 70-step limit, which CFCQL's layout stores as terminated.
                let data = InSPO.Training.SmacRunEnvironment.ScriptedDataset(SmacMaps.Get "5m_vs_6m", ScriptedPolicies.ByName "random", 24, 3)
                Expect.isTrue (Array.contains true data.Truncated) "some episode is cut by the limit"
                DatasetStore.Save(source, data, Text.Json.Nodes.JsonObject(), Nullable 3)
                let file = Path.Combine(folder, "5m_vs_6m_smaclite.h5")
                let code, stdout, stderr = CliTests.inspo [ "export"; "cfcql"; source; "--out"; file ]
                Expect.equal code 0 (sprintf "export exit code (stderr: %s)" stderr)
                Expect.stringContains stdout "24 episodes of 5m_vs_6m" "summary"
                let back = Path.Combine(folder, "back")
                let code, _, stderr = CliTests.inspo [ "import"; "cfcql"; file; "--map"; "5m_vs_6m"; "--out"; back ]
                Expect.equal code 0 (sprintf "import exit code (stderr: %s)" stderr)
                let imported = (DatasetStore.Load back).Data
                // What the layout keeps as it was; a time-out becomes a termination, and wins are not in the file.
                let expected =
                    EpisodeDataset(data.Spec, data.Episodes, data.Observations, data.States, data.Actions, data.AvailableActions,
                                   data.Rewards, Array.map2 (||) data.Terminated data.Truncated, data.Filled,
                                   TimeLimits = TimeLimitConvention.StoredAsTerminated)
                expectSameData imported expected
                Expect.isNull imported.BattleWon "battle_won is not part of the layout"
            }

            test "a truncated episode is exported as terminated (CFCQL's convention)" {
                withFixtures (fun () ->
                    let data = CfcqlImporter.Import(fixture, spec)
                    // Episode 0 runs to the limit: mark its end as the time-out it is.
                    let last = data.SlotIndex(0, data.EpisodeLength 0 - 1)
                    let truncated = Array.copy data.Truncated
                    let terminated = Array.copy data.Terminated
                    truncated.[last] <- true
                    terminated.[last] <- false
                    let cut =
                        EpisodeDataset(data.Spec, data.Episodes, data.Observations, data.States, data.Actions, data.AvailableActions,
                                       data.Rewards, terminated, data.Filled, truncated, TimeLimits = TimeLimitConvention.Truncated)
                    let file = Path.Combine(TestPaths.scratchDir "cfcql-truncated", "5m_vs_6m_cut.h5")
                    CfcqlExporter.Export(cut, file)
                    expectSameData (CfcqlImporter.Import(file, spec)) data)
            }
        ]

        test "h5py reads an exported file with the fixture's keys, dtypes and shapes, and the same values" {
            withFixtures (fun () ->
                match pythonWithH5py.Force() with
                | None -> skiptest "no Python 3 with h5py here (install Debian's python3-h5py; .ci/run does in CI)"
                | Some python ->
                    let file = Path.Combine(TestPaths.scratchDir "cfcql-h5py", "5m_vs_6m_export.h5")
                    CfcqlExporter.Export(CfcqlImporter.Import(fixture, spec), file)
                    // Keys with dtype and shape, then whether each key's values equal the fixture's (actions differ on final rows).
                    let script =
                        "import sys, h5py, numpy as np\n" +
                        "ours, theirs = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')\n" +
                        "for f in (ours, theirs):\n" +
                        "    print(' '.join(f'{k}:{f[k].dtype}:{f[k].shape}' for k in sorted(f.keys())))\n" +
                        "print(' '.join(k for k in sorted(theirs.keys()) if np.array_equal(ours[k][:], theirs[k][:])))\n"
                    let lines = (runPython python script [ file; fixture ]).Trim().Split('\n')
                    Expect.equal lines.[0] lines.[1] "keys, dtypes and shapes as the fixture's"
                    Expect.stringContains lines.[1] "obs:float32:(12, 71, 5, 55)" "the fixture's layout as documented"
                    Expect.equal lines.[2] "avail_actions filled obs probs reward state terminated" "values equal, actions aside")
        }
    ]
