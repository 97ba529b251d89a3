/// Online QMIX: the TD(λ) target, the episode replay buffer, and the training loop end to end.
module InSPO.Tests.QmixTests

open System.IO
open Expecto
open TorchSharp
open InSPO.Envs.Smac
open InSPO.Online
open InSPO.Training

let private row (xs: float32 list) = torch.tensor(Array.ofList xs).unsqueeze 0L

[<Tests>]
let tests =
    testList "qmix" [
        test "TD(λ) targets: λ-mixing inside the episode, a terminated end does not bootstrap, a truncated one does" {
            let gamma, lambda = 0.9, 0.5
            // 3 steps then the final slot (T = 4). V̄ = Q̄_tot at each slot.
            let r, v = [ 1f; 2f; 3f; 0f ], [ 10f; 20f; 30f; 40f ]
            let filled = row [ 1f; 1f; 1f; 0f ]
            let expected terminatedAtEnd =
                let g2 = 3.0 + (if terminatedAtEnd then 0.0 else gamma * 40.0)
                let g1 = 2.0 + gamma * ((1.0 - lambda) * 30.0 + lambda * g2)
                let g0 = 1.0 + gamma * ((1.0 - lambda) * 20.0 + lambda * g1)
                [| g0; g1; g2 |]
            for terminatedAtEnd in [ true; false ] do
                let term = row [ 0f; 0f; (if terminatedAtEnd then 1f else 0f); 0f ]
                let g = InSPO.Nets.EpisodeMixing.LambdaReturns(row r, term, filled, row v, gamma, lambda).data<float32>().ToArray()
                let e = expected terminatedAtEnd
                for t in 0 .. 2 do Expect.floatClose Accuracy.medium (float g[t]) e[t] (sprintf "G_%d (terminated %b)" t terminatedAtEnd)
            // λ = 0: one-step targets r + γ V̄(s')
            let g = InSPO.Nets.EpisodeMixing.LambdaReturns(row r, row [ 0f; 0f; 0f; 0f ], filled, row v, gamma, 0.0).data<float32>().ToArray()
            Expect.floatClose Accuracy.medium (float g[0]) (1.0 + gamma * 20.0) "λ = 0"
        }

        test "mixed tier: one sorted index set, medium at those indices then expert at the same ones" {
            let map = SmacMaps.Get "5m_vs_6m"
            let medium = SmacRunEnvironment.ScriptedDataset(map, ScriptedPolicies.Random, 10, 1)
            let expert = SmacRunEnvironment.ScriptedDataset(map, ScriptedPolicies.FocusFire, 10, 2)
            // tag every episode by its first reward: medium e → e, expert e → 100 + e
            for e in 0 .. 9 do
                medium.Rewards[medium.SlotIndex(e, 0)] <- float32 e
                expert.Rewards[expert.SlotIndex(e, 0)] <- float32 (100 + e)
            let mixed = SmacTiers.Mixed(medium, expert, 4, 7)
            Expect.equal mixed.Episodes 8 "2 × 4 episodes"
            let tag k = int mixed.Rewards[mixed.SlotIndex(k, 0)]
            let fromMedium, fromExpert = [ for k in 0 .. 3 -> tag k ], [ for k in 4 .. 7 -> tag k - 100 ]
            Expect.equal fromMedium (List.sort fromMedium) "sorted indices"
            Expect.equal fromMedium fromExpert "the same indices in both tiers"
            Expect.equal (List.distinct fromMedium).Length 4 "distinct"
            Expect.equal (InSPO.Data.DatasetStatistics.Of(medium.Select [| 0; 0; 1 |])).Distinct 2 "a repeated episode counts once"
        }

        test "the episode replay buffer overwrites its oldest episodes and samples cut batches" {
            let map = SmacMaps.Get "5m_vs_6m"
            let data = SmacRunEnvironment.ScriptedDataset(map, ScriptedPolicies.Random, 5, 1)
            use buffer = new EpisodeReplayBuffer(data.Spec, 8, torch.CPU)
            buffer.Add data
            Expect.equal buffer.Count 5 "five held"
            buffer.Add data
            Expect.equal (buffer.Count, buffer.Added) (8, 10L) "capacity reached, ten added"
            let b = buffer.Sample(6L, new torch.Generator(3UL))
            Expect.equal b.Count 6L "batch"
            let longest = [ for e in 0 .. 4 -> data.EpisodeLength e ] |> List.max
            Expect.isLessThanOrEqual b.Slots (int64 (longest + 1)) "cut to the longest sampled"
            let filled = b.Filled.sum().item<float32>()
            Expect.isGreaterThan filled 0f "real steps"
            let held = buffer.ToDataset()
            Expect.equal held.Episodes 8 "written out: the episodes held"
            Expect.isNull (held.FindValueProblem()) "a valid dataset"
            Expect.isNotNull data.BattleWon "the collector records battle_won"
            Expect.isNotNull held.BattleWon "and the buffer keeps it, so the medium-replay tier has a win rate"
        }

        test "inspo qmix train runs, tests, saves models and resumes from its checkpoint" {
            let root = TestPaths.scratchDir "qmix-train"
            let train steps resume =
                CliTests.inspo ([ "qmix"; "train"; "--map"; "2s3z"; "--steps"; string steps; "--out"; root
                                  "--set"; "test_every=600"; "--set"; "test_episodes=4"; "--set"; "checkpoint_every=600"; "--set"; "batch_episodes=8" ]
                                @ (if resume then [ "--resume" ] else []))
            let code, out, err = train 900 false
            Expect.equal code 0 (sprintf "exit code (stderr: %s)" err)
            let dir = QmixTrainer.RunDirectory(root, "2s3z", 0)
            let curve = LearningCurve.Read(Path.Combine(dir, LearningCurve.FileName))
            Expect.isGreaterThanOrEqual curve.Count 2 "tests at step 0 and at the end"
            Expect.isTrue (curve |> Seq.forall (fun struct (_, m) -> m.ContainsKey "win_rate")) "win rate on every test"
            Expect.isTrue (File.Exists(Path.Combine(dir, "models", "600.bin"))) "a model every checkpoint_every steps"
            Expect.stringContains out "\"final_test\"" "the record"
            let code, _, err = train 1800 true
            Expect.equal code 0 (sprintf "resume (stderr: %s)" err)
            let record = nonNull (System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "record.json"))))
            Expect.isGreaterThanOrEqual ((nonNull record["environment_steps"]).GetValue<int64>()) 1800L "resumed to the new budget"
            // the medium and expert tiers: episodes of a saved model, greedy and ε-greedy
            let model = Path.Combine(dir, "models", "600.bin")
            for epsilon in [ "0"; "0.05" ] do
                let tier = Path.Combine(root, "tier-" + epsilon)
                let code, _, err = CliTests.inspo [ "dataset"; "generate"; "--env"; "smac:2s3z"; "--qmix"; model; "--epsilon"; epsilon; "--episodes"; "3"; "--out"; tier ]
                Expect.equal code 0 (sprintf "tier from a model (stderr: %s)" err)
                let code, out, _ = CliTests.inspo [ "dataset"; "info"; tier ]
                Expect.equal code 0 "info"
                Expect.stringContains out "episodes 3 (" "three episodes, distinct counted"
            // publishing the tier models: the first model tested in the band is medium; the replay start is the model
            // a window before it, with its counters, and the medium-replay tier resumes the run from there
            let published = Path.Combine(root, "published")
            let code, out, err =
                CliTests.inspo [ "qmix"; "publish"; "--run"; dir; "--to"; published; "--low"; "0"; "--high"; "1"; "--episodes"; "4"; "--replay-window"; "0" ]
            Expect.equal code 0 (sprintf "publish (stderr: %s)" err)
            Expect.stringContains out "model      600: greedy win rate" "the models tested are listed"
            Expect.equal (TierModels.MediumStep published) 600L "medium: the first model in the band"
            for file in [ "models/medium.bin"; "models/expert.bin"; "models/replay-start.bin"; "models/replay-start.json"; "options.json"; "curve.csv" ] do
                Expect.isTrue (File.Exists(Path.Combine(published, file))) file
            let start = Checkpoint.ReadStep(Path.Combine(published, "models", "replay-start.bin")) // the step the model was saved at (≥ 600)
            let replay = SmacTiers.MediumReplay(SmacMaps.Get "2s3z", published, Path.Combine(root, "replay"), false, torch.CPU, start + 300L)
            Expect.isGreaterThanOrEqual replay.Episodes 8 "the buffer of the resumed window: one round of 8 environments at least"
            let resumed = nonNull (System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(QmixTrainer.RunDirectory(Path.Combine(root, "replay"), "2s3z", 0), "record.json"))))
            // a run from 0 would hold every episode it played; the resumed one counts the episodes before 600 too
            Expect.isGreaterThan ((nonNull resumed["episodes"]).GetValue<int64>()) (int64 replay.Episodes) "resumed from the replay start, not run from 0"
            let code, _, err =
                CliTests.inspo [ "qmix"; "publish"; "--run"; dir; "--to"; published; "--low"; "1.5"; "--high"; "2"; "--episodes"; "4" ]
            Expect.equal code 2 "no model in the band is refused"
            Expect.stringContains err "no saved model has a greedy win rate in [1.5, 2]" "named"
            // a run started from a saved model: its weights at the start are the model's (one round later still within
            // an Adam step of them; a fresh run of seed 1 draws other weights), the model kept in the run and named in its record
            let fromModel = Path.Combine(root, "from-model")
            let code, _, err =
                CliTests.inspo [ "qmix"; "train"; "--map"; "2s3z"; "--steps"; "8"; "--seed"; "1"; "--out"; fromModel; "--init"; model; "--set"; "epsilon_start=0.05"
                                 "--set"; "test_every=600"; "--set"; "test_episodes=2"; "--set"; "batch_episodes=8" ]
            Expect.equal code 0 (sprintf "train from a model (stderr: %s)" err)
            let started = QmixTrainer.RunDirectory(fromModel, "2s3z", 1)
            Expect.equal (File.ReadAllBytes(Path.Combine(started, "models", QmixTrainer.InitModel))) (File.ReadAllBytes model) "the model kept as models/init.bin"
            let record = nonNull (System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(started, "record.json"))))
            Expect.equal ((nonNull record["init_model"]).GetValue<string>()) "models/init.bin" "named in the record"
            let weights (file: string) =
                use q = Qmix.Load(file, InSPO.Envs.Smac.SmacEnv(SmacMaps.Get "2s3z").Spec, torch.CPU)
                [ for struct (_, m) in q.Modules do for p in m.parameters() -> p.detach().clone() ]
            let distance a b = List.map2 (fun (x: torch.Tensor) (y: torch.Tensor) -> (x - y).abs().max().item<float32>()) a b |> List.max
            let saved = weights model
            let final = Directory.GetFiles(Path.Combine(started, "models"), "*.bin") |> Array.filter (fun f -> fst (System.Int64.TryParse(Path.GetFileNameWithoutExtension f))) |> Array.exactlyOne
            Expect.isLessThan (distance (weights final) saved) 0.01f "started from the model's weights"
            // a start model that is not there is refused before the run's folder is made
            let missing = Path.Combine(root, "no-model")
            let code, _, err = CliTests.inspo [ "qmix"; "train"; "--map"; "2s3z"; "--steps"; "8"; "--out"; missing; "--init"; Path.Combine(root, "typo.bin") ]
            Expect.notEqual code 0 "a missing start model is refused"
            Expect.stringContains err "typo.bin" "named"
            Expect.isFalse (Directory.Exists missing) "nothing written"
            let code, _, err = CliTests.inspo [ "qmix"; "train"; "--map"; "2s3z"; "--set"; "nonsense=1"; "--out"; root ]
            Expect.equal code 2 "an unknown option is refused"
            Expect.stringContains err "nonsense" "named"
        }
    ]
