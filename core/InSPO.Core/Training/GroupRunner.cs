using System.Text.Json;
using InSPO.Algorithms;
using InSPO.Data;
using static TorchSharp.torch;

namespace InSPO.Training;

/// <summary>
/// Trains a group (a cell's seeds). Members whose run folder already holds a record go through
/// <see cref="Runner.Run(RunSpec, RunControl)"/> one by one (it reuses the record, or trains again when the record
/// was made with other options); the others, when the algorithm has an ensemble (<see cref="Ensembles"/>) and
/// there are at least two, train as one ensemble: member k starts from the weights, dataset and generators of the
/// single run of seed k, and ends with an ordinary run folder and record (its wall time is the group's divided by
/// the members, the cost per seed). Otherwise (or where an ensemble was measured slower, <see cref="Ensembles.PaysOff"/>)
/// they train one after another.
/// <para>A member whose loss is not finite stops the whole group (its step, loss and seed are named): the members
/// share every update, and a group stopped this way resumes from its last checkpoint like a single run.</para>
/// <para>With <see cref="RunControl.EvaluateEvery"/>, every member is evaluated every that many steps on its single run's
/// evaluation episodes: its run folder gets the learning curve and eval/* scalars its single run writes.</para>
/// <para>The group's checkpoint (<see cref="RunGroup.CheckpointPath"/>: the ensemble's modules, optimisers and every
/// member's generator) resumes a killed group bit-identically on CPU.</para>
/// </summary>
public static class GroupRunner
{
    public static IReadOnlyList<(RunSpec Spec, RunResult? Result, Exception? Error)> Run(RunGroup group, RunControl control)
    {
        var pending = group.Specs.Where(s => Runner.TryLoadFinished(s) is null).ToList();
        // members by run folder: a sweep's members share seeds
        var trained = new Dictionary<string, (RunResult? Result, Exception? Error)>();
        if (pending.Count >= 2)
        {
            try
            {
                var results = TrainEnsemble(pending, group.CheckpointPathOf(pending), control);
                if (results is not null) foreach (var r in results) trained[Runner.RunDirectory(r.Spec)] = (r, null);
            }
            catch (Exception e) when (e is not RunInterruptedException)
            {
                foreach (var s in pending) trained[Runner.RunDirectory(s)] = (null, e);
            }
        }
        return group.Specs.Select(spec =>
        {
            if (trained.TryGetValue(Runner.RunDirectory(spec), out var t)) return (spec, t.Result, t.Error);
            try { return (spec, (RunResult?)Runner.Run(spec, control), (Exception?)null); }
            catch (Exception e) when (e is not RunInterruptedException) { return (spec, null, e); }
        }).ToList();
    }

    /// <summary>The members' ensemble, or null where there is none: the algorithm has none for these networks, or a sweep's
    /// members differ in an option its ensemble cannot set apart (then they train one after another, said on stderr;
    /// a bad option value fails there, member by member, as in a single run).</summary>
    static IEnsembleLearner? TryEnsemble(RunSpec[] specs, InSPO.Envs.EnvSpec spec, Profile profile, Device device, Generator[] inits)
    {
        try
        {
            return Ensembles.TryCreateMembers(specs[0].Algorithm, spec, specs.Select(s => s.Hyperparameters).ToArray(), profile, device, inits);
        }
        catch (ArgumentException e) when (specs.Any(s => !Ensembles.SameHyperparameters(s.Hyperparameters, specs[0].Hyperparameters)))
        {
            Console.Error.WriteLine($"group runner: no ensemble for these members ({e.Message}): they train one after another");
            return null;
        }
    }

