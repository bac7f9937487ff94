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
/// <c>docker/ID</c>, <c>cri-containerd-ID.scope</c>, <c>libpod-ID.scope</c>, <c>crio-ID.scope</c>, kubepods pods' containers);
/// the conmon monitors of podman and CRI-O (<c>libpod-conmon-ID.scope</c>, <c>crio-conmon-ID.scope</c>) carry the
/// container's id too and are not containers. Names come from the Docker Engine API when its socket exists, else
/// the cgroup path. A container that vanishes mid-read or has an unreadable file is skipped and counted; the
/// others are read. A missing memory file (controller not enabled) skips only the memory samples.
/// <para>
/// Block IO counts only devices not stacked on others: io.stat and blkio list a device-mapper or md device and
/// the disks under it, and the same bytes would be counted twice. A device whose
/// <c>SYSROOT/dev/block/MAJ:MIN/slaves</c> directory has entries is left out (the physical disks under it are
/// counted); without that sysfs information every device counts.
/// </para>
/// </summary>
internal sealed partial class CgroupCollector : ICollector, IDisposable
{
    private const int MaxDepth = 8;
    private const long V1Unlimited = 1L << 62;
    private const int MaxStackedCache = 4096;

    private readonly string _root;
    private readonly string? _sysRoot;
    private readonly Func<int> _cpuCount;
    private readonly AgentCounters _counters;
    private readonly DockerNames? _docker;
    private readonly Dictionary<string, CpuState> _previous = new(StringComparer.Ordinal);
    private readonly List<(string RelativePath, string Id)> _found = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly List<string> _gone = [];
    private readonly Dictionary<string, bool> _stacked = new(StringComparer.Ordinal);

    /// <param name="root">The cgroup filesystem root.</param>
    /// <param name="dockerSocket">The Docker Engine API socket (names), used when it exists.</param>
    /// <param name="sysRoot">sysfs, to tell stacked block devices; null = count every device.</param>
    /// <param name="cpuCount">The host's CPU count (utilization is a share of the host).</param>
    /// <param name="counters">Where errors are counted.</param>
    public CgroupCollector(string root, string dockerSocket, string? sysRoot, Func<int> cpuCount, AgentCounters counters)
    {
        _root = root;
        _sysRoot = sysRoot;
        _cpuCount = cpuCount;
        _counters = counters;
        IsV2 = File.Exists(Path.Join(root, "cgroup.controllers"));
        if (File.Exists(dockerSocket))
        {
            _docker = new DockerNames(dockerSocket);
        }
    }

    public string Name => "containers";

    public CollectorKind Kind => CollectorKind.Containers;

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

