using System.Globalization;
using System.Text.RegularExpressions;
using Platform.Agents.Collectors.Host;
using Platform.Agents.Health;
using Platform.Telemetry;
using Platform.Telemetry.V1;

namespace Platform.Agents.Collectors.Containers;

/// <summary>
/// Per-container CPU, throttling, memory, block IO and pids from the cgroup filesystem, v2 (unified: a
/// <c>cgroup.controllers</c> file at the root) or v1 (one hierarchy per controller: cpuacct, cpu, memory, blkio,
/// pids). A container is a cgroup whose directory name carries a 64-hex-digit id (<c>docker-ID.scope</c>,
/// <c>docker/ID</c>, <c>cri-containerd-ID.scope</c>, <c>libpod-ID.scope</c>, <c>crio-ID.scope</c>, kubepods pods' containers).
/// Names come from the Docker Engine API when its socket exists, else the cgroup path. A container that
/// vanishes mid-read is skipped and counted.
/// </summary>
internal sealed partial class CgroupCollector : ICollector, IDisposable
{
    private const int MaxDepth = 8;
    private const long V1Unlimited = 1L << 62;

    private readonly string _root;
    private readonly Func<int> _cpuCount;
    private readonly AgentCounters _counters;
    private readonly DockerNames? _docker;
    private readonly Dictionary<string, CpuState> _previous = new(StringComparer.Ordinal);
    private readonly List<(string RelativePath, string Id)> _found = [];

    public CgroupCollector(string root, string dockerSocket, Func<int> cpuCount, AgentCounters counters)
    {
        _root = root;
        _cpuCount = cpuCount;
        _counters = counters;
        IsV2 = File.Exists(Path.Join(root, "cgroup.controllers"));
        if (File.Exists(dockerSocket))
        {
            _docker = new DockerNames(dockerSocket);
        }
    }

    public string Name => "containers";

    /// <summary>True when the root is a cgroup v2 (unified) hierarchy.</summary>
    public bool IsV2 { get; }

