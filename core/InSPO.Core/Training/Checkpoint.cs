using InSPO.Algorithms;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InSPO.Training;

/// <summary>
/// A run's resumable state in one file: step, training time, the sampling generator's state, every module
/// (networks, targets, log α) and every optimiser (Adam moments and step counts). Everything a CPU run
/// depends on, so resuming ends bit-identical to an uninterrupted run. Written atomically (temp file + rename):
/// a kill during the write leaves the previous checkpoint.
/// </summary>
public static class Checkpoint
{
    const string Magic = "INSPO-CHECKPOINT-1";

    public static void Save(string path, ICheckpointable learner, TrainerState state)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        using (var stream = File.Create(temp))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(Magic);
            writer.Write(learner.Name);
            writer.Write(state.Step);
            writer.Write(state.TrainingSeconds);
            using (var g = state.Generator.get_state())
            {
                var bytes = g.cpu().data<byte>().ToArray();
                writer.Write(bytes.Length);
                writer.Write(bytes);
            }
            writer.Write(learner.Modules.Count);
            foreach (var (name, module) in learner.Modules)
            {
                writer.Write(name);
                module.save(writer);
            }
            writer.Write(learner.Optimizers.Count);
            foreach (var (name, optimizer) in learner.Optimizers)
            {
                writer.Write(name);
                ((OptimizerHelper)optimizer).save_state_dict(writer);
            }
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The step a checkpoint was saved at, without loading it.</summary>
    public static long ReadStep(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadString() != Magic) throw new InvalidDataException($"checkpoint {path}: not an InSPO checkpoint");
        reader.ReadString();
        return reader.ReadInt64();
    }

    /// <summary>Restores <paramref name="learner"/> and <paramref name="state"/> from <paramref name="path"/>.</summary>
    public static void Load(string path, ICheckpointable learner, TrainerState state)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        string Fail(string what) => throw new InvalidDataException($"checkpoint {path}: {what}");
        if (reader.ReadString() != Magic) Fail("not an InSPO checkpoint");
        var algorithm = reader.ReadString();
        if (algorithm != learner.Name) Fail($"written by '{algorithm}', cannot resume '{learner.Name}'");
        state.Step = reader.ReadInt64();
        state.TrainingSeconds = reader.ReadDouble();
        var bytes = reader.ReadBytes(reader.ReadInt32());
        using (var g = tensor(bytes, dtype: uint8)) state.Generator.set_state(g);
        int modules = reader.ReadInt32();
        if (modules != learner.Modules.Count) Fail($"{modules} modules, the learner has {learner.Modules.Count}");
        foreach (var (name, module) in learner.Modules)
        {
            var stored = reader.ReadString();
            if (stored != name) Fail($"module '{stored}' where '{name}' was expected");
            module.load(reader);
        }
        int optimizers = reader.ReadInt32();
        if (optimizers != learner.Optimizers.Count) Fail($"{optimizers} optimisers, the learner has {learner.Optimizers.Count}");
        foreach (var (name, optimizer) in learner.Optimizers)
        {
            var stored = reader.ReadString();
            if (stored != name) Fail($"optimiser '{stored}' where '{name}' was expected");
            ((OptimizerHelper)optimizer).load_state_dict(reader);
        }
    }
}
