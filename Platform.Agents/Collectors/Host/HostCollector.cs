using System.Globalization;
using System.Runtime.InteropServices;
using Platform.Agents.Health;
using Platform.Telemetry;

namespace Platform.Agents.Collectors.Host;

/// <summary>
/// The host's CPU, load, memory, swap, filesystems, disks, network, uptime, processes and pressure, read
/// from procfs and sysfs under <see cref="HostPaths"/>. Rates (CPU utilization) come from the difference
/// to the previous tick; everything else is sent as read (counters as counters). An unreadable file skips
/// its part of the tick and counts one collection error; the rest of the tick goes on.
/// </summary>
internal sealed class HostCollector : ICollector
{
    /// <summary>USER_HZ: the unit of /proc/stat CPU times; 100 on every Linux architecture the agent runs on.</summary>
    internal const double UserHz = 100;

    private const double SectorBytes = 512;

    private static readonly string[] PressureResources = ["cpu", "memory", "io"];

    // Mount types that hold no user data (node_exporter's default exclusions, plus tmpfs-like pseudo mounts).
    private static readonly HashSet<string> IgnoredFilesystemTypes = new(StringComparer.Ordinal)
    {
        "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts", "devtmpfs",
        "fusectl", "hugetlbfs", "iso9660", "mqueue", "nsfs", "overlay", "proc", "procfs", "pstore",
        "rpc_pipefs", "securityfs", "selinuxfs", "squashfs", "sysfs", "tracefs", "tmpfs", "ramfs", "efivarfs",
    };

    // Network and cluster filesystems: statvfs on one can hang as long as its server does not answer.
    private static readonly HashSet<string> NetworkFilesystemTypes = new(StringComparer.Ordinal)
    {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "ceph", "glusterfs", "lustre", "afs", "9p", "davfs",
        "gpfs", "beegfs", "ocfs2", "gfs2",
    };

    /// <summary>How long the tick waits for statvfs of a network filesystem (when those are included).</summary>
    internal static readonly TimeSpan NetworkStatTimeout = TimeSpan.FromMilliseconds(500);

    private static readonly string[] IgnoredMountPrefixes = ["/dev", "/proc", "/sys", "/run/credentials/", "/var/lib/docker/", "/var/lib/containers/storage/"];

    private readonly HostPaths _paths;
    private readonly AgentCounters _counters;
    private readonly Func<string, FilesystemStats> _statFs;
    private readonly bool _networkFilesystems;
    private readonly Dictionary<string, Task<FilesystemStats>> _pendingStats = new(StringComparer.Ordinal);
    private readonly List<CpuTicks> _currentCpu = new(8);
    private readonly List<int> _currentIds = new(8);
    private CpuTicks[] _previousCpu = [];
    private int[] _cpuIds = [];
    private string[] _cpuFrequencyPaths = []; // scaling_cur_freq of each of _cpuIds, built with them
    private bool _cpuFrequencyMissing;
    private string? _mountsText;
    private List<Mount> _mounts = [];

    /// <param name="paths">procfs, sysfs and the root filesystem.</param>
    /// <param name="counters">Where errors are counted.</param>
    /// <param name="statFs">statvfs of a mount point (tests record values); default <see cref="DriveInfo"/>.</param>
    /// <param name="networkFilesystems">Report nfs, cifs and other network filesystems too (statvfs then runs with a timeout).</param>
    public HostCollector(HostPaths paths, AgentCounters counters, Func<string, FilesystemStats>? statFs = null, bool networkFilesystems = false)
    {
        _paths = paths;
        _counters = counters;
        _statFs = statFs ?? StatFs;
        _networkFilesystems = networkFilesystems;
    }

    /// <summary>Sizes of a mounted filesystem in bytes: total, free (root included), available to unprivileged users.</summary>
    internal readonly record struct FilesystemStats(long Total, long Free, long Available);

    private static FilesystemStats StatFs(string path)
    {
        var drive = new DriveInfo(path);
        return new FilesystemStats(drive.TotalSize, drive.TotalFreeSpace, drive.AvailableFreeSpace);
    }

