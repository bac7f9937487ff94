using System.Globalization;
using Platform.Telemetry.V1;

namespace Platform.Agents.Collectors.Host;

/// <summary>What the host is (name, OS, kernel, CPUs, memory, boot time), read from procfs and etc/os-release.</summary>
internal static class HostInventory
{
    public static HostInfo Read(HostPaths paths, string agentVersion, IEnumerable<KeyValuePair<string, string>> labels, TimeSpan interval)
    {
        var info = new HostInfo
        {
            HostName = ReadTrimmed(paths.ProcFile("sys/kernel/hostname")) ?? Environment.MachineName,
            Kernel = ReadTrimmed(paths.ProcFile("sys/kernel/osrelease")) ?? "",
            Os = ReadOsName(paths),
            AgentVersion = agentVersion,
            IntervalMs = (int)interval.TotalMilliseconds,
        };

        var stat = ReadOrNull(paths.ProcFile("stat"));
        if (stat is not null)
        {
            foreach (var range in stat.AsSpan().Split('\n'))
            {
                var line = stat.AsSpan(range);
                if (line.StartsWith("cpu") && line.Length > 3 && char.IsAsciiDigit(line[3]))
                {
                    info.CpuCount++;
                }
                else if (line.StartsWith("btime ") && long.TryParse(line[6..].Trim(), CultureInfo.InvariantCulture, out var btime))
                {
                    info.BootTimeUnixMs = btime * 1000;
                }
            }
        }

        var meminfo = ReadOrNull(paths.ProcFile("meminfo"));
        if (meminfo is not null)
        {
            info.MemoryTotalBytes = Math.Max(0, HostCollector.ParseMemInfo(meminfo).Total);
        }

        foreach (var (name, value) in labels)
        {
            info.Labels.Add(new Label { Name = name, Value = value });
        }

        return info;
    }

    /// <summary>PRETTY_NAME from etc/os-release (or usr/lib/os-release), else "Linux".</summary>
    internal static string ReadOsName(HostPaths paths)
    {
        var text = ReadOrNull(paths.RootFile("etc/os-release")) ?? ReadOrNull(paths.RootFile("usr/lib/os-release"));
        if (text is null)
        {
            return "Linux";
        }

        foreach (var range in text.AsSpan().Split('\n'))
        {
            var line = text.AsSpan(range).Trim();
            if (line.StartsWith("PRETTY_NAME="))
            {
                return line["PRETTY_NAME=".Length..].Trim('"').Trim('\'').ToString();
            }
        }

        return "Linux";
    }

    private static string? ReadTrimmed(string path) => ReadOrNull(path)?.Trim();

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
