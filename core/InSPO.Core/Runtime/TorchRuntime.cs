using System.Runtime.InteropServices;
using TorchSharp;

namespace InSPO.Runtime;

/// <summary>
/// Loads TorchSharp's native libraries once per process and chooses the device.
/// Call <see cref="Initialize"/> before the first tensor: compiled programs would manage
/// without it, but <c>dotnet fsi</c> needs the explicit load (TorchSharp's own loader does
/// not find the native library from a script host).
/// </summary>
public static class TorchRuntime
{
    const string GlibcxxVersion = "GLIBCXX_3.4.32";
    static readonly object Gate = new();
    static bool _initialized;

    /// <summary>Where libLibTorchSharp.so was loaded from (null until <see cref="Initialize"/>, or on non-Linux).</summary>
    public static string? NativeLibraryPath { get; private set; }

    /// <summary>Idempotent. Weakens the GLIBCXX_3.4.32 need if the system lacks it and the build did
    /// not already (e.g. a package cache restored by another tool), then loads the native libraries and tells the
    /// allocator to keep freed memory (<see cref="NativeHeap"/>).</summary>
    public static void Initialize()
    {
        lock (Gate)
        {
            if (_initialized) return;
            if (OperatingSystem.IsLinux())
            {
                RequireWorkingDirectory();
                LoadLinuxNativeLibraries();
            }
            NativeHeap.KeepFreedMemory();
            _initialized = true;
        }
    }

    /// <summary>Collects garbage and runs the pending finalizers now, on the calling thread's watch. TorchSharp 0.107
    /// passes an implicitly converted Scalar's handle to libtorch without keeping the Scalar alive, so a collection
    /// started by another thread during a native call can free it (README, "CPU, GPU and native TorchSharp"). The
    /// finalizer thread is one such thread wherever a finalizer allocates; draining it before a run starts keeps the
    /// previous run's garbage (a process trains runs one after another: scripts, groups seed by seed) from being
    /// finalized during this run's native calls. A mitigation, not a cure: the run's own garbage is finalized as it
    /// goes.</summary>
    public static void DrainFinalizers()
    {
        // a caller inside a no-collection region (GC.TryStartNoGCRegion) has asked for none: a collection would end it
        if (System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) return;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>Resolves a device name: "auto" picks CUDA when libtorch reports it available, else CPU.</summary>
    public static torch.Device ResolveDevice(string name = "auto")
    {
        Initialize();
        switch (name.Trim().ToLowerInvariant())
        {
            case "auto":
                return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
            case "cpu":
                return torch.CPU;
            case var s when s == "cuda" || s.StartsWith("cuda:"):
                if (!torch.cuda.is_available())
                    throw new ArgumentException(
                        $"device '{name}': CUDA is not available (this build uses TorchSharp-cpu, or no GPU is visible); use --device cpu or install TorchSharp-cuda-linux");
                return torch.device(s);
            default:
                throw new ArgumentException($"device '{name}': unknown device, expected auto, cpu, cuda or cuda:N");
        }
    }

    /// <summary>Seeds every random source the engine uses (libtorch CPU and CUDA generators).</summary>
    public static void Seed(long seed)
    {
        Initialize();
        torch.manual_seed(seed);
        if (torch.cuda.is_available()) torch.cuda.manual_seed_all(seed);
    }

    /// <summary>Trains a 3→1 linear layer one SGD step on <paramref name="device"/> and returns the loss
    /// before and after: proof that the native libraries load and autograd runs there.</summary>
    public static (float Before, float After) TrainingSmokeStep(torch.Device device)
    {
        Initialize();
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(0, device: torch.CPU);
        var net = torch.nn.Linear(3, 1).to(device);
        var x = torch.rand(new long[] { 8, 3 }, generator: generator).to(device);
        var y = x.sum(1, keepdim: true).to(device);
        var optimizer = torch.optim.SGD(net.parameters(), 0.1);
        float before = torch.nn.functional.mse_loss(net.forward(x), y).item<float>();
        optimizer.zero_grad();
        torch.nn.functional.mse_loss(net.forward(x), y).backward();
        optimizer.step();
        float after = torch.nn.functional.mse_loss(net.forward(x), y).item<float>();
        return (before, after);
    }

    /// <summary>libtorch's bundled MKL ends the process while loading ("Intel oneMKL FATAL ERROR: Cannot load
    /// …libtorch_cpu.so") when the working directory was deleted after the process started in it (a queue script
    /// whose build folder was replaced): say so first, in a line a user can act on.</summary>
    static void RequireWorkingDirectory()
    {
        string? cwd;
        try { cwd = Directory.GetCurrentDirectory(); }
        catch (IOException) { cwd = null; }
        if (cwd is null || !Directory.Exists(cwd))
            throw new DirectoryNotFoundException(
                $"the working directory {(cwd is null ? "" : cwd + " ")}no longer exists (deleted or replaced after this process started in it); libtorch cannot load from there: change to an existing folder and run again");
    }

    static void LoadLinuxNativeLibraries()
    {
        string rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        string torchSharpDir = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? AppContext.BaseDirectory;
        string? bridge = FirstExisting(
            Path.Combine(torchSharpDir, "libLibTorchSharp.so"),                                  // RID-specific output
            Path.Combine(torchSharpDir, "runtimes", rid, "native", "libLibTorchSharp.so"),         // RID-agnostic output
            Path.GetFullPath(Path.Combine(torchSharpDir, "..", "..", "runtimes", rid, "native", "libLibTorchSharp.so"))); // NuGet cache
        if (bridge is null) return;   // let TorchSharp's own loader try and report

        if (!ElfVersionNeeds.SystemLibstdcxxDefines(GlibcxxVersion))
            ElfVersionNeeds.MarkWeak(bridge, GlibcxxVersion);

        // libLibTorchSharp.so finds libtorch through RUNPATH $ORIGIN; in the NuGet cache libtorch lives
        // in a sibling package, so load it first (the loader then matches it by soname).
        string bridgeDir = Path.GetDirectoryName(bridge)!;
        if (!File.Exists(Path.Combine(bridgeDir, "libtorch.so")))
            foreach (var lib in LibtorchInPackageCache(bridgeDir, rid))
                NativeLibrary.Load(lib);

        NativeLibrary.Load(bridge);
        NativeLibraryPath = bridge;
    }

    static IEnumerable<string> LibtorchInPackageCache(string bridgeDir, string rid)
    {
        // bridgeDir = <root>/torchsharp/<ver>/runtimes/<rid>/native → <root>/libtorch-cpu-<rid>/<ver>/runtimes/<rid>/native
        var root = new DirectoryInfo(bridgeDir).Parent?.Parent?.Parent?.Parent?.Parent;
        if (root is null) yield break;
        var native = root.GetDirectories("libtorch-*-" + rid)
            .SelectMany(p => p.GetDirectories())
            .Select(v => Path.Combine(v.FullName, "runtimes", rid, "native"))
            .FirstOrDefault(Directory.Exists);
        if (native is null) yield break;
        foreach (var name in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
        {
            var path = Path.Combine(native, name);
            if (File.Exists(path)) yield return path;
        }
    }

    static string? FirstExisting(params string[] paths) => paths.FirstOrDefault(File.Exists);
}