    /// <summary>Whether a filesystem type is served over the network (nfs, cifs, ceph, fuse.sshfs, ...).</summary>
    internal static bool IsNetworkFilesystem(string type) =>
        NetworkFilesystemTypes.Contains(type) || (type.StartsWith("fuse.", StringComparison.Ordinal) && type != "fuse.lxcfs");

    public string Name => "host";

    public CollectorKind Kind => CollectorKind.Host;

    /// <summary>The number of logical CPUs seen in the last /proc/stat read (0 before the first).</summary>
    public int CpuCount { get; private set; }

    public ValueTask CollectAsync(SampleSink sink, long nowUnixMs, CancellationToken cancellationToken)
    {
        Collect(sink);
        return ValueTask.CompletedTask;
    }

    /// <summary>Adds one tick's host samples.</summary>
    public void Collect(SampleSink sink)
    {
        if (TryRead(_paths.ProcFile("stat"), required: true, out var stat))
        {
            CollectStat(sink, stat);
        }

        if (TryRead(_paths.ProcFile("loadavg"), required: true, out var loadavg))
        {
            CollectLoad(sink, loadavg);
        }

        if (TryRead(_paths.ProcFile("meminfo"), required: true, out var meminfo))
        {
            CollectMemory(sink, meminfo);
        }

        if (TryRead(_paths.ProcFile("uptime"), required: true, out var uptime))
        {
            var fields = new TextFields(uptime);
            if (fields.TryNextDouble(out var seconds))
            {
                sink.Gauge(MetricNames.Uptime, "s", seconds);
            }
        }

        if (TryRead(_paths.ProcFile("diskstats"), required: false, out var diskstats))
        {
            CollectDisks(sink, diskstats);
        }

        if (TryRead(_paths.ProcFile("net/dev"), required: false, out var netdev))
        {
            CollectNetwork(sink, netdev);
        }

        if (TryRead(_paths.ProcFile("mounts"), required: false, out var mounts))
        {
            CollectFilesystems(sink, mounts);
        }

        CollectProcessCount(sink);
        CollectPressure(sink);
        CollectCpuFrequency(sink);
    }

