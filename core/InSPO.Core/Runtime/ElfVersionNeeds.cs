// Reads and edits the symbol-version tables of an ELF64 shared library.
//
// Why: TorchSharp 0.107's libLibTorchSharp.so was linked against GCC 13's libstdc++ and
// records a need for the version GLIBCXX_3.4.32. Older distributions (Debian 12 ships
// GCC 12) lack it, so dlopen refuses the library. The only symbol bound to that version is
// std::ios_base_library_init, a link-time marker that is never called, so marking the
// need weak (VER_FLG_WEAK in .gnu.version_r) lets the loader accept the library and run it
// correctly. The edit is made only where the system libstdc++ lacks the version, and is
// idempotent.
//
// This one file serves two callers: the engine (InSPO.Core, compiled with INSPO_ENGINE)
// checks the library again before loading it, and the build (Directory.Build.targets
// compiles this file as an MSBuild inline task) edits the NuGet-cache and output copies.
// It therefore keeps to APIs that netstandard2.0 has.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace InSPO.Runtime
{
    /// <summary>One version requirement of a library: "needs <c>Version</c> from <c>File</c>".</summary>
    public sealed class VersionNeed
    {
        public VersionNeed(string file, string version, ushort flags, long flagsOffset)
        {
            File = file; Version = version; Flags = flags; FlagsOffset = flagsOffset;
        }
        public string File { get; }
        public string Version { get; }
        public ushort Flags { get; }
        /// <summary>Byte offset of this entry's vna_flags field in the file.</summary>
        public long FlagsOffset { get; }
        public bool IsWeak => (Flags & ElfVersionNeeds.VerFlgWeak) != 0;
    }

    public enum WeakenOutcome { NoSuchNeed, AlreadyWeak, Weakened }

    public static class ElfVersionNeeds
    {
        public const ushort VerFlgWeak = 2;
        const uint ShtGnuVerdef = 0x6ffffffd;
        const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>The version names a library defines (its .gnu.version_d), e.g. GLIBCXX_3.4.30.</summary>
        public static IReadOnlyList<string> DefinedVersions(string path)
        {
            var elf = ReadElf64(path);
            var names = new List<string>();
            foreach (var sec in Sections(elf, path).Where(s => s.Type == ShtGnuVerdef))
            {
                var strtab = SectionAt(elf, path, sec.Link);
                long entry = sec.Offset;
                for (uint i = 0; i < sec.Info; i++)
                {
                    ushort count = U16(elf, entry + 6, path);
                    uint aux = U32(elf, entry + 12, path);
                    uint next = U32(elf, entry + 16, path);
                    if (count > 0) names.Add(CString(elf, strtab.Offset + U32(elf, entry + aux, path), path));
                    if (next == 0) break;
                    entry += next;
                }
            }
            return names;
        }

        /// <summary>Every version requirement in the library's .gnu.version_r section.</summary>
        public static IReadOnlyList<VersionNeed> NeededVersions(string path) => NeededVersions(ReadElf64(path), path);

        /// <summary>Sets VER_FLG_WEAK on the need for <paramref name="version"/>; writes only when it changes
        /// something, and replaces the file by rename so a process that has it mapped is unaffected.</summary>
        public static WeakenOutcome MarkWeak(string path, string version)
        {
            var elf = ReadElf64(path);
            var needs = NeededVersions(elf, path).Where(n => n.Version == version).ToList();
            if (needs.Count == 0) return WeakenOutcome.NoSuchNeed;
            if (needs.All(n => n.IsWeak)) return WeakenOutcome.AlreadyWeak;
            foreach (var need in needs)
            {
                ushort flags = (ushort)(need.Flags | VerFlgWeak);
                elf[need.FlagsOffset] = (byte)(flags & 0xff);
                elf[need.FlagsOffset + 1] = (byte)(flags >> 8);
            }
            string temp = path + ".weakening-" + Guid.NewGuid().ToString("N");
            File.WriteAllBytes(temp, elf);
            File.Replace(temp, path, null);   // rename(2): a process that mapped the old file keeps it intact
            return WeakenOutcome.Weakened;
        }

        /// <summary>True when some libstdc++.so.6 the dynamic loader would find defines <paramref name="version"/>.
        /// Looks at LD_LIBRARY_PATH first, then the usual system directories.</summary>
        public static bool SystemLibstdcxxDefines(string version)
        {
            var dirs = (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "")
                .Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries)
                .Concat(new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64",
                                "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib", "/lib" });
            foreach (var dir in dirs)
            {
                string candidate = Path.Combine(dir, "libstdc++.so.6");
                if (!File.Exists(candidate)) continue;
                try { return DefinedVersions(candidate).Contains(version); }
                catch (InvalidDataException) { continue; }
            }
            return false;
        }

        sealed class Section
        {
            public uint Type; public long Offset; public long Size; public uint Link; public uint Info;
        }

        static IReadOnlyList<VersionNeed> NeededVersions(byte[] elf, string path)
        {
            var needs = new List<VersionNeed>();
            foreach (var sec in Sections(elf, path).Where(s => s.Type == ShtGnuVerneed))
            {
                var strtab = SectionAt(elf, path, sec.Link);
                long entry = sec.Offset;
                for (uint i = 0; i < sec.Info; i++)
                {
                    ushort count = U16(elf, entry + 2, path);
                    string file = CString(elf, strtab.Offset + U32(elf, entry + 4, path), path);
                    long aux = entry + U32(elf, entry + 8, path);
                    for (int k = 0; k < count; k++)
                    {
                        ushort flags = U16(elf, aux + 4, path);
                        string name = CString(elf, strtab.Offset + U32(elf, aux + 8, path), path);
                        needs.Add(new VersionNeed(file, name, flags, aux + 4));
                        uint nextAux = U32(elf, aux + 12, path);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = U32(elf, entry + 12, path);
                    if (next == 0) break;
                    entry += next;
                }
            }
            return needs;
        }

        static byte[] ReadElf64(string path)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
                throw new InvalidDataException($"{path}: not an ELF file");
            if (bytes[4] != 2 || bytes[5] != 1)
                throw new InvalidDataException($"{path}: only little-endian ELF64 is supported");
            return bytes;
        }

        static List<Section> Sections(byte[] elf, string path)
        {
            long shoff = (long)U64(elf, 0x28, path);
            ushort shentsize = U16(elf, 0x3A, path);
            ushort shnum = U16(elf, 0x3C, path);
            var sections = new List<Section>(shnum);
            for (int i = 0; i < shnum; i++)
            {
                long h = shoff + (long)i * shentsize;
                sections.Add(new Section
                {
                    Type = U32(elf, h + 4, path),
                    Offset = (long)U64(elf, h + 24, path),
                    Size = (long)U64(elf, h + 32, path),
                    Link = U32(elf, h + 40, path),
                    Info = U32(elf, h + 44, path),
                });
            }
            return sections;
        }

        static Section SectionAt(byte[] elf, string path, uint index)
        {
            var sections = Sections(elf, path);
            if (index >= sections.Count) throw new InvalidDataException($"{path}: section index {index} out of range");
            return sections[(int)index];
        }

        static void Check(byte[] elf, long offset, int size, string path)
        {
            if (offset < 0 || offset + size > elf.Length)
                throw new InvalidDataException($"{path}: truncated ELF (offset {offset} beyond {elf.Length} bytes)");
        }

        static ushort U16(byte[] elf, long o, string path) { Check(elf, o, 2, path); return BitConverter.ToUInt16(elf, (int)o); }
        static uint U32(byte[] elf, long o, string path) { Check(elf, o, 4, path); return BitConverter.ToUInt32(elf, (int)o); }
        static ulong U64(byte[] elf, long o, string path) { Check(elf, o, 8, path); return BitConverter.ToUInt64(elf, (int)o); }

        static string CString(byte[] elf, long o, string path)
        {
            Check(elf, o, 1, path);
            long end = o;
            while (end < elf.Length && elf[end] != 0) end++;
            return Encoding.ASCII.GetString(elf, (int)o, (int)(end - o));
        }
    }

#if !INSPO_ENGINE
    /// <summary>MSBuild task: weakens the GLIBCXX_3.4.32 need of the given libraries where the system lacks it.</summary>
    public sealed class WeakenTorchSharpGlibcxxNeed : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } = new Microsoft.Build.Framework.ITaskItem[0];
        public string Version { get; set; } = "GLIBCXX_3.4.32";

        public override bool Execute()
        {
            if (ElfVersionNeeds.SystemLibstdcxxDefines(Version)) return true;   // nothing to do on this system
            foreach (var item in Libraries)
            {
                string path = item.GetMetadata("FullPath");
                if (!File.Exists(path)) continue;
                var outcome = ElfVersionNeeds.MarkWeak(path, Version);
                if (outcome == WeakenOutcome.Weakened)
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        $"InSPO: marked {Version} weak in {path} (system libstdc++ lacks it)");
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
