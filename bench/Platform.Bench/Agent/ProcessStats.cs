using System.Globalization;

namespace Platform.Bench.Agent;

/// <summary>CPU time and peak RSS of another process, from /proc/PID/stat (utime + stime) and /proc/PID/status (VmHWM).</summary>
internal static class ProcessStats
{
    private const double UserHz = 100;

    /// <summary>User + system CPU seconds the process has used so far.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may hold spaces: fields after its closing parenthesis start at field 3 (state).
        var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(rest[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(rest[12], CultureInfo.InvariantCulture);
        return (utime + stime) / UserHz;
    }

    /// <summary>Peak resident set size in bytes (VmHWM).</summary>
    public static long PeakRssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kb * 1024;
            }
        }

        throw new InvalidOperationException($"no VmHWM in /proc/{pid}/status");
    }
}
