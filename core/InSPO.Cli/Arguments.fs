/// The `inspo` command line, declared with Argu.
module InSPO.Cli.Arguments

open Argu

// First, so that the cases of the types below keep their unqualified names in the other commands.
type TrainArgs =
    | [<Mandatory>] Env of env: string
    | [<Mandatory>] Dataset of dataset: string
    | Algo of algorithm: string
    | Seed of seed: int
    | Seeds of seeds: string
    | Sweep of sweep: string
    | Profile of profile: string
    | Device of device: string
    | Out of folder: string
    | Resume
    | Set of setting: string
    | Eval_Every of steps: int64
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Env _ -> "xor, mne or bridge (or a JSON matrix-game file)."
            | Dataset _ -> "a dataset the environment defines (xor: a|b|c, mne: balanced|imbalanced, bridge: optimal|mixed|optimal-reference|mixed-reference) or a dataset folder."
            | Algo _ -> sprintf "%s (default inspo)." (String.concat ", " InSPO.Algorithms.Learners.Known)
            | Seed _ -> "run seed (default 0); the generated dataset's seed is derived from it."
            | Seeds _ -> "a group: several seeds of the cell in one process (0-4, or 0,2,5), each with its own run folder and record; the exit code is 1 when any failed."
            | Sweep _ -> "name=v1,v2,…: every value of one hyperparameter × every seed (--seed or --seeds) in one process, each cell its own run folder and record; one ensemble where the members may differ in it (InSPO: alpha, alpha_auto, kl_target, beta0, beta_final_ratio, entropy), else one after another."
            | Profile _ -> "budget: smoke, quick or paper (default quick)."
            | Device _ -> "cpu, cuda, cuda:N or auto (default cpu)."
            | Out _ -> "root folder of run folders (default runs)."
            | TrainArgs.Resume -> "continue from the run folder's checkpoint."
            | TrainArgs.Set _ -> "hyperparameter override name=value, repeatable (e.g. alpha=0.1, entropy=0, sequential=0, order=2)."
            | Eval_Every _ -> "also evaluate the policy every N steps: a learning curve in the run folder's curve.csv and TensorBoard (eval/*)."

type OrderArg =
    | Random
    | Fixed

type SolveArgs =
    | [<Mandatory; AltCommandLine("-g")>] Game of game: string
    | [<Mandatory; AltCommandLine("-d")>] Dataset of dataset: string
    | Alpha of alpha: float
    | Beta of beta: float
    | Beta_Decay of rate: float
    | Iterations of rounds: int
    | Order of OrderArg
    | Simultaneous
    | Seed of seed: int
    | Json
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Game _ -> "xor, mne, or a path to a JSON matrix-game file."
            | Dataset _ -> "a dataset defined by the game (xor: a|b|c, mne: balanced|imbalanced) or a dataset folder (μ counted from it)."
            | Alpha _ -> "behaviour-regularisation weight α > 0 (default: xor 0.1, other games 1)."
            | Beta _ -> "initial entropy weight β₀ ≥ 0 (default: xor 1, other games 5); 0 switches entropy off."
            | Beta_Decay _ -> "β is multiplied by this every round (default 0.97; 1 keeps it fixed)."
            | Iterations _ -> "rounds of Algorithm 1 (default 300)."
            | Order _ -> "agent order within a round (default random)."
            | Simultaneous -> "ablation: every agent responds to its OLD teammates instead of sequentially."
            | Seed _ -> "seed of the random update orders (default 0)."
            | Json -> "print one JSON object (policies, expected_return, qre_gap) instead of tables."

