/// Matrix games: built-ins, JSON game files with their errors, dataset generators.
module InSPO.Tests.MatrixGameTests

open System
open System.IO
open Expecto
open InSPO.Data
open InSPO.Envs
open InSPO.Tabular

let private writeGame (json: string) =
    let path = Path.Combine(TestPaths.scratchDir "games", "game.json")
    File.WriteAllText(path, json)
    path

/// The message of the exception a game file raises.
let loadError json =
    let path = writeGame json
    let e = TestPaths.catchException<InvalidDataException> (fun () -> MatrixGameFile.Load path |> ignore)
    Expect.stringContains e.Message path "the message names the file"
    Expect.isFalse (e.Message.Contains "\n") "one line"
    e.Message

let climbing =
    """{ "name": "climbing", "agents": ["row", "column"], "actions": ["a", "b", "c"],
         "rewards": [[11, -30, 0], [-30, 7, 6], [0, 0, 5]],
         "datasets": { "uniform": { "behaviour": [[0.2, 0.3, 0.5], [0.5, 0.25, 0.25]] },
                       "diagonal": { "support": [["a", "a"], ["b", "b"]] } } }"""

[<Tests>]
let tests =
    testList "matrix games" [
        test "XOR and M-NE hold SPEC 5.1's rewards" {
            let xor = MatrixGames.Xor
            Expect.equal [ for a in 0 .. 1 do for b in 0 .. 1 -> xor.Reward(ReadOnlySpan [| a; b |]) ] [ 0.0; 1.0; 1.0; -2.0 ] "XOR"
            let mne = MatrixGames.Mne
            Expect.equal [ for a in 0 .. 2 -> mne.Reward(ReadOnlySpan [| a; a |]) ] [ 5.0; 10.0; 20.0 ] "M-NE diagonal"
            Expect.equal (mne.Rewards |> Array.sum) 35.0 "M-NE off-diagonal is 0"
        }

        test "dataset definitions give the marginals SPEC 5.1 implies" {
            let mu d = MatrixGames.Xor.Dataset(d).Behaviour(MatrixGames.Xor).Probabilities.[0].[0]
            Expect.floatClose Accuracy.veryHigh (mu "a") 0.5 "(a): A in one of {AB, BA}"
            Expect.floatClose Accuracy.veryHigh (mu "b") (2.0 / 3.0) "(b): A in two of {AA, AB, BA}"
            Expect.floatClose Accuracy.veryHigh (mu "c") 0.5 "(c)"
            let mne = MatrixGames.Mne.Dataset("imbalanced").Behaviour(MatrixGames.Mne)
            Expect.sequenceEqual mne.Probabilities.[1] [| 0.8; 0.1; 0.1 |] "imbalanced"
        }

        test "a game file loads with shared actions, nested rewards and both dataset kinds" {
            let g = MatrixGameFile.Load(writeGame climbing)
            Expect.equal g.Name "climbing" "name"
            Expect.equal g.ActionCounts [| 3; 3 |] "actions"
            Expect.equal (g.Reward(ReadOnlySpan [| 1; 2 |])) 6.0 "r(b, c) = rewards[1][2]"
            Expect.equal g.Optimum 11.0 "optimum"
            Expect.equal (g.Dataset("diagonal").Behaviour(g).Probabilities.[0]) [| 0.5; 0.5; 0.0 |] "support marginals"
            let solved = MatrixGameSolver.Solve(g, "uniform", MatrixGameSolver.DefaultOptions g)
            Expect.isLessThan solved.QreGap 1e-6 "solves to a QRE"
        }

        test "a three-player game file loads its 3-deep reward tensor" {
            let g =
                MatrixGameFile.Load(writeGame """{ "agents": ["x","y","z"], "actions": ["0","1"],
                    "rewards": [[[0,1],[2,3]],[[4,5],[6,7]]] }""")
            Expect.equal (g.Reward(ReadOnlySpan [| 1; 0; 1 |])) 5.0 "r(1,0,1)"
            Expect.equal g.Name "game" "name defaults to the file name"
        }

        test "wrong reward tensor size is refused naming the entry and the agent" {
            let m = loadError """{ "agents": ["x","y"], "actions": ["a","b"], "rewards": [[1,2],[3]] }"""
            Expect.stringContains m "rewards[1]: has 1 entries, expected 2 (actions of agent 'y')" "message"
            let m2 = loadError """{ "agents": ["x","y"], "actions": ["a","b"], "rewards": [[1,2],[3,4],[5,6]] }"""
            Expect.stringContains m2 "rewards: has 3 entries, expected 2 (actions of agent 'x')" "message"
        }

        test "non-finite and non-numeric rewards are refused" {
            let m = loadError """{ "agents": ["x","y"], "actions": ["a","b"], "rewards": [[1,1e999],[3,4]] }"""
            Expect.stringContains m "rewards[0][1]: reward Infinity is not finite" "infinity"
            let m2 = loadError """{ "agents": ["x","y"], "actions": ["a","b"], "rewards": [[1,"NaN"],[3,4]] }"""
            Expect.stringContains m2 "rewards[0][1]: expected a number" "string"
        }

        test "an unknown action in a dataset is refused naming it and the known ones" {
            let m =
                loadError """{ "agents": ["x","y"], "actions": ["a","b"], "rewards": [[1,2],[3,4]],
                               "datasets": { "d": { "support": [["a","z"]] } } }"""
            Expect.stringContains m "unknown action 'z' for agent 'y' (known: a, b)" "message"
        }

        test "malformed JSON, missing fields and bad behaviour are refused" {
            Expect.stringContains (loadError "{ not json") "not valid JSON" "syntax"
            Expect.stringContains (loadError """{ "agents": ["x"], "actions": ["a"] }""") "missing 'rewards'" "missing"
            let m = loadError """{ "agents": ["x","y"], "actions": ["a","b"], "rewards": [[1,2],[3,4]],
                                   "datasets": { "d": { "behaviour": [[0.5,0.6],[0.5,0.5]] } } }"""
            Expect.stringContains m "behaviour of agent 'x' is not a probability distribution" "behaviour"
        }

        test "a key of the wrong JSON type is refused naming the key" {
            let game extra = sprintf """{ %s "agents": ["x","y"], "actions": ["a","b"], "rewards": [[1,2],[3,4]] }""" extra
            Expect.stringContains (loadError (game "\"name\": 5,")) "'name': expected a string, found 5" "number"
            Expect.stringContains (loadError (game "\"name\": {\"en\": \"g\"},")) "'name': expected a string, found an object" "object"
            Expect.stringContains (loadError (game "\"name\": [\"g\"],")) "'name': expected a string, found a list of 1" "list"
            Expect.stringContains (loadError (game "\"datasets\": [\"d\"],")) "'datasets': expected an object (dataset name: definition), found a list of 1" "datasets"
            Expect.stringContains (loadError (game "\"datasets\": { \"d\": [1] },")) "'datasets.d': expected an object, found a list of 1" "a dataset"
            Expect.stringContains (loadError (game "\"datasets\": { \"d\": { \"description\": 3, \"support\": [[\"a\",\"a\"]] } },"))
                "'datasets.d.description': expected a string, found 3" "description"
            Expect.stringContains (loadError (game "\"datasets\": { \"d\": { \"support\": \"a\" } },"))
                "'datasets.d.support': expected a list of joint actions, found \"a\"" "support"
            Expect.stringContains (loadError (game "\"datasets\": { \"d\": { \"behaviour\": 0.5 } },"))
                "'datasets.d.behaviour': expected a list of per-agent probabilities, found 0.5" "behaviour"
            Expect.stringContains (loadError (game "\"datasets\": { \"d\": { \"behaviour\": [[0.5, true], [0.5, 0.5]] } },"))
                "datasets.d.behaviour[0][1]: expected a number, found true" "a probability"
            Expect.stringContains (loadError """{ "agents": 5, "actions": ["a"], "rewards": [1] }""") "'agents': expected a list of strings, found 5" "agents"
            Expect.stringContains (loadError """{ "agents": ["x"], "actions": { "x": ["a"] }, "rewards": [1] }""") "'actions': expected a list of strings, found an object" "actions"
            Expect.stringContains (loadError """{ "agents": ["x","y"], "actions": [["a"], "b"], "rewards": [[1]] }""") "'actions[1]': expected a list of strings, found \"b\"" "actions of an agent"
            Expect.stringContains (loadError """{ "agents": ["x"], "actions": ["a"], "rewards": { "a": 1 } }""") "rewards: expected a list of 1 entries" "rewards"
            Expect.stringContains (loadError (game "\"name\": \"a\", \"name\": \"b\",")) "not valid JSON (Duplicate property 'name'" "a key given twice"
        }

        test "a missing game file is refused naming it" {
            let e = TestPaths.catchException<FileNotFoundException> (fun () -> MatrixGames.Resolve "/nonexistent/game.json" |> ignore)
            Expect.stringContains e.Message "/nonexistent/game.json" "names the file"
            let e2 = TestPaths.catchException<ArgumentException> (fun () -> MatrixGames.Resolve "tic-tac-toe" |> ignore)
            Expect.stringContains e2.Message "unknown game 'tic-tac-toe'" "unknown name"
        }

        test "generated XOR and M-NE datasets hold the defined joint actions and marginals" {
            let data = MatrixGameDatasets.Record(MatrixGames.Xor, "b", 100, 50, 7)
            Expect.equal (data.Episodes, data.Steps) (100, 51) "100 episodes of 50 steps (+1 final slot)"
            let joints =
                [ for e in 0 .. data.Episodes - 1 do
                    for t in 0 .. data.Steps - 1 do
                        if data.Filled.[e * data.Steps + t] then
                            yield data.Actions.[(e * data.Steps + t) * 2], data.Actions.[(e * data.Steps + t) * 2 + 1] ]
            Expect.equal joints.Length 5000 "5000 filled steps"
            Expect.isFalse (List.contains (1, 1) joints) "(b) never holds (B,B)"
            for j in [ 0, 0; 0, 1; 1, 0 ] do
                let share = float (joints |> List.filter ((=) j) |> List.length) / 5000.0
                Expect.isTrue (abs (share - 1.0 / 3.0) < 0.03) (sprintf "%A share %.3f ≈ 1/3" j share)
            let returns = [ for e in 0 .. data.Episodes - 1 -> data.EpisodeReturn e ]
            Expect.floatClose { absolute = 0.05; relative = 0.0 } (List.average returns / 50.0) (2.0 / 3.0) "mean per-step reward ≈ 2/3"
            let mu = BehaviourEstimate.FromDataset(MatrixGameDatasets.Record(MatrixGames.Mne, "imbalanced", 100, 50, 3), MatrixGames.Mne)
            Expect.isTrue (abs (mu.Probabilities.[0].[0] - 0.8) < 0.02) "counted μ(A) ≈ 0.8"
        }

        test "the same seed gives byte-identical dataset folders, another seed does not" {
            let dir = TestPaths.scratchDir "gen"
            let bytes folder = [ for f in Directory.GetFiles folder |> Array.sort -> Path.GetFileName f, File.ReadAllBytes f ]
            let make name seed =
                let folder = Path.Combine(dir, name)
                MatrixGameDatasets.Generate(MatrixGames.Mne, "balanced", 20, 5, seed, folder) |> ignore
                bytes folder
            let a, b, c = make "a" 11, make "b" 11, make "c" 12
            Expect.equal a b "same seed"
            Expect.notEqual a c "other seed"
            let stored = DatasetStore.Load(Path.Combine(dir, "a"))
            Expect.equal stored.Manifest.Seed (Nullable 11) "manifest records the seed"
        }

        test "an unknown dataset name is refused naming the known ones" {
            let e = TestPaths.catchException<ArgumentException> (fun () -> MatrixGameDatasets.Record(MatrixGames.Xor, "d", 1, 1, 0) |> ignore)
            Expect.stringContains e.Message "unknown dataset 'd' (known: a, b, c)" "message"
        }
    ]
