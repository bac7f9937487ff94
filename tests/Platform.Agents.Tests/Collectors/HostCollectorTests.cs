using Platform.Agents.Collectors.Host;
using Platform.Agents.Health;
using Platform.Telemetry;
using Platform.Telemetry.V1;
using Platform.TestKit;
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
    public void Collect_ReportsFilesystems_WithExactStatvfsValues_SkippingPseudoSystemAndNetworkMounts()
    {
        using var tree = Copy("host");
        File.AppendAllText(Path.Join(tree.Path, "proc/mounts"), "nas:/export /mnt/nas nfs4 rw 0 0\nme@box:/ /mnt/ssh fuse.sshfs rw 0 0\n");
        var asked = new List<string>();
        var counters = new AgentCounters();
        var collector = new HostCollector(new HostPaths(Path.Join(tree.Path, "proc"), Path.Join(tree.Path, "sys"), tree.Path), counters, path =>
        {
            asked.Add(Path.GetRelativePath(tree.Path, path));
            // total, free (root's reserve included), available to users
            return path.EndsWith("data disk", StringComparison.Ordinal) ? new(2000, 1000, 1000) : new(1000, 300, 250);
        });
        var (batch, sink) = NewBatch();

        collector.Collect(sink);

        Assert.Equal([".", "data disk"], asked.Order(StringComparer.Ordinal)); // \040 unescaped; proc, sysfs, tmpfs, cgroup, overlay, nfs4, sshfs skipped
        (string, string) Root(string state) => ("state", state);
        (string, string)[] root = [("device", "/dev/vda"), ("mountpoint", "/"), ("type", "ext4")];
        (string, string)[] data = [("device", "/dev/vdb"), ("mountpoint", "/data disk"), ("type", "xfs")];
        Assert.Equal(700, Value(batch, MetricNames.FilesystemUsage, [.. root, Root("used")]));
        Assert.Equal(250, Value(batch, MetricNames.FilesystemUsage, [.. root, Root("free")]));
        Assert.Equal(50, Value(batch, MetricNames.FilesystemUsage, [.. root, Root("reserved")]));
        Assert.Equal(700.0 / 950.0, Value(batch, MetricNames.FilesystemUtilization, root), 12);
        Assert.Equal(1000, Value(batch, MetricNames.FilesystemUsage, [.. data, Root("used")]));
        Assert.Equal(1000, Value(batch, MetricNames.FilesystemUsage, [.. data, Root("free")]));
        Assert.Equal(0, Value(batch, MetricNames.FilesystemUsage, [.. data, Root("reserved")]));
        Assert.Equal(0.5, Value(batch, MetricNames.FilesystemUtilization, data));
        Assert.Equal(0, counters.CollectErrors);
    }

    [Fact]
    public async Task Collect_SkipsAHungNetworkMount_UntilItAnswers_WhenNetworkFilesystemsAreIncluded()
    {
        using var tree = Copy("host");
        File.AppendAllText(Path.Join(tree.Path, "proc/mounts"), "nas:/export /mnt/nas nfs4 rw 0 0\n");
        using var answer = new ManualResetEventSlim();
        var nasCalls = 0;
        var counters = new AgentCounters();
        var collector = new HostCollector(new HostPaths(Path.Join(tree.Path, "proc"), Path.Join(tree.Path, "sys"), tree.Path), counters, path =>
        {
            if (path.EndsWith("/mnt/nas", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref nasCalls);
                answer.Wait(); // the server is gone
                return new(4000, 1000, 1000);
            }

            return new(1000, 300, 250);
        }, networkFilesystems: true);
        bool HasNas(MetricBatch b) => b.Samples.Any(s => s.Labels.Any(l => l.Value == "/mnt/nas"));

        var (first, sink) = NewBatch();
        collector.Collect(sink);
        Assert.False(HasNas(first));
        Assert.Contains(first.Samples, s => s.Labels.Any(l => l.Value == "/data disk")); // the other mounts are there
        Assert.Equal(1, counters.CollectErrors);

        var (second, sink2) = NewBatch();
        collector.Collect(sink2);
        Assert.False(HasNas(second));
        Assert.Equal(1, counters.CollectErrors); // counted once, skipped while the call hangs
        Assert.Equal(1, Volatile.Read(ref nasCalls));

        answer.Set();
        MetricBatch? later = null;
        await Poll.UntilAsync(() =>
        {
            var (b, s) = NewBatch();
            collector.Collect(s);
            later = b;
            return HasNas(b);
        }, TimeSpan.FromSeconds(30), "the mount reported once it answers", TestContext.Current.CancellationToken);
        Assert.Equal(3000, Value(later!, MetricNames.FilesystemUsage, ("device", "nas:/export"), ("mountpoint", "/mnt/nas"), ("type", "nfs4"), ("state", "used")));
    }

    [Fact]
    public void Collect_LabelsCoresByTheirNumber_WithAnOfflineCpu()
    {
        using var tree = Copy("host");
        // cpu1 is offline: /proc/stat has no line for it, and no cpufreq directory.
        File.WriteAllText(Path.Join(tree.Path, "proc/stat"), "cpu  1000 0 0 9000 0 0 0 0\ncpu0 500 0 0 4500 0 0 0 0\ncpu2 500 0 0 4500 0 0 0 0\nprocs_running 1\n");
        Directory.Delete(Path.Join(tree.Path, "sys/devices/system/cpu/cpu1"), recursive: true);
        Directory.CreateDirectory(Path.Join(tree.Path, "sys/devices/system/cpu/cpu2/cpufreq"));
        File.WriteAllText(Path.Join(tree.Path, "sys/devices/system/cpu/cpu2/cpufreq/scaling_cur_freq"), "2400000\n");
        var (collector, counters) = Create(tree.Path);
        collector.Collect(NewBatch().Sink);
        File.WriteAllText(Path.Join(tree.Path, "proc/stat"), "cpu  1100 0 0 9100 0 0 0 0\ncpu0 500 0 0 4600 0 0 0 0\ncpu2 600 0 0 4500 0 0 0 0\nprocs_running 1\n");
        var (batch, sink) = NewBatch();

        collector.Collect(sink);

        Assert.Equal(2, collector.CpuCount);
        Assert.Equal(0.0, Value(batch, MetricNames.CpuUtilization, ("cpu", "0")));
        Assert.Equal(1.0, Value(batch, MetricNames.CpuUtilization, ("cpu", "2")));
        Assert.Equal(2.4e9, Value(batch, MetricNames.CpuFrequency, ("cpu", "2")));
        Assert.Equal(["0", "2"], batch.Samples.Where(s => s.Name == MetricNames.CpuFrequency).Select(s => s.Labels.Single().Value).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(batch.Samples, s => s.Labels.Any(l => l.Name == "cpu" && l.Value == "1"));
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