type GenerateArgs =
    | [<Mandatory; CustomCommandLine("--env"); AltCommandLine("--game", "-g")>] Env of env: string
    | [<AltCommandLine("-d")>] Dataset of dataset: string
    | Policy of policy: string
    | Qmix of model: string
    | Epsilon of epsilon: float
    | [<Mandatory; AltCommandLine("-o")>] Out of folder: string
    | Episodes of count: int
    | Steps of length: int
    | Seed of seed: int
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Env _ -> "xor, mne, bridge, smac:MAP (SMAC-lite: 2s3z, 3s_vs_5z, 5m_vs_6m, 6h_vs_8z or a .json map), or a JSON matrix-game file."
            | Dataset _ -> "a dataset the game defines (xor: a|b|c, mne: balanced|imbalanced, bridge: optimal|mixed)."
            | Policy _ -> "SMAC-lite: the scripted policy that plays (random, attack-nearest, focus-fire)."
            | Qmix _ -> "SMAC-lite: a saved QMIX model that plays (models/STEPS.bin or models/best.bin of `inspo qmix train`): the medium and expert tiers."
            | Epsilon _ -> "with --qmix: ε-greedy instead of greedy (default 0, CFCQL's; OG-MARL used 0.05)."
            | Out _ -> "folder to write (replaced atomically if it exists)."
            | Episodes _ -> "number of episodes (default: matrix games 100, bridge 500 optimal / 1000 mixed, SMAC-lite 1000)."
            | Steps _ -> "steps per episode, the repeated game's length (default 50, as AlberDICE's buffers)."
            | Seed _ -> "generator seed (default 0)."

type MixArgs =
    | [<Mandatory>] Medium of folder: string
    | [<Mandatory>] Expert of folder: string
    | Episodes of count: int
    | Seed of seed: int
    | [<Mandatory; AltCommandLine("-o")>] Out of folder: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Medium _ -> "the medium tier's dataset folder."
            | Expert _ -> "the expert tier's dataset folder."
            | MixArgs.Episodes _ -> "episodes taken from each (default: half of the smaller tier, as CFCQL's 2500 of 5000)."
            | MixArgs.Seed _ -> "seed of the index draw (default 0)."
            | MixArgs.Out _ -> "folder to write."

type InfoArgs =
    | [<MainCommand; Mandatory>] Folder of folder: string
    interface IArgParserTemplate with
        member _.Usage = "dataset folder."

type PymarlImportArgs =
    | [<MainCommand; Mandatory>] Folder of folder: string
    | [<Mandatory; AltCommandLine("-o")>] Out of dataset: string
    | Env of name: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Folder _ -> "PyMARL episode-buffer folder (obs, state, actions, avail_actions, reward, terminated, filled .npy)."
            | Out _ -> "dataset folder to write."
            | Env _ -> "environment name to record (default: the buffer folder's parent name, e.g. bridge)."

type CfcqlImportArgs =
    | [<MainCommand; Mandatory>] File of file: string
    | [<Mandatory; AltCommandLine("-o")>] Out of dataset: string
    | Map of map: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "CFCQL SMAC dataset {map}_{tier}.h5 (keys state, obs, actions, avail_actions, reward, terminated, filled)."
            | Out _ -> "dataset folder to write."
            | Map _ -> "SMAC map the file was recorded on: 2s3z, 3s_vs_5z, 5m_vs_6m, 6h_vs_8z or a .json map (default: from the file name)."

type ImportArgs =
    | [<CliPrefix(CliPrefix.None)>] Pymarl of ParseResults<PymarlImportArgs>
    | [<CliPrefix(CliPrefix.None)>] Cfcql of ParseResults<CfcqlImportArgs>
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Pymarl _ -> "import a PyMARL episode buffer (e.g. AlberDICE's Bridge and XOR buffers)."
            | Cfcql _ -> "import a CFCQL SMAC dataset (HDF5; the CFCQL authors' files, also re-hosted by OG-MARL)."

type CfcqlExportArgs =
    | [<MainCommand; Mandatory>] Folder of folder: string
    | [<Mandatory; AltCommandLine("-o")>] Out of file: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Folder _ -> "dataset folder (any environment, e.g. SMAC-lite data from dataset generate)."
            | Out _ -> "HDF5 file to write (replaced atomically if it exists)."

type ExportArgs =
    | [<CliPrefix(CliPrefix.None)>] Cfcql of ParseResults<CfcqlExportArgs>
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Cfcql _ -> "write a dataset in the CFCQL SMAC datasets' HDF5 layout (for CFCQL's and OG-MARL's Python code)."

type DatasetArgs =
    | [<CliPrefix(CliPrefix.None)>] Generate of ParseResults<GenerateArgs>
    | [<CliPrefix(CliPrefix.None)>] Info of ParseResults<InfoArgs>
    | [<CliPrefix(CliPrefix.None)>] Mix of ParseResults<MixArgs>
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Generate _ -> "record a dataset from a behaviour policy (a game's, Bridge's, or a scripted SMAC-lite policy)."
            | Info _ -> "print a dataset's manifest and statistics (validates it)."
            | Mix _ -> "CFCQL's mixed tier: medium[idx] then expert[idx] for one sorted set of indices."