    private void CollectStat(SampleSink sink, string text)
    {
        // Index 0 is the "cpu" total line; then one "cpuN" line per online CPU, N (in ids, one index lower) its
        // number (an offline CPU has no line, so the position is not the number).
        var currentList = _currentCpu;
        var ids = _currentIds;
        currentList.Clear();
        ids.Clear();
        foreach (var range in text.AsSpan().Split('\n'))
        {
            var line = text.AsSpan(range);
            if (line.StartsWith("cpu"))
            {
                var fields = new TextFields(line);
                fields.TryNext(out var name);
                var id = -1;
                if (name.Length > 3 && !int.TryParse(name[3..], NumberStyles.None, CultureInfo.InvariantCulture, out id))
                {
                    continue;
                }

                if ((id < 0) != (currentList.Count == 0))
                {
                    continue; // the total line first, then the cores
                }

                currentList.Add(CpuTicks.Parse(ref fields));
                if (id >= 0)
                {
                    ids.Add(id);
                }
            }
            else if (line.StartsWith("procs_running "))
            {
                if (ulong.TryParse(line["procs_running ".Length..].Trim(), CultureInfo.InvariantCulture, out var running))
                {
                    sink.Gauge(MetricNames.ProcessesByStatus, "{process}", running, LabelCache.Get(LabelNames.Status, "running"));
                }
            }
            else if (line.StartsWith("procs_blocked "))
            {
                if (ulong.TryParse(line["procs_blocked ".Length..].Trim(), CultureInfo.InvariantCulture, out var blocked))
                {
                    sink.Gauge(MetricNames.ProcessesByStatus, "{process}", blocked, LabelCache.Get(LabelNames.Status, "blocked"));
                }
            }
        }

        if (currentList.Count == 0)
        {
            _counters.CollectError(CollectorKind.Host);
            return;
        }

        var cores = currentList.Count - 1;
        CpuCount = cores;
        sink.Gauge(MetricNames.CpuLogicalCount, "1", cores);

        // CPU time per state for the whole host (index 0 is the "cpu" total line).
        var total = currentList[0];
        sink.Counter(MetricNames.CpuTime, "s", total.User / UserHz, LabelCache.Get(LabelNames.State, "user"));
        sink.Counter(MetricNames.CpuTime, "s", total.Nice / UserHz, LabelCache.Get(LabelNames.State, "nice"));
        sink.Counter(MetricNames.CpuTime, "s", total.System / UserHz, LabelCache.Get(LabelNames.State, "system"));
        sink.Counter(MetricNames.CpuTime, "s", total.Idle / UserHz, LabelCache.Get(LabelNames.State, "idle"));
        sink.Counter(MetricNames.CpuTime, "s", total.IoWait / UserHz, LabelCache.Get(LabelNames.State, "wait"));
        sink.Counter(MetricNames.CpuTime, "s", total.Irq / UserHz, LabelCache.Get(LabelNames.State, "interrupt"));
        sink.Counter(MetricNames.CpuTime, "s", total.SoftIrq / UserHz, LabelCache.Get(LabelNames.State, "softirq"));
        sink.Counter(MetricNames.CpuTime, "s", total.Steal / UserHz, LabelCache.Get(LabelNames.State, "steal"));

        // Utilization needs two reads; a changed set of CPUs (hotplug) restarts the comparison.
        if (_previousCpu.Length == currentList.Count && CollectionsMarshal.AsSpan(ids).SequenceEqual(_cpuIds))
        {
            for (var i = 0; i < currentList.Count; i++)
            {
                var utilization = CpuTicks.Utilization(_previousCpu[i], currentList[i]);
                if (double.IsNaN(utilization))
                {
                    continue;
                }

                if (i == 0)
                {
                    sink.Gauge(MetricNames.CpuUtilization, "1", utilization);
                }
                else
                {
                    sink.Gauge(MetricNames.CpuUtilization, "1", utilization, LabelCache.Get(LabelNames.Cpu, CpuName(ids[i - 1])));
                }
            }
        }
        else
        {
            _previousCpu = new CpuTicks[currentList.Count];
            _cpuIds = [.. ids];
            _cpuFrequencyPaths = Array.ConvertAll(_cpuIds, id => _paths.SysFile($"devices/system/cpu/cpu{id}/cpufreq/scaling_cur_freq"));
        }

        currentList.CopyTo(_previousCpu);
    }

    private static string CpuName(int index) => index < SmallNumbers.Length ? SmallNumbers[index] : index.ToString(CultureInfo.InvariantCulture);