        _seen.Clear();
        foreach (var (relative, id) in _found)
        {
            _seen.Add(id);
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
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException or OverflowException)
            {
                // Vanished between the listing and the read, unreadable, or not what a cgroup file holds: skip
                // this container this tick (what it emitted before the failure stays), go on with the others.
                _counters.CollectError(CollectorKind.Containers);
                _previous.Remove(id);
            }
        }

        _gone.Clear();
        foreach (var id in _previous.Keys)
        {
            if (!_seen.Contains(id))
            {
                _gone.Add(id);
            }
        }

        foreach (var id in _gone)
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

        try
        {
            foreach (var sub in Directory.EnumerateDirectories(directory))
            {
                var name = Path.GetFileName(sub);
                if (name.Contains("conmon", StringComparison.Ordinal))
                {
                    continue; // podman's and CRI-O's container monitor, named after the container it watches
                }

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
        var cpu = PseudoFile.ReadAllText(Path.Join(directory, "cpu.stat"));
        if (TryFind(cpu, "usage_usec", out var usageUsec))
        {
            EmitCpu(sink, id, labels, nowUnixMs, usageUsec / 1e6,
                TryFind(cpu, "user_usec", out var user) ? user / 1e6 : double.NaN,
                TryFind(cpu, "system_usec", out var system) ? system / 1e6 : double.NaN);
        }

        if (TryFind(cpu, "nr_periods", out var periods))
        {
            EmitThrottling(sink, labels, periods, Find(cpu, "nr_throttled"), Find(cpu, "throttled_usec") / 1e6);
        }

        if (TryReadOptional(Path.Join(directory, "memory.current"), out var current))
        {
            var usage = ParseNumber(current, "memory.current");
            var inactiveFile = TryReadOptional(Path.Join(directory, "memory.stat"), out var memoryStat) ? Find(memoryStat, "inactive_file") : 0;
            EmitMemory(sink, labels, usage, inactiveFile, ReadLimit(Path.Join(directory, "memory.max")));
        }

        if (TryReadOptional(Path.Join(directory, "io.stat"), out var io))
        {
            long read = 0, written = 0;
            foreach (var range in io.AsSpan().Split('\n'))
            {
                var fields = new TextFields(io.AsSpan(range));
                if (!fields.TryNext(out var device) || IsStacked(device))
                {
                    continue;
                }

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
            var stat = TryReadOptional(Path.Join(cpuacct, "cpuacct.stat"), out var text) ? text : "";
            EmitCpu(sink, id, labels, nowUnixMs, usageNs / 1e9,
                TryFind(stat, "user", out var user) ? user / HostCollector.UserHz : double.NaN,
                TryFind(stat, "system", out var system) ? system / HostCollector.UserHz : double.NaN);
        }

        var cpu = FirstExisting(Path.Join(_root, "cpu", relative), Path.Join(_root, "cpu,cpuacct", relative));
        if (cpu is not null && TryReadOptional(Path.Join(cpu, "cpu.stat"), out var cpuStat))
        {
            EmitThrottling(sink, labels, Find(cpuStat, "nr_periods"), Find(cpuStat, "nr_throttled"), Find(cpuStat, "throttled_time") / 1e9);
        }

        var memory = Path.Join(_root, "memory", relative);
        if (TryReadOptional(Path.Join(memory, "memory.usage_in_bytes"), out var usageText))
        {
            var usage = ParseNumber(usageText, "memory.usage_in_bytes");
            var inactiveFile = TryReadOptional(Path.Join(memory, "memory.stat"), out var stat) ? Find(stat, "total_inactive_file") : 0;
            var limit = ReadNumber(Path.Join(memory, "memory.limit_in_bytes"));
            EmitMemory(sink, labels, usage, inactiveFile, limit >= V1Unlimited ? -1 : limit);
        }

        if (TryReadOptional(Path.Join(_root, "blkio", relative, "blkio.throttle.io_service_bytes"), out var blkio))
        {
            long read = 0, written = 0;
            foreach (var range in blkio.AsSpan().Split('\n'))
            {
                var fields = new TextFields(blkio.AsSpan(range));
                if (fields.TryNext(out var device) && device.Contains(':') && !IsStacked(device) && fields.TryNext(out var op) && fields.TryNextUInt64(out var value))
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

    /// <summary>Whether block device MAJ:MIN sits on other devices (device-mapper, md): its bytes are counted on them.</summary>
    private bool IsStacked(ReadOnlySpan<char> device)
    {
        if (_sysRoot is null || device.IndexOf(':') <= 0)
        {
            return false;
        }

        var lookup = _stacked.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(device, out var stacked))
        {
            return stacked;
        }

        var key = device.ToString();
        try
        {
            var slaves = Path.Join(_sysRoot, "dev/block", key, "slaves");
            stacked = Directory.Exists(slaves) && Directory.EnumerateFileSystemEntries(slaves).Any();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stacked = false;
        }

        if (_stacked.Count < MaxStackedCache)
        {
            _stacked[key] = stacked;
        }

        return stacked;
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
        if (!TryReadOptional(currentPath, out var current))
        {
            return;
        }

        sink.Gauge(MetricNames.ContainerPidsCount, "{process}", ParseNumber(current, "pids.current"), labels);
        var max = ReadLimit(maxPath);
        if (max >= 0)
        {
            sink.Gauge(MetricNames.ContainerPidsLimit, "{process}", max, labels);
        }
    }

    /// <summary>A single number file; throws when the file is gone (the container vanished) or holds no number.</summary>
    private static long ReadNumber(string path) => ParseNumber(PseudoFile.ReadAllText(path), path);

    private static long ParseNumber(string text, string what)
    {
        var trimmed = text.AsSpan().Trim();
        return long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
            : ulong.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? long.MaxValue
            : throw new InvalidDataException($"{what}: not a number");
    }

    /// <summary>A limit file: a number, or "max" (unlimited, -1); a missing file is unlimited too.</summary>
    private static long ReadLimit(string path)
    {
        if (!TryReadOptional(path, out var text))
        {
            return -1;
        }

        var trimmed = text.AsSpan().Trim();
        return trimmed.SequenceEqual("max") ? -1 : long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : -1;
    }

    /// <summary>Reads a file that may be absent (a controller not enabled); other failures throw.</summary>
    private static bool TryReadOptional(string path, out string text)
    {
        try
        {
            text = PseudoFile.ReadAllText(path);
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            text = "";
            return false;
        }
    }

    /// <summary>The value of a "key value" line (cpu.stat, memory.stat, cpuacct.stat); false when absent.</summary>
    private static bool TryFind(string text, ReadOnlySpan<char> key, out long value)
    {
        foreach (var range in text.AsSpan().Split('\n'))
        {
            var fields = new TextFields(text.AsSpan(range));
            if (fields.TryNext(out var name) && name.SequenceEqual(key) && fields.TryNextUInt64(out var number))
            {
                value = (long)Math.Min(number, long.MaxValue);
                return true;
            }
        }

        value = 0;
        return false;
    }

    private static long Find(string text, ReadOnlySpan<char> key) => TryFind(text, key, out var value) ? value : 0;

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