type RuntimeArgs =
    | Device of device: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Device _ -> "auto (CUDA when available, else CPU), cpu, cuda or cuda:N (default auto)."

type SmacReplayArgs =
    | [<Mandatory>] Map of map: string
    | Policy of policy: string
    | Seed of seed: int
    | [<Mandatory; AltCommandLine("-o")>] Out of file: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Map _ -> "2s3z, 3s_vs_5z, 5m_vs_6m, 6h_vs_8z or a JSON map file."
            | Policy _ -> "scripted policy: random, attack-nearest or focus-fire (default focus-fire)."
            | Seed _ -> "episode seed (default 0)."
            | Out _ -> "HTML file to write (self-contained, opens offline)."

type SmacScoresArgs =
    | Episodes of count: int
    | Seed of seed: int
    | Threads of count: int
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Episodes _ -> "episodes per map and policy (default 200)."
            | Seed _ -> "first episode seed (default 0)."
            | Threads _ -> "worker threads (default: all cores)."

type SmacBenchArgs =
    | Seconds of seconds: float
    | Threads of count: int
    | Envs of count: int
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Seconds _ -> "measuring time per map (default 2)."
            | Threads _ -> "worker threads (default 1)."
            | Envs _ -> "environments stepped together (default 64)."

type SmacArgs =
    | [<CliPrefix(CliPrefix.None)>] Replay of ParseResults<SmacReplayArgs>
    | [<CliPrefix(CliPrefix.None)>] Scores of ParseResults<SmacScoresArgs>
    | [<CliPrefix(CliPrefix.None)>] Bench of ParseResults<SmacBenchArgs>
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Replay _ -> "record one episode of a scripted policy as an animated HTML page."
            | Scores _ -> "win rate and return of the scripted policies on every map."
            | Bench _ -> "agent-steps per second per core of every map under random actions."

type QmixTrainArgs =
    | [<Mandatory>] Map of map: string
    | Steps of steps: int64
    | Seed of seed: int
    | Out of folder: string
    | Device of device: string
    | Resume
    | Init of model: string
    | Set of setting: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Init _ -> "start from a saved model (models/STEPS.bin or best.bin of a run: networks and optimiser; counters, ε schedule, buffer and generator start afresh), kept as models/init.bin."
            | Map _ -> "SMAC-lite map: 2s3z, 3s_vs_5z, 5m_vs_6m, 6h_vs_8z or a .json map file."
            | Steps _ -> "environment steps of the run (default 2 000 000; pymarl2 ran 10.05M)."
            | QmixTrainArgs.Seed _ -> "seed of the run (default 0)."
            | Out _ -> "root folder (default runs); the run is under ROOT/qmix/MAP/seedS/."
            | QmixTrainArgs.Device _ -> "cpu, cuda, cuda:N or auto (default cpu)."
            | Resume -> "continue a killed run from its checkpoint (networks, optimiser, counters; the replay buffer refills)."
            | Set _ -> "override an option, name=value (e.g. batch_episodes=128, lambda=0.3); repeatable."

type QmixPublishArgs =
    | [<Mandatory>] Run of folder: string
    | [<Mandatory>] To of folder: string
    | Low of win_rate: float
    | High of win_rate: float
    | Episodes of episodes: int
    | Replay_Window of steps: int64
    | Device of device: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Run _ -> "a finished run folder of `qmix train` (ROOT/qmix/MAP/seedS)."
            | To _ -> "the folder the tier models go to (experiments/qmix_models/MAP)."
            | Low _ -> "medium: the lowest greedy win rate accepted (default 0.2)."
            | High _ -> "medium: the highest greedy win rate accepted (default 0.45)."
            | Episodes _ -> "greedy test episodes per model tested (default 200)."
            | Replay_Window _ -> "environment steps before medium that the quick medium-replay tier resumes from (default 100 000)."
            | QmixPublishArgs.Device _ -> "cpu, cuda, cuda:N or auto (default cpu)."