    /// <summary>The members as one ensemble, or null when the algorithm has none for these networks.</summary>
    static IReadOnlyList<RunResult>? TrainEnsemble(IReadOnlyList<RunSpec> members, string checkpointPath, RunControl control)
    {
        var specs = members.ToArray();
        var first = specs[0];
        var clock = new RunClock();
        var (environment, profile, device) = Runner.Prepare(first, control);

        var datasetSeeds = specs.Select(s => Runner.DatasetSeed(s.Seed)).ToArray();
        var identities = specs.Select((s, k) => environment.DatasetIdentity(s.Dataset, datasetSeeds[k])).ToArray();
        // Members whose data is the same (a dataset folder: every seed reads the same file) share one loaded copy and,
        // below, one device buffer (read only): a five-member group on 6h_vs_8z's 376 MB tiers held five of each.
        var loaded = new Dictionary<string, EpisodeDataset>();
        var data = specs.Select((s, k) => control.DatasetOverride
            ?? (loaded.TryGetValue(identities[k], out var same) ? same : loaded[identities[k]] = environment.Dataset(s.Dataset, datasetSeeds[k]))).ToArray();
        foreach (var d in data.Distinct()) environment.CheckDataset(d.Spec, first.Dataset);

        var inits = specs.Select(s => new Generator((ulong)s.Seed, CPU)).ToArray();
        using var ensemble = Ensembles.PaysOff(first.Algorithm, data[0].Spec, device) ? TryEnsemble(specs, data[0].Spec, profile, device, inits) : null;
        foreach (var g in inits) g.Dispose();
        if (ensemble is null) return null;
        var onDevice = new Dictionary<EpisodeDataset, DeviceEpisodeBuffer>(ReferenceEqualityComparer.Instance);
        var buffers = data.Select(d => onDevice.TryGetValue(d, out var b) ? b : onDevice[d] = new DeviceEpisodeBuffer(d, device)).ToArray();
        try
        {
            var state = new TrainerState(specs.Select(s => new Generator((ulong)s.Seed + 0x5EED, device)).ToArray());
            if (control.Resume && File.Exists(checkpointPath))
            {
                Checkpoint.LoadGroup(checkpointPath, ensemble, state);
                // As Runner.Run says it: a resubmitted Slurm task's log shows that it continued.
                Console.Error.WriteLine($"group runner: resumed from {checkpointPath} at step {state.Step}");
            }
            // The processes before a resume count too: their training seconds are in the checkpoint (Runner.Run).
            clock.CountFrom(state);

            foreach (var s in specs) Directory.CreateDirectory(Runner.RunDirectory(s));
            var boards = control.TensorBoard ? specs.Select(s => utils.tensorboard.SummaryWriter(Path.Combine(Runner.RunDirectory(s), "tb"))).ToArray() : null;
            var evaluations = specs.Select((s, k) => new EvaluationLog(Runner.RunDirectory(s), state.Step, control, boards?[k])).ToArray();
            // Every evaluation of seed k, mid-run or final, uses the episodes its single run uses.
            Evaluation EvaluateMember(int k)
            {
                var policy = ensemble.Member(k);
                try { return environment.Evaluate(policy, profile.EvalEpisodes, Runner.EvaluationSeed(specs[k].Seed), device); }
                finally { (policy as IDisposable)?.Dispose(); }
            }
            bool completed = Trainer.Train(state, profile.TotalSteps, step => ensemble.Step(step, profile.TotalSteps, buffers, state.Generators), new TrainerHooks
            {
                Checkpoint = s => Checkpoint.SaveGroup(checkpointPath, ensemble, s),
                CheckpointEvery = profile.CheckpointEvery,
                TensorBoards = boards,
                Members = specs.Select(s => $"seed {s.Seed}").ToArray(),
                LogEvery = profile.LogEvery,
                Progress = control.Progress,
                StopAfter = control.StopAfter,
                Evaluate = evaluations[0].MidRun ? step => { for (int k = 0; k < specs.Length; k++) evaluations[k].Add(step, EvaluateMember(k)); } : null,
                EvaluateEvery = EvaluationLog.Every(control),
            });
            if (!completed) throw new RunInterruptedException(state.Step, checkpointPath);

            var results = new List<RunResult>();
            for (int k = 0; k < specs.Length; k++)
            {
                var evaluation = EvaluateMember(k);
                evaluations[k].Add(state.Step, evaluation);
                var path = Path.Combine(Runner.RunDirectory(specs[k]), RunRecord.FileName);
                var result = clock.Stamp(new RunResult(specs[k], evaluation.Metrics, evaluation.FinalPolicy, clock.WallSeconds(specs.Length), state.Step,
                    device.ToString(), RunRecord.Commit(), path), specs.Length);
                var options = ensemble.MemberOptions(k);
                RunRecord.Write(path, result, JsonSerializer.SerializeToNode(options, options.GetType())?.AsObject(), profile, datasetSeeds[k], identities[k]);
                results.Add(result);
            }
            return results;
        }
        finally
        {
            foreach (var b in onDevice.Values) b.Dispose();
        }
    }
}