    [GeneratedRegex("(?:^|[-/])([0-9a-f]{64})(?:\\.scope)?$", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerDirectory();

    public async ValueTask CollectAsync(SampleSink sink, long nowUnixMs, CancellationToken cancellationToken)
    {
        _found.Clear();
        var walkRoot = IsV2 ? _root : FirstExisting(Path.Join(_root, "cpuacct"), Path.Join(_root, "cpu,cpuacct"), Path.Join(_root, "memory"));
        if (walkRoot is null)
        {
            return;
        }

        Walk(walkRoot, "", 0);
        if (_found.Count == 0)
        {
            _previous.Clear();
            return;
        }

        if (_docker is not null)
        {
            await _docker.RefreshIfUnknownAsync(_found, cancellationToken);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (relative, id) in _found)
        {
            seen.Add(id);
            var name = _docker?.NameOf(id) ?? relative;
            var labels = new[] { LabelCache.Get(LabelNames.ContainerId, id), LabelCache.Get(LabelNames.ContainerName, name) };
            try
            {
                if (IsV2)
                {
                    CollectV2(sink, relative, id, labels, nowUnixMs);
                }
                else
                {
                    CollectV1(sink, relative, id, labels, nowUnixMs);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Vanished between the listing and the read (or unreadable): skip it this tick.
                _counters.CollectError();
                _previous.Remove(id);
            }
        }

        foreach (var id in _previous.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _previous.Remove(id);
        }
    }

    private void Walk(string directory, string relative, int depth)
    {
        if (depth > MaxDepth)
        {
            return;
        }

        IEnumerable<string> subdirectories;
        try
        {
            subdirectories = Directory.EnumerateDirectories(directory);
            foreach (var sub in subdirectories)
            {
                var name = Path.GetFileName(sub);
                var childRelative = relative.Length == 0 ? name : relative + "/" + name;
                var match = ContainerDirectory().Match(name);
                if (match.Success)
                {
                    _found.Add((childRelative, match.Groups[1].Value));
                    continue; // cgroups below a container belong to it
                }

                Walk(sub, childRelative, depth + 1);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cgroup removed while walking.
        }
    }

    private void CollectV2(SampleSink sink, string relative, string id, Label[] labels, long nowUnixMs)
    {
        var directory = Path.Join(_root, relative);
        var cpu = ReadKeyValues(Path.Join(directory, "cpu.stat"));
        if (cpu.TryGetValue("usage_usec", out var usageUsec))
        {
            EmitCpu(sink, id, labels, nowUnixMs, usageUsec / 1e6,
                cpu.TryGetValue("user_usec", out var user) ? user / 1e6 : double.NaN,
                cpu.TryGetValue("system_usec", out var system) ? system / 1e6 : double.NaN);
        }

        if (cpu.TryGetValue("nr_periods", out var periods))
        {
            EmitThrottling(sink, labels, periods, cpu.GetValueOrDefault("nr_throttled"), cpu.GetValueOrDefault("throttled_usec") / 1e6);
        }

        var usage = ReadNumber(Path.Join(directory, "memory.current"));
        var memoryStat = ReadKeyValues(Path.Join(directory, "memory.stat"));
        EmitMemory(sink, labels, usage, memoryStat.GetValueOrDefault("inactive_file"), ReadLimit(Path.Join(directory, "memory.max")));

        var ioPath = Path.Join(directory, "io.stat");
        if (File.Exists(ioPath))
        {
            long read = 0, written = 0;
            foreach (var line in File.ReadAllLines(ioPath))
            {
                var fields = new TextFields(line);
                fields.TryNext(out _); // MAJ:MIN
                while (fields.TryNext(out var pair))
                {
                    var eq = pair.IndexOf('=');
                    if (eq > 0 && long.TryParse(pair[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                    {
                        if (pair[..eq].SequenceEqual("rbytes"))
                        {
                            read += value;
                        }
                        else if (pair[..eq].SequenceEqual("wbytes"))
                        {
                            written += value;
                        }
                    }
                }
            }

            EmitIo(sink, labels, read, written);
        }

        EmitPids(sink, labels, Path.Join(directory, "pids.current"), Path.Join(directory, "pids.max"));
    }

    private void CollectV1(SampleSink sink, string relative, string id, Label[] labels, long nowUnixMs)
    {
        var cpuacct = FirstExisting(Path.Join(_root, "cpuacct", relative), Path.Join(_root, "cpu,cpuacct", relative));
        if (cpuacct is not null)
        {
            var usageNs = ReadNumber(Path.Join(cpuacct, "cpuacct.usage"));
            var stat = ReadKeyValues(Path.Join(cpuacct, "cpuacct.stat"));
            EmitCpu(sink, id, labels, nowUnixMs, usageNs / 1e9,
                stat.TryGetValue("user", out var user) ? user / HostCollector.UserHz : double.NaN,
                stat.TryGetValue("system", out var system) ? system / HostCollector.UserHz : double.NaN);
        }

        var cpu = FirstExisting(Path.Join(_root, "cpu", relative), Path.Join(_root, "cpu,cpuacct", relative));
        if (cpu is not null && File.Exists(Path.Join(cpu, "cpu.stat")))
        {
            var stat = ReadKeyValues(Path.Join(cpu, "cpu.stat"));
            EmitThrottling(sink, labels, stat.GetValueOrDefault("nr_periods"), stat.GetValueOrDefault("nr_throttled"), stat.GetValueOrDefault("throttled_time") / 1e9);
        }

        var memory = Path.Join(_root, "memory", relative);
        if (Directory.Exists(memory))
        {
            var usage = ReadNumber(Path.Join(memory, "memory.usage_in_bytes"));
            var stat = ReadKeyValues(Path.Join(memory, "memory.stat"));
            var limit = ReadNumber(Path.Join(memory, "memory.limit_in_bytes"));
            EmitMemory(sink, labels, usage, stat.GetValueOrDefault("total_inactive_file"), limit >= V1Unlimited ? -1 : limit);
        }

        var blkio = Path.Join(_root, "blkio", relative, "blkio.throttle.io_service_bytes");
        if (File.Exists(blkio))
        {
            long read = 0, written = 0;
            foreach (var line in File.ReadAllLines(blkio))
            {
                var fields = new TextFields(line);
                if (fields.TryNext(out var device) && device.Contains(':') && fields.TryNext(out var op) && fields.TryNextUInt64(out var value))
                {
                    if (op.SequenceEqual("Read"))
                    {
                        read += (long)value;
                    }
                    else if (op.SequenceEqual("Write"))
                    {
                        written += (long)value;
                    }
                }
            }

            EmitIo(sink, labels, read, written);
        }

        var pids = Path.Join(_root, "pids", relative);
        if (Directory.Exists(pids))
        {
            EmitPids(sink, labels, Path.Join(pids, "pids.current"), Path.Join(pids, "pids.max"));
        }
    }

    private void EmitCpu(SampleSink sink, string id, Label[] labels, long nowUnixMs, double usageSeconds, double userSeconds, double systemSeconds)
    {
        sink.Counter(MetricNames.ContainerCpuTime, "s", usageSeconds, labels);
        if (!double.IsNaN(userSeconds))
        {
            sink.Counter(MetricNames.ContainerCpuTime, "s", userSeconds, labels[0], labels[1], LabelCache.Get(LabelNames.State, "user"));
        }

        if (!double.IsNaN(systemSeconds))
        {
            sink.Counter(MetricNames.ContainerCpuTime, "s", systemSeconds, labels[0], labels[1], LabelCache.Get(LabelNames.State, "system"));
        }

        if (_previous.TryGetValue(id, out var before) && nowUnixMs > before.UnixMs && usageSeconds >= before.UsageSeconds)
        {
            var wallSeconds = (nowUnixMs - before.UnixMs) / 1000.0;
            var cpus = Math.Max(1, _cpuCount());
            sink.Gauge(MetricNames.ContainerCpuUtilization, "1", (usageSeconds - before.UsageSeconds) / wallSeconds / cpus, labels);
        }

        _previous[id] = new CpuState(nowUnixMs, usageSeconds);
    }

    private static void EmitThrottling(SampleSink sink, Label[] labels, long periods, long throttled, double throttledSeconds)
    {
        sink.Counter(MetricNames.ContainerCpuThrottlingPeriods, "{period}", periods, labels);
        sink.Counter(MetricNames.ContainerCpuThrottledPeriods, "{period}", throttled, labels);
        sink.Counter(MetricNames.ContainerCpuThrottledTime, "s", throttledSeconds, labels);
    }

    private static void EmitMemory(SampleSink sink, Label[] labels, long usage, long inactiveFile, long limit)
    {
        sink.Gauge(MetricNames.ContainerMemoryUsage, "By", usage, labels);
        sink.Gauge(MetricNames.ContainerMemoryWorkingSet, "By", Math.Max(0, usage - inactiveFile), labels);
        if (limit >= 0)
        {
            sink.Gauge(MetricNames.ContainerMemoryLimit, "By", limit, labels);
        }
    }

    private static void EmitIo(SampleSink sink, Label[] labels, long read, long written)
    {
        sink.Counter(MetricNames.ContainerDiskIo, "By", read, labels[0], labels[1], LabelCache.Get(LabelNames.Direction, "read"));
        sink.Counter(MetricNames.ContainerDiskIo, "By", written, labels[0], labels[1], LabelCache.Get(LabelNames.Direction, "write"));
    }

    private static void EmitPids(SampleSink sink, Label[] labels, string currentPath, string maxPath)
    {
        if (!File.Exists(currentPath))
        {
            return;
        }

        sink.Gauge(MetricNames.ContainerPidsCount, "{process}", ReadNumber(currentPath), labels);
        var max = File.Exists(maxPath) ? ReadLimit(maxPath) : -1;
        if (max >= 0)
        {
            sink.Gauge(MetricNames.ContainerPidsLimit, "{process}", max, labels);
        }
    }

    /// <summary>A single number file; throws when the file is gone (the container vanished).</summary>
    private static long ReadNumber(string path)
    {
        var text = PseudoFile.ReadAllText(path).AsSpan().Trim();
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? long.MaxValue
            : throw new InvalidDataException($"{path}: not a number");
    }

    /// <summary>A limit file: a number, or "max" (unlimited, -1).</summary>
    private static long ReadLimit(string path)
    {
        var text = PseudoFile.ReadAllText(path).AsSpan().Trim();
        return text.SequenceEqual("max") ? -1 : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : -1;
    }

    /// <summary>"key value" lines (cpu.stat, memory.stat, cpuacct.stat).</summary>
    private static Dictionary<string, long> ReadKeyValues(string path)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(path))
        {
            var fields = new TextFields(line);
            if (fields.TryNext(out var key) && fields.TryNextUInt64(out var value))
            {
                result[key.ToString()] = (long)Math.Min(value, long.MaxValue);
            }
        }

        return result;
    }

    private static string? FirstExisting(params ReadOnlySpan<string> paths)
    {
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    public void Dispose() => _docker?.Dispose();

    private readonly record struct CpuState(long UnixMs, double UsageSeconds);
}