type QmixArgs =
    | [<CliPrefix(CliPrefix.None)>] Train of ParseResults<QmixTrainArgs>
    | [<CliPrefix(CliPrefix.None)>] Publish of ParseResults<QmixPublishArgs>
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Train _ -> "train QMIX online on a SMAC-lite map (the learner that collects SMAC datasets)."
            | Publish _ -> "choose a finished run's medium and expert models (and the medium-replay start) and copy them for the tiers."

type ReproduceArgs =
    | [<MainCommand; Mandatory>] Target of target: string
    | Profile of profile: string
    | Device of device: string
    | Sweep
    | Runs of folder: string
    | Reports of folder: string
    | Slurm
    | Partition of partition: string
    | Gpus_Per_Task of gpus: int
    | Time of limit: string
    | Mem of memory: string
    | Dry_Run
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Target _ -> "table1, table2, table3, fig3, fig5 or exact (the paper's table or figure; its script in experiments/)."
            | ReproduceArgs.Profile _ -> "budget: smoke, quick or paper (default quick)."
            | ReproduceArgs.Device _ -> "cpu, cuda, cuda:N or auto (default cpu)."
            | ReproduceArgs.Sweep -> "tables: tune every algorithm on its search grid, best point per dataset (writes <table>_tuned)."
            | Runs _ -> "root folder of run records (default runs/ in the repository); finished cells are reused."
            | Reports _ -> "folder for tables, figures and run CSVs (default reports/ in the repository)."
            | Slurm -> "submit the cells that lack a record as a Slurm job array (a task per group of seeds) and stop; run the same command again once it has ended to aggregate (or to resubmit what failed)."
            | Partition _ -> "with --slurm: the partition to submit to (default the cluster's)."
            | Gpus_Per_Task _ -> "with --slurm: GPUs per task (e.g. 1, with --device cuda; default none)."
            | Time _ -> "with --slurm: time limit per task (Slurm's formats: minutes, HH:MM:SS, D-HH:MM)."
            | Mem _ -> "with --slurm: memory per task (e.g. 8G)."
            | Dry_Run -> "with --slurm: print the sbatch script instead of submitting it."

type StatusArgs =
    | [<MainCommand; Mandatory>] Paths of runs_and_table: string list
    interface IArgParserTemplate with
        member _.Usage = "RUNS [TABLE]: the runs folder a --slurm reproduction used, and a table or figure (table2, table2_mne, fig5; default all)."

type InspoArgs =
    | [<CliPrefix(CliPrefix.None)>] Solve of ParseResults<SolveArgs>
    | [<CliPrefix(CliPrefix.None)>] Dataset of ParseResults<DatasetArgs>
    | [<CliPrefix(CliPrefix.None)>] Runtime of ParseResults<RuntimeArgs>
    | [<CliPrefix(CliPrefix.None)>] Import of ParseResults<ImportArgs>
    | [<CliPrefix(CliPrefix.None)>] Export of ParseResults<ExportArgs>
    | [<CliPrefix(CliPrefix.None)>] Smac of ParseResults<SmacArgs>
    | [<CliPrefix(CliPrefix.None)>] Train of ParseResults<TrainArgs>
    | [<CliPrefix(CliPrefix.None)>] Reproduce of ParseResults<ReproduceArgs>
    | [<CliPrefix(CliPrefix.None)>] Qmix of ParseResults<QmixArgs>
    | [<CliPrefix(CliPrefix.None)>] Status of ParseResults<StatusArgs>
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Solve _ -> "run exact tabular InSPO (Algorithm 1) on a matrix game."
            | Dataset _ -> "generate or inspect datasets."
            | Import _ -> "import datasets from other formats into the project's format."
            | Export _ -> "export a dataset to another format."
            | Smac _ -> "SMAC-lite: replays, scripted-policy scores, simulator speed."
            | Train _ -> "train an offline MARL algorithm on a dataset (one seeded, resumable run)."
            | Reproduce _ -> "run one of the paper's tables or figures (its experiment script) at a profile."
            | Qmix _ -> "online QMIX on SMAC-lite: training, test win rates, checkpoints."
            | Status _ -> "the cells of a Slurm reproduction: finished, running, pending and failed (with each failure's log)."
            | Runtime _ -> "show the device and native libraries the engine uses, and train a tiny network one step on it."