    private static readonly string[] SmallNumbers = [.. Enumerable.Range(0, 256).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    private void CollectLoad(SampleSink sink, string text)
    {
        var fields = new TextFields(text);
        if (fields.TryNextDouble(out var l1) && fields.TryNextDouble(out var l5) && fields.TryNextDouble(out var l15))
        {
            sink.Gauge(MetricNames.LoadAverage1m, "1", l1);
            sink.Gauge(MetricNames.LoadAverage5m, "1", l5);
            sink.Gauge(MetricNames.LoadAverage15m, "1", l15);
        }
        else
        {
            _counters.CollectError(CollectorKind.Host);
        }
    }

    /// <summary>/proc/meminfo values in bytes; missing keys are -1.</summary>
    internal readonly record struct MemInfo(long Total, long Free, long Available, long Buffers, long Cached, long SwapTotal, long SwapFree);

    internal static MemInfo ParseMemInfo(string text)
    {
        long total = -1, free = -1, available = -1, buffers = -1, cached = -1, swapTotal = -1, swapFree = -1;
        foreach (var range in text.AsSpan().Split('\n'))
        {
            var line = text.AsSpan(range);
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var fields = new TextFields(line[(colon + 1)..]);
            if (!fields.TryNextUInt64(out var kb))
            {
                continue;
            }

            var bytes = checked((long)kb * 1024);
            switch (line[..colon])
            {
                case "MemTotal": total = bytes; break;
                case "MemFree": free = bytes; break;
                case "MemAvailable": available = bytes; break;
                case "Buffers": buffers = bytes; break;
                case "Cached": cached = bytes; break;
                case "SwapTotal": swapTotal = bytes; break;
                case "SwapFree": swapFree = bytes; break;
                default: break;
            }
        }

        if (available < 0 && free >= 0)
        {
            // Kernels before 3.14 have no MemAvailable: approximate it as free + buffers + page cache.
            available = free + Math.Max(buffers, 0) + Math.Max(cached, 0);
        }

        return new MemInfo(total, free, available, buffers, cached, swapTotal, swapFree);
    }

    private void CollectMemory(SampleSink sink, string text)
    {
        var m = ParseMemInfo(text);
        if (m.Total <= 0 || m.Available < 0)
        {
            _counters.CollectError(CollectorKind.Host);
            return;
        }

        var used = m.Total - m.Available;
        sink.Gauge(MetricNames.MemoryLimit, "By", m.Total);
        sink.Gauge(MetricNames.MemoryUsage, "By", used, LabelCache.Get(LabelNames.State, "used"));
        sink.Gauge(MetricNames.MemoryUsage, "By", m.Free, LabelCache.Get(LabelNames.State, "free"));
        if (m.Buffers >= 0)
        {
            sink.Gauge(MetricNames.MemoryUsage, "By", m.Buffers, LabelCache.Get(LabelNames.State, "buffers"));
        }

        if (m.Cached >= 0)
        {
            sink.Gauge(MetricNames.MemoryUsage, "By", m.Cached, LabelCache.Get(LabelNames.State, "cached"));
        }

        sink.Gauge(MetricNames.MemoryUtilization, "1", (double)used / m.Total);

        if (m.SwapTotal >= 0 && m.SwapFree >= 0)
        {
            var swapUsed = m.SwapTotal - m.SwapFree;
            sink.Gauge(MetricNames.PagingUsage, "By", swapUsed, LabelCache.Get(LabelNames.State, "used"));
            sink.Gauge(MetricNames.PagingUsage, "By", m.SwapFree, LabelCache.Get(LabelNames.State, "free"));
            if (m.SwapTotal > 0)
            {
                sink.Gauge(MetricNames.PagingUtilization, "1", (double)swapUsed / m.SwapTotal);
            }
        }
    }

    private void CollectDisks(SampleSink sink, string text)
    {
        // With /sys/block present, only whole block devices listed there count (no partitions);
        // loop, ram and zram devices are never real disks.
        var sysBlock = _paths.SysFile("block");
        var haveSysBlock = Directory.Exists(sysBlock);
        foreach (var range in text.AsSpan().Split('\n'))
        {
            var fields = new TextFields(text.AsSpan(range));
            if (!fields.Skip(2) || !fields.TryNext(out var nameSpan))
            {
                continue;
            }

            if (nameSpan.StartsWith("loop") || nameSpan.StartsWith("ram") || nameSpan.StartsWith("zram"))
            {
                continue;
            }

            // reads, reads merged, sectors read, ms reading, writes, writes merged, sectors written, ms writing, in progress, ms doing IO
            if (!fields.TryNextUInt64(out var reads) || !fields.Skip(1) || !fields.TryNextUInt64(out var sectorsRead) || !fields.Skip(1)
                || !fields.TryNextUInt64(out var writes) || !fields.Skip(1) || !fields.TryNextUInt64(out var sectorsWritten) || !fields.Skip(2)
                || !fields.TryNextUInt64(out var ioMs))
            {
                continue;
            }

            var name = nameSpan.ToString();
            if (haveSysBlock && !Directory.Exists(Path.Join(sysBlock, name)))
            {
                continue;
            }

            var device = LabelCache.Get(LabelNames.Device, name);
            var read = LabelCache.Get(LabelNames.Direction, "read");
            var write = LabelCache.Get(LabelNames.Direction, "write");
            sink.Counter(MetricNames.DiskIo, "By", sectorsRead * SectorBytes, device, read);
            sink.Counter(MetricNames.DiskIo, "By", sectorsWritten * SectorBytes, device, write);
            sink.Counter(MetricNames.DiskOperations, "{operation}", reads, device, read);
            sink.Counter(MetricNames.DiskOperations, "{operation}", writes, device, write);
            sink.Counter(MetricNames.DiskIoTime, "s", ioMs / 1000.0, device);
        }
    }

    private static void CollectNetwork(SampleSink sink, string text)
    {
        var receive = LabelCache.Get(LabelNames.Direction, "receive");
        var transmit = LabelCache.Get(LabelNames.Direction, "transmit");
        foreach (var range in text.AsSpan().Split('\n'))
        {
            var line = text.AsSpan(range);
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue; // the two header lines have no colon after the name
            }

            var name = line[..colon].Trim();
            var fields = new TextFields(line[(colon + 1)..]);
            // receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets errs drop ...
            if (!fields.TryNextUInt64(out var rxBytes) || !fields.TryNextUInt64(out var rxPackets) || !fields.TryNextUInt64(out var rxErrors)
                || !fields.TryNextUInt64(out var rxDropped) || !fields.Skip(4)
                || !fields.TryNextUInt64(out var txBytes) || !fields.TryNextUInt64(out var txPackets) || !fields.TryNextUInt64(out var txErrors)
                || !fields.TryNextUInt64(out var txDropped))
            {
                continue;
            }

            var device = LabelCache.Get(LabelNames.Device, name.ToString());
            sink.Counter(MetricNames.NetworkIo, "By", rxBytes, device, receive);
            sink.Counter(MetricNames.NetworkIo, "By", txBytes, device, transmit);
            sink.Counter(MetricNames.NetworkPackets, "{packet}", rxPackets, device, receive);
            sink.Counter(MetricNames.NetworkPackets, "{packet}", txPackets, device, transmit);
            sink.Counter(MetricNames.NetworkErrors, "{error}", rxErrors, device, receive);
            sink.Counter(MetricNames.NetworkErrors, "{error}", txErrors, device, transmit);
            sink.Counter(MetricNames.NetworkDropped, "{packet}", rxDropped, device, receive);
            sink.Counter(MetricNames.NetworkDropped, "{packet}", txDropped, device, transmit);
        }
    }

