using Platform.Agents.Collectors.Host;
using Platform.Agents.Health;
using Platform.Telemetry;
using Platform.Telemetry.V1;
using static Platform.Agents.Tests.FixtureTree;

namespace Platform.Agents.Tests.Collectors;

public sealed class HostCollectorTests
{
    private static (HostCollector Collector, AgentCounters Counters) Create(string root)
    {
        var counters = new AgentCounters();
        return (new HostCollector(new HostPaths(Path.Join(root, "proc"), Path.Join(root, "sys"), root), counters), counters);
    }

    [Fact]
    public void Collect_ReportsExactValues_FromRecordedProcTree()
    {
        using var tree = Copy("host");
        var (collector, counters) = Create(tree.Path);
        var (batch, sink) = NewBatch();

        collector.Collect(sink);

        Assert.Equal(0, counters.CollectErrors);
        Assert.Equal(2, collector.CpuCount);
        Assert.Equal(2, Value(batch, MetricNames.CpuLogicalCount));
        // CPU time: /proc/stat "cpu 1000 10 500 8000 100 20 30 40" in USER_HZ (100/s).
        Assert.Equal(10.0, Value(batch, MetricNames.CpuTime, ("state", "user")));
        Assert.Equal(0.1, Value(batch, MetricNames.CpuTime, ("state", "nice")));
        Assert.Equal(5.0, Value(batch, MetricNames.CpuTime, ("state", "system")));
        Assert.Equal(80.0, Value(batch, MetricNames.CpuTime, ("state", "idle")));
        Assert.Equal(1.0, Value(batch, MetricNames.CpuTime, ("state", "wait")));
        Assert.Equal(0.2, Value(batch, MetricNames.CpuTime, ("state", "interrupt")));
        Assert.Equal(0.3, Value(batch, MetricNames.CpuTime, ("state", "softirq")));
        Assert.Equal(0.4, Value(batch, MetricNames.CpuTime, ("state", "steal")));
        Assert.Equal(MetricKind.Counter, Single(batch, MetricNames.CpuTime, ("state", "user")).Kind);
        // Utilization needs a second read.
        Assert.DoesNotContain(batch.Samples, s => s.Name == MetricNames.CpuUtilization);

        Assert.Equal(3, Value(batch, MetricNames.ProcessesByStatus, ("status", "running")));
        Assert.Equal(1, Value(batch, MetricNames.ProcessesByStatus, ("status", "blocked")));
        Assert.Equal(2, Value(batch, MetricNames.ProcessCount)); // directories 1 and 42; "self" is not a pid

        Assert.Equal(0.28, Value(batch, MetricNames.LoadAverage1m));
        Assert.Equal(0.68, Value(batch, MetricNames.LoadAverage5m));
        Assert.Equal(0.39, Value(batch, MetricNames.LoadAverage15m));

        // meminfo in kB: total 24684084, free 20000000, available 22000000, buffers 100000, cached 1500000.
        Assert.Equal(24684084L * 1024, Value(batch, MetricNames.MemoryLimit));
        Assert.Equal(2684084L * 1024, Value(batch, MetricNames.MemoryUsage, ("state", "used")));
        Assert.Equal(20000000L * 1024, Value(batch, MetricNames.MemoryUsage, ("state", "free")));
        Assert.Equal(100000L * 1024, Value(batch, MetricNames.MemoryUsage, ("state", "buffers")));
        Assert.Equal(1500000L * 1024, Value(batch, MetricNames.MemoryUsage, ("state", "cached")));
        Assert.Equal(2684084.0 / 24684084.0, Value(batch, MetricNames.MemoryUtilization), 12);
        // Swap: total 1048576 kB, free 524288 kB.
        Assert.Equal(536870912, Value(batch, MetricNames.PagingUsage, ("state", "used")));
        Assert.Equal(536870912, Value(batch, MetricNames.PagingUsage, ("state", "free")));
        Assert.Equal(0.5, Value(batch, MetricNames.PagingUtilization));

        Assert.Equal(12345.67, Value(batch, MetricNames.Uptime));

        // diskstats: only vda (in sys/block; loop, zram and the partition vda1 are not disks).
        Assert.Equal(1745858L * 512, Value(batch, MetricNames.DiskIo, ("device", "vda"), ("direction", "read")));
        Assert.Equal(9936272L * 512, Value(batch, MetricNames.DiskIo, ("device", "vda"), ("direction", "write")));
        Assert.Equal(33347, Value(batch, MetricNames.DiskOperations, ("device", "vda"), ("direction", "read")));
        Assert.Equal(28496, Value(batch, MetricNames.DiskOperations, ("device", "vda"), ("direction", "write")));
        Assert.Equal(13.084, Value(batch, MetricNames.DiskIoTime, ("device", "vda")));
        Assert.DoesNotContain(batch.Samples, s => s.Name == MetricNames.DiskIo && s.Labels.Any(l => l.Value is "vda1" or "loop0" or "zram0"));

        // net/dev.
        Assert.Equal(665107602, Value(batch, MetricNames.NetworkIo, ("device", "eth0"), ("direction", "receive")));
        Assert.Equal(719216, Value(batch, MetricNames.NetworkIo, ("device", "eth0"), ("direction", "transmit")));
        Assert.Equal(14150, Value(batch, MetricNames.NetworkPackets, ("device", "eth0"), ("direction", "receive")));
        Assert.Equal(9018, Value(batch, MetricNames.NetworkPackets, ("device", "eth0"), ("direction", "transmit")));
        Assert.Equal(3, Value(batch, MetricNames.NetworkErrors, ("device", "eth0"), ("direction", "receive")));
        Assert.Equal(5, Value(batch, MetricNames.NetworkErrors, ("device", "eth0"), ("direction", "transmit")));
        Assert.Equal(4, Value(batch, MetricNames.NetworkDropped, ("device", "eth0"), ("direction", "receive")));
        Assert.Equal(6, Value(batch, MetricNames.NetworkDropped, ("device", "eth0"), ("direction", "transmit")));
        Assert.Equal(12774, Value(batch, MetricNames.NetworkIo, ("device", "lo"), ("direction", "receive")));

        // PSI: total is in microseconds.
        Assert.Equal(47.081517, Value(batch, MetricNames.PressureStallTime, ("resource", "cpu"), ("type", "some")));
        Assert.Equal(2.48, Value(batch, MetricNames.PressureAverage, ("resource", "cpu"), ("type", "some"), ("window", "10s")));
        Assert.Equal(6.08, Value(batch, MetricNames.PressureAverage, ("resource", "cpu"), ("type", "some"), ("window", "300s")));
        Assert.Equal(0.4, Value(batch, MetricNames.PressureAverage, ("resource", "io"), ("type", "full"), ("window", "10s")));
        Assert.Equal(1.0, Value(batch, MetricNames.PressureStallTime, ("resource", "io"), ("type", "full")));
        Assert.DoesNotContain(batch.Samples, s => s.Name == MetricNames.PressureAverage && s.Labels.Any(l => l.Value == "memory"));

        // cpufreq in kHz.
        Assert.Equal(2.4e9, Value(batch, MetricNames.CpuFrequency, ("cpu", "0")));
        Assert.Equal(1.8e9, Value(batch, MetricNames.CpuFrequency, ("cpu", "1")));
    }

