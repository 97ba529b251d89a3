using InSPO.Algorithms;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InSPO.Training;

/// <summary>
/// A run's resumable state in one file: step, training time (wall and processor) and the machines it ran on, the
/// sampling generator's state, every module (networks, targets, log α) and every optimiser (Adam moments and step
/// counts). Everything a CPU run depends on, so resuming ends bit-identical to an uninterrupted run. Written
/// atomically (temp file + rename): a kill during the write leaves the previous checkpoint.
/// </summary>
public static class Checkpoint
{
    // Version 2 adds the processor seconds after the training seconds, version 3 the machines after them; older files
    // (the committed QMIX models are version 1) still load, what they lack unknown.
    const string Magic = "INSPO-CHECKPOINT-3", MagicV2 = "INSPO-CHECKPOINT-2", MagicV1 = "INSPO-CHECKPOINT-1";

    const string GroupMagic = "INSPO-GROUP-CHECKPOINT-3", GroupMagicV2 = "INSPO-GROUP-CHECKPOINT-2", GroupMagicV1 = "INSPO-GROUP-CHECKPOINT-1";

    static bool IsGroup(string magic) => magic is GroupMagic or GroupMagicV2 or GroupMagicV1;

    public static void Save(string path, ICheckpointable learner, TrainerState state) =>
        Write(path, Magic, learner, state, new[] { state.Generator });

    /// <summary>A group's checkpoint (seed ensembles): the ensemble's modules and optimisers and every member's
    /// sampling generator.</summary>
    public static void SaveGroup(string path, ICheckpointable ensemble, TrainerState state) =>
        Write(path, GroupMagic, ensemble, state, state.Generators);

    /// <summary>The step a checkpoint was saved at, without loading it.</summary>
    public static long ReadStep(string path) => ReadProgress(path).Step;

    /// <summary>The step a checkpoint was saved at and the training seconds, wall and processor (null: unknown, a
    /// version 1 file), spent to it, without loading it.</summary>
    public static (long Step, double Seconds, double? ProcessorSeconds) ReadProgress(string path)
    {
        var header = Reading(path, reader => ReadHeader(reader, path));
        return (header.Step, header.Seconds, header.ProcessorSeconds);
    }

    /// <summary>Runs <paramref name="read"/> on the file; a truncated or foreign file runs out before its fields do,
    /// so an end of stream is reported naming the file, not only as "end of stream".</summary>
    static T Reading<T>(string path, Func<BinaryReader, T> read)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        try { return read(reader); }
        catch (EndOfStreamException) { throw new InvalidDataException($"checkpoint {path}: cut short or not an InSPO checkpoint (it ends before its contents)"); }
    }

    /// <summary><see cref="Reading{T}"/> for a reader that only fills what it was given.</summary>
    static void Reading(string path, Action<BinaryReader> read) => Reading<object?>(path, reader => { read(reader); return null; });

    /// <summary>The fields every checkpoint starts with, before its generators, modules and optimisers.</summary>
    readonly record struct Header(bool Group, string Algorithm, long Step, double Seconds, double? ProcessorSeconds, string? Machine);

    static Header ReadHeader(BinaryReader reader, string path)
    {
        var magic = reader.ReadString();
        if (magic is not (Magic or MagicV2 or MagicV1 or GroupMagic or GroupMagicV2 or GroupMagicV1))
            throw new InvalidDataException($"checkpoint {path}: not an InSPO checkpoint");
        var algorithm = reader.ReadString();
        var (step, seconds) = (reader.ReadInt64(), reader.ReadDouble());
        double? processorSeconds = magic is MagicV1 or GroupMagicV1 ? null : Known(reader.ReadDouble());
        string? machine = (magic is Magic or GroupMagic) && reader.ReadBoolean() ? reader.ReadString() : null;
        return new Header(IsGroup(magic), algorithm, step, seconds, processorSeconds, machine);
    }

    static double? Known(double processorSeconds) => double.IsFinite(processorSeconds) ? processorSeconds : null;

    /// <summary>Restores <paramref name="learner"/> and <paramref name="state"/> from <paramref name="path"/>.</summary>
    public static void Load(string path, ICheckpointable learner, TrainerState state) =>
        Read(path, group: false, learner, state, new[] { state.Generator });

    /// <summary>Restores a group's checkpoint into the ensemble and <paramref name="state"/> (its members' generators).</summary>
    public static void LoadGroup(string path, ICheckpointable ensemble, TrainerState state) =>
        Read(path, group: true, ensemble, state, state.Generators);

    static void Write(string path, string magic, ICheckpointable learner, TrainerState state, IReadOnlyList<Generator> generators)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        using (var stream = File.Create(temp))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(magic);
            writer.Write(learner.Name);
            writer.Write(state.Step);
            writer.Write(state.TrainingSeconds);
            writer.Write(state.ProcessorSeconds ?? double.NaN);   // NaN: unknown (resumed from a version 1 file)
            writer.Write(state.Machine is not null);             // false: unknown (resumed from an older file)
            if (state.Machine is not null) writer.Write(state.Machine);
            if (magic == GroupMagic) writer.Write(generators.Count);
            foreach (var generator in generators)
                using (var g = generator.get_state())
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

    static void Read(string path, bool group, ICheckpointable learner, TrainerState state, IReadOnlyList<Generator> generators) =>
        Reading(path, reader => ReadFrom(reader, path, group, learner, state, generators));

    static void ReadFrom(BinaryReader reader, string path, bool group, ICheckpointable learner, TrainerState state, IReadOnlyList<Generator> generators)
    {
        string Fail(string what) => throw new InvalidDataException($"checkpoint {path}: {what}");
        var header = ReadHeader(reader, path);
        if (header.Group != group) Fail(group ? "not a group checkpoint" : "a group's checkpoint, not a single run's");
        if (header.Algorithm != learner.Name) Fail($"written by '{header.Algorithm}', cannot resume '{learner.Name}'");
        int count = group ? reader.ReadInt32() : 1;
        if (count != generators.Count) Fail($"{count} generators, the group has {generators.Count} members");
        foreach (var generator in generators)
        {
            var bytes = reader.ReadBytes(reader.ReadInt32());
            using var g = tensor(bytes, dtype: uint8);
            generator.set_state(g);
        }
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
        state.Step = header.Step;
        state.TrainingSeconds = header.Seconds;
        state.ProcessorSeconds = header.ProcessorSeconds;
        state.Machine = header.Machine;
    }
}
