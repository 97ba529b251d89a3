using System.Runtime.InteropServices;

namespace InSPO.Runtime;

/// <summary>
/// Keeps freed native memory in the process for the next tensor. glibc's malloc serves large blocks with mmap and
/// gives them back to the system on free, and trims the heap's top likewise; libtorch's CPU tensors are malloc'd, so a
/// training step that frees and reallocates its activations (a GRU unrolled over 150 steps of 960 rows: hundreds of
/// MB a step) faults pages in again, zero-filled by the kernel (a profile of such steps: a sixth of its samples in the
/// kernel's page-fault path; which blocks the settings below keep is not pinned down — the step times are the
/// evidence). Measured on SMAC-lite 6h_vs_8z mixed, one step of a five-member recurrent BC ensemble, one thread,
/// nothing else running: 2.08–2.10 s with glibc's defaults, 1.54–1.55 s with this (1.2–1.4 s with the same settings
/// as environment variables, which also cover the allocations before this runs). The process keeps its peak; the
/// numbers it computes are unchanged (allocation only). <c>inspo runtime</c> says which setting a process got.
/// </summary>
public static class NativeHeap
{
    // glibc's mallopt parameters (malloc.h)
    const int TrimThreshold = -1, MmapMax = -4;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate int MallOpt(int parameter, int value);

    /// <summary>True once the allocator was told to keep freed memory; false where it was not (not glibc, the user
    /// set glibc's malloc variables, or <c>INSPO_NATIVE_HEAP=default</c>).</summary>
    public static bool KeepsFreedMemory { get; private set; }

    /// <summary>Tells glibc's malloc to keep freed memory (no mmap, no trimming), unless the user chose otherwise:
    /// <c>INSPO_NATIVE_HEAP=default</c>, or any of glibc's own <c>MALLOC_*_</c> or <c>GLIBC_TUNABLES</c> variables,
    /// which then stand as set. Returns <see cref="KeepsFreedMemory"/>.</summary>
    internal static bool KeepFreedMemory()
    {
        if (KeepsFreedMemory || !OperatingSystem.IsLinux() || UserChose()) return KeepsFreedMemory;
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc) || !NativeLibrary.TryGetExport(libc, "mallopt", out var address))
            return false;   // not glibc (musl, a container without it): its allocator's own defaults stand
        var mallopt = Marshal.GetDelegateForFunctionPointer<MallOpt>(address);
        // mallopt returns 1 on success
        KeepsFreedMemory = mallopt(MmapMax, 0) == 1 & mallopt(TrimThreshold, int.MaxValue) == 1;
        return KeepsFreedMemory;
    }

    /// <summary>The allocator's setting in words, for <c>inspo runtime</c> (after <see cref="TorchRuntime.Initialize"/>).</summary>
    public static string Describe() =>
        KeepsFreedMemory ? "keeps freed memory (glibc malloc: no mmap, no trimming)"
        : !OperatingSystem.IsLinux() ? "the system allocator's defaults (not Linux)"
        : UserChose() ? "as the user set it (INSPO_NATIVE_HEAP=default, MALLOC_*_ or GLIBC_TUNABLES)"
        : "the allocator's defaults (no glibc mallopt here, or it refused the settings)";

    static bool UserChose()
    {
        if (string.Equals(Environment.GetEnvironmentVariable("INSPO_NATIVE_HEAP"), "default", StringComparison.OrdinalIgnoreCase)) return true;
        if (Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is { Length: > 0 } tunables && tunables.Contains("glibc.malloc.", StringComparison.Ordinal)) return true;
        return Environment.GetEnvironmentVariables().Keys.Cast<object>()
            .Any(k => k is string name && name.StartsWith("MALLOC_", StringComparison.Ordinal) && name.EndsWith('_'));
    }
}