    /// <summary>One mount worth reporting, from /proc/mounts.</summary>
    internal readonly record struct Mount(string Device, string MountPoint, string Type);

    /// <summary>The mounts that hold data: pseudo filesystems and system paths skipped, the last mount of a path wins.</summary>
    internal static List<Mount> ParseMounts(string text)
    {
        var byMountPoint = new Dictionary<string, Mount>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var range in text.AsSpan().Split('\n'))
        {
            var fields = new TextFields(text.AsSpan(range));
            if (!fields.TryNext(out var device) || !fields.TryNext(out var mountPoint) || !fields.TryNext(out var type))
            {
                continue;
            }

            var typeString = type.ToString();
            if (IgnoredFilesystemTypes.Contains(typeString))
            {
                continue;
            }

            var path = UnescapeMountField(mountPoint);
            if (IsIgnoredMountPoint(path))
            {
                continue;
            }

            if (!byMountPoint.ContainsKey(path))
            {
                order.Add(path);
            }

            byMountPoint[path] = new Mount(UnescapeMountField(device), path, typeString);
        }

        var result = new List<Mount>(order.Count);
        foreach (var path in order)
        {
            result.Add(byMountPoint[path]);
        }

        return result;
    }

    private static bool IsIgnoredMountPoint(string path)
    {
        foreach (var prefix in IgnoredMountPrefixes)
        {
            if (prefix.EndsWith('/') ? path.StartsWith(prefix, StringComparison.Ordinal)
                : path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>/proc/mounts writes space, tab, newline and backslash in paths as \040, \011, \012, \134.</summary>
    internal static string UnescapeMountField(ReadOnlySpan<char> field)
    {
        if (!field.Contains('\\'))
        {
            return field.ToString();
        }

        var builder = new System.Text.StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                builder.Append((char)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }

        return builder.ToString();

        static bool IsOctal(char c) => c is >= '0' and <= '7';
    }

    private void CollectFilesystems(SampleSink sink, string text)
    {
        // /proc/mounts rarely changes: parse it again only when its text did.
        if (!string.Equals(text, _mountsText, StringComparison.Ordinal))
        {
            _mounts = ParseMounts(text);
            _mountsText = text;
        }

        foreach (var mount in _mounts)
        {
            var network = IsNetworkFilesystem(mount.Type);
            if (network && !_networkFilesystems)
            {
                continue;
            }

            long total, free, available;
            try
            {
                var path = Path.Join(_paths.RootFs, mount.MountPoint);
                FilesystemStats stats;
                if (!network)
                {
                    stats = _statFs(path);
                }
                else if (!TryStatWithTimeout(path, out stats))
                {
                    continue;
                }

                (total, free, available) = stats;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                _counters.CollectError(CollectorKind.Host);
                continue;
            }

            if (total <= 0)
            {
                continue;
            }

            var device = LabelCache.Get(LabelNames.Device, mount.Device);
            var mountPoint = LabelCache.Get(LabelNames.MountPoint, mount.MountPoint);
            var type = LabelCache.Get(LabelNames.FilesystemType, mount.Type);
            var used = total - free;
            sink.Gauge(MetricNames.FilesystemUsage, "By", used, device, mountPoint, type, LabelCache.Get(LabelNames.State, "used"));
            sink.Gauge(MetricNames.FilesystemUsage, "By", available, device, mountPoint, type, LabelCache.Get(LabelNames.State, "free"));
            sink.Gauge(MetricNames.FilesystemUsage, "By", free - available, device, mountPoint, type, LabelCache.Get(LabelNames.State, "reserved"));
            if (used + available > 0)
            {
                sink.Gauge(MetricNames.FilesystemUtilization, "1", (double)used / (used + available), device, mountPoint, type);
            }
        }
    }

    /// <summary>
    /// statvfs on a thread-pool thread, waited for <see cref="NetworkStatTimeout"/>: a hung mount is counted once
    /// and skipped on later ticks until the call still pending on it returns.
    /// </summary>
    private bool TryStatWithTimeout(string path, out FilesystemStats stats)
    {
        if (_pendingStats.TryGetValue(path, out var pending))
        {
            if (!pending.IsCompleted)
            {
                stats = default;
                return false; // still hung
            }

            _pendingStats.Remove(path);
        }

        var statFs = _statFs;
        var task = Task.Run(() => statFs(path));
        bool completed;
        try
        {
            completed = task.Wait(NetworkStatTimeout);
        }
        catch (AggregateException)
        {
            completed = true; // failed: GetResult below throws the failure itself
        }

        if (!completed)
        {
            _pendingStats[path] = task;
            _counters.CollectError(CollectorKind.Host);
            stats = default;
            return false;
        }

        stats = task.GetAwaiter().GetResult();
        return true;
    }

    private void CollectProcessCount(SampleSink sink)
    {
        try
        {
            var count = 0;
            foreach (var entry in Directory.EnumerateDirectories(_paths.Proc))
            {
                var name = entry.AsSpan(entry.LastIndexOf('/') + 1);
                if (!name.IsEmpty && !name.ContainsAnyExceptInRange('0', '9'))
                {
                    count++;
                }
            }

            sink.Gauge(MetricNames.ProcessCount, "{process}", count);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _counters.CollectError(CollectorKind.Host);
        }
    }

    private void CollectPressure(SampleSink sink)
    {
        foreach (var resource in PressureResources)
        {
            if (!TryRead(_paths.ProcFile("pressure/" + resource), required: false, out var text))
            {
                continue;
            }

            var resourceLabel = LabelCache.Get(LabelNames.Resource, resource);
            foreach (var range in text.AsSpan().Split('\n'))
            {
                var fields = new TextFields(text.AsSpan(range));
                if (!fields.TryNext(out var type))
                {
                    continue;
                }

                var typeLabel = LabelCache.Get(LabelNames.PressureType, type.ToString());
                while (fields.TryNext(out var pair))
                {
                    var eq = pair.IndexOf('=');
                    if (eq <= 0 || !double.TryParse(pair[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    {
                        continue;
                    }

                    var key = pair[..eq];
                    if (key.SequenceEqual("total"))
                    {
                        sink.Counter(MetricNames.PressureStallTime, "s", value / 1_000_000, resourceLabel, typeLabel);
                    }
                    else if (key.StartsWith("avg"))
                    {
                        var window = key switch
                        {
                            "avg10" => "10s",
                            "avg60" => "60s",
                            "avg300" => "300s",
                            _ => null,
                        };
                        if (window is not null)
                        {
                            sink.Gauge(MetricNames.PressureAverage, "%", value, resourceLabel, typeLabel, LabelCache.Get(LabelNames.Window, window));
                        }
                    }
                }
            }
        }
    }

    private void CollectCpuFrequency(SampleSink sink)
    {
        if (_cpuFrequencyMissing)
        {
            return;
        }

        var cpus = _cpuIds;
        var paths = _cpuFrequencyPaths;
        for (var i = 0; i < cpus.Length; i++)
        {
            if (!TryRead(paths[i], required: false, out var text))
            {
                if (i == 0)
                {
                    _cpuFrequencyMissing = true; // no cpufreq driver (typical in VMs): stop looking
                }

                continue;
            }

            var fields = new TextFields(text);
            if (fields.TryNextUInt64(out var khz))
            {
                sink.Gauge(MetricNames.CpuFrequency, "Hz", khz * 1000.0, LabelCache.Get(LabelNames.Cpu, CpuName(cpus[i])));
            }
        }
    }

    /// <summary>Reads a pseudo-file; a missing optional file is silently absent, any other failure is counted.</summary>
    private bool TryRead(string path, bool required, out string text)
    {
        try
        {
            text = PseudoFile.ReadAllText(path);
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException && !required)
        {
            text = "";
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _counters.CollectError(CollectorKind.Host);
            text = "";
            return false;
        }
    }

    /// <summary>One line of /proc/stat CPU times, in USER_HZ ticks.</summary>
    internal readonly record struct CpuTicks(ulong User, ulong Nice, ulong System, ulong Idle, ulong IoWait, ulong Irq, ulong SoftIrq, ulong Steal)
    {
        public ulong Total => User + Nice + System + Idle + IoWait + Irq + SoftIrq + Steal;

        public ulong NotBusy => Idle + IoWait;

        public static CpuTicks Parse(ref TextFields fields)
        {
            // Older kernels have fewer columns: missing ones read as 0. Guest time is already in user and nice.
            fields.TryNextUInt64(out var user);
            fields.TryNextUInt64(out var nice);
            fields.TryNextUInt64(out var system);
            fields.TryNextUInt64(out var idle);
            fields.TryNextUInt64(out var iowait);
            fields.TryNextUInt64(out var irq);
            fields.TryNextUInt64(out var softirq);
            fields.TryNextUInt64(out var steal);
            return new CpuTicks(user, nice, system, idle, iowait, irq, softirq, steal);
        }

        /// <summary>The busy fraction between two reads; NaN when no time passed or the counters went back.</summary>
        public static double Utilization(CpuTicks before, CpuTicks after)
        {
            if (after.Total <= before.Total || after.NotBusy < before.NotBusy)
            {
                return double.NaN;
            }

            double total = after.Total - before.Total;
            double idle = after.NotBusy - before.NotBusy;
            return Math.Clamp((total - idle) / total, 0, 1);
        }
    }
}