    [Fact]
    public void Collect_ComputesCpuUtilization_FromTwoReads()
    {
        using var tree = Copy("host");
        var (collector, _) = Create(tree.Path);
        collector.Collect(NewBatch().Sink);
        File.Copy(Path.Join(tree.Path, "proc/stat.second"), Path.Join(tree.Path, "proc/stat"), overwrite: true);
        var (batch, sink) = NewBatch();

        collector.Collect(sink);

        // total: Δ = 10120 − 9700 = 420 ticks, Δ(idle + iowait) = 8320 − 8100 = 220 → busy 200/420.
        Assert.Equal(200.0 / 420.0, Value(batch, MetricNames.CpuUtilization), 12);
        // cpu0: Δ = 5030 − 4800 = 230, Δ(idle + iowait) = 4060 − 3950 = 110 → 120/230.
        Assert.Equal(120.0 / 230.0, Value(batch, MetricNames.CpuUtilization, ("cpu", "0")), 12);
        // cpu1: Δ = 5090 − 4900 = 190, Δ(idle + iowait) = 4260 − 4150 = 110 → 80/190.
        Assert.Equal(80.0 / 190.0, Value(batch, MetricNames.CpuUtilization, ("cpu", "1")), 12);
        Assert.Equal(11.5, Value(batch, MetricNames.CpuTime, ("state", "user")));
    }

