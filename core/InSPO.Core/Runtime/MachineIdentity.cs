using System.Runtime.InteropServices;

namespace InSPO.Runtime;

/// <summary>
/// Which machine a run trained on, as its record states it (<c>machine</c>): the processor model and the number of
/// logical processors, e.g. "Intel(R) Xeon(R) Processor, 2 logical processors". Times are only comparable between
/// runs of one machine (Table 7), and committed records travel between machines, so a record says where its times
/// were taken. A run resumed on another machine names both, in order ("A + B"): its times belong to neither.
/// </summary>
public static class MachineIdentity
{
    const string Separator = " + ";

    static readonly Lazy<string> current = new(Describe);

    /// <summary>This machine.</summary>
    public static string Current => current.Value;

    /// <summary>The machines of a run that trained on <paramref name="before"/> and now continues here: this machine
    /// for a fresh run (""), <paramref name="before"/> when it ended here too, both joined when it did not; null when
    /// <paramref name="before"/> is unknown (a checkpoint of a build that did not save it).</summary>
    public static string? Then(string? before, string? here = null)
    {
        here ??= Current;
        if (before is null) return null;
        if (before.Length == 0) return here;
        var last = before[(before.LastIndexOf(Separator, StringComparison.Ordinal) is var i and >= 0 ? i + Separator.Length : 0)..];
        return last == here ? before : before + Separator + here;
    }

    static string Describe()
    {
        string? model = null;
        try
        {
            // Linux: the first processor's model name; elsewhere the architecture stands in for it
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
                model = File.ReadLines("/proc/cpuinfo")
                    .Select(line => line.Split(':', 2))
                    .Where(kv => kv.Length == 2 && kv[0].Trim() is "model name" or "Processor" or "cpu model")
                    .Select(kv => kv[1].Trim())
                    .FirstOrDefault(m => m.Length > 0);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        model ??= $"{RuntimeInformation.OSDescription.Trim()} {RuntimeInformation.ProcessArchitecture}";
        return $"{model}, {Environment.ProcessorCount} logical processors";
    }
}