    [Fact]
    public void Collect_ReportsFilesystems_SkippingPseudoAndSystemMounts()
    {
        using var tree = Copy("host");
        var (collector, counters) = Create(tree.Path);
        var (batch, sink) = NewBatch();

        collector.Collect(sink);

        var mounts = batch.Samples.Where(s => s.Name == MetricNames.FilesystemUtilization)
            .Select(s => s.Labels.Single(l => l.Name == "mountpoint").Value).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["/", "/data disk"], mounts); // \040 unescaped; proc, sysfs, tmpfs, cgroup and docker's overlay skipped
        var root = new DriveInfo(tree.Path);
        var used = Value(batch, MetricNames.FilesystemUsage, ("device", "/dev/vda"), ("mountpoint", "/"), ("type", "ext4"), ("state", "used"));
        var free = Value(batch, MetricNames.FilesystemUsage, ("device", "/dev/vda"), ("mountpoint", "/"), ("type", "ext4"), ("state", "free"));
        var reserved = Value(batch, MetricNames.FilesystemUsage, ("device", "/dev/vda"), ("mountpoint", "/"), ("type", "ext4"), ("state", "reserved"));
        // statvfs of the live filesystem under the fixture: the parts add up to its size.
        Assert.Equal(root.TotalSize, used + free + reserved);
        var utilization = Value(batch, MetricNames.FilesystemUtilization, ("device", "/dev/vda"), ("mountpoint", "/"), ("type", "ext4"));
        Assert.Equal(used / (used + free), utilization, 12);
        Assert.Equal(0, counters.CollectErrors);
    }

    [Fact]
    public void Collect_SkipsAndCounts_UnreadableRequiredFile()
    {
        using var tree = Copy("host");
        File.Delete(Path.Join(tree.Path, "proc/meminfo"));
        File.Delete(Path.Join(tree.Path, "proc/pressure/cpu")); // optional: absent without an error
        var (collector, counters) = Create(tree.Path);
        var (batch, sink) = NewBatch();

        collector.Collect(sink);

        Assert.Equal(1, counters.CollectErrors);
        Assert.DoesNotContain(batch.Samples, s => s.Name == MetricNames.MemoryUsage);
        Assert.Equal(0.28, Value(batch, MetricNames.LoadAverage1m)); // the rest of the tick goes on
    }

    [Fact]
    public void Inventory_ReadsHostIdentity_FromFixture()
    {
        using var tree = Copy("host");
        var paths = new HostPaths(Path.Join(tree.Path, "proc"), Path.Join(tree.Path, "sys"), tree.Path);

        var info = HostInventory.Read(paths, "1.2.3", new Dictionary<string, string> { ["env"] = "test" }, TimeSpan.FromSeconds(1));

        Assert.Equal("fixture-host", info.HostName);
        Assert.Equal("6.1.0-fixture-amd64", info.Kernel);
        Assert.Equal("Debian GNU/Linux 13 (trixie)", info.Os);
        Assert.Equal(2, info.CpuCount);
        Assert.Equal(24684084L * 1024, info.MemoryTotalBytes);
        Assert.Equal(1764000000L * 1000, info.BootTimeUnixMs);
        Assert.Equal(1000, info.IntervalMs);
        Assert.Equal("1.2.3", info.AgentVersion);
        Assert.Equal("env", Assert.Single(info.Labels).Name);
    }

    [Fact]
    public void Collect_WorksOnThisMachinesProc()
    {
        var counters = new AgentCounters();
        var collector = new HostCollector(HostPaths.Default, counters);
        collector.Collect(NewBatch().Sink);
        var (batch, sink) = NewBatch();

        collector.Collect(sink);

        Assert.Equal(0, counters.CollectErrors);
        Assert.True(collector.CpuCount >= Environment.ProcessorCount); // a CPU quota can make the runtime see fewer
        var memory = Value(batch, MetricNames.MemoryUtilization);
        Assert.InRange(memory, 0, 1);
        Assert.Contains(batch.Samples, s => s.Name == MetricNames.FilesystemUtilization && s.Labels.Any(l => l.Name == "mountpoint" && l.Value == "/"));
        Assert.Contains(batch.Samples, s => s.Name == MetricNames.NetworkIo);
        Assert.True(Value(batch, MetricNames.ProcessCount) > 1);
    }

    [Theory]
    [InlineData("/mnt/a\\040b", "/mnt/a b")]
    [InlineData("/mnt/tab\\011x", "/mnt/tab\tx")]
    [InlineData("/plain", "/plain")]
    [InlineData("/back\\134slash", "/back\\slash")]
    public void UnescapeMountField_DecodesOctalEscapes(string field, string expected) =>
        Assert.Equal(expected, HostCollector.UnescapeMountField(field));
}
