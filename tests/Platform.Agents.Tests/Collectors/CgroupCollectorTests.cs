using System.Net.Sockets;
using System.Text;
using Platform.Agents.Collectors.Containers;
using Platform.Agents.Health;
using Platform.Telemetry;
using Platform.TestKit;
using static Platform.Agents.Tests.FixtureTree;

namespace Platform.Agents.Tests.Collectors;

public sealed class CgroupCollectorTests
{
    private const string A = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";
    private const string B = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static readonly (string, string) IdA = ("container.id", A);
    private static readonly (string, string) IdB = ("container.id", B);

    [Fact]
    public async Task Collect_ReportsExactValues_FromCgroupV2Tree()
    {
        using var tree = Copy("cgroup-v2");
        using var sys = Copy("cgroup-sys");
        var counters = new AgentCounters();
        using var collector = new CgroupCollector(tree.Path, "/nonexistent/docker.sock", sys.Path, () => 4, counters);
        var (batch, sink) = NewBatch();

        await collector.CollectAsync(sink, 10_000, TestContext.Current.CancellationToken);

        Assert.True(collector.IsV2);
        Assert.Equal(0, counters.CollectErrors);
        var nameA = ("container.name", $"system.slice/docker-{A}.scope");
        Assert.Equal(2.5, Value(batch, MetricNames.ContainerCpuTime, IdA, nameA));
        Assert.Equal(1.5, Value(batch, MetricNames.ContainerCpuTime, IdA, nameA, ("state", "user")));
        Assert.Equal(1.0, Value(batch, MetricNames.ContainerCpuTime, IdA, nameA, ("state", "system")));
        Assert.Equal(100, Value(batch, MetricNames.ContainerCpuThrottlingPeriods, IdA, nameA));
        Assert.Equal(7, Value(batch, MetricNames.ContainerCpuThrottledPeriods, IdA, nameA));
        Assert.Equal(0.35, Value(batch, MetricNames.ContainerCpuThrottledTime, IdA, nameA));
        Assert.Equal(104857600, Value(batch, MetricNames.ContainerMemoryUsage, IdA, nameA));
        Assert.Equal(104857600 - 20971520, Value(batch, MetricNames.ContainerMemoryWorkingSet, IdA, nameA));
        Assert.Equal(268435456, Value(batch, MetricNames.ContainerMemoryLimit, IdA, nameA));
        // io.stat lists sda (8:0) and dm-0 (253:0) stacked on it: the same bytes once, on the physical disk.
        Assert.Equal(1000, Value(batch, MetricNames.ContainerDiskIo, IdA, nameA, ("direction", "read")));
        Assert.Equal(2000, Value(batch, MetricNames.ContainerDiskIo, IdA, nameA, ("direction", "write")));
        Assert.Equal(12, Value(batch, MetricNames.ContainerPidsCount, IdA, nameA));
        Assert.DoesNotContain(batch.Samples, s => s.Name == MetricNames.ContainerPidsLimit && s.Labels.Any(l => l.Value == A)); // "max"

        // The Kubernetes container (cri-containerd-ID.scope, deep under kubepods): unlimited memory, pids limit 50.
        var nameB = ("container.name", $"kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-{B}.scope");
        Assert.Equal(4096, Value(batch, MetricNames.ContainerMemoryUsage, IdB, nameB));
        Assert.Equal(50, Value(batch, MetricNames.ContainerPidsLimit, IdB, nameB));
        Assert.DoesNotContain(batch.Samples, s => s.Name == MetricNames.ContainerMemoryLimit && s.Labels.Any(l => l.Value == B));
        // ssh.service is not a container, nor are podman's and CRI-O's conmon monitors named after container A.
        Assert.Equal(2, batch.Samples.Where(s => s.Name == MetricNames.ContainerMemoryUsage).Count());
        Assert.Equal([B, A], batch.Samples.Where(s => s.Name == MetricNames.ContainerCpuTime && s.Labels.Count == 2)
            .Select(s => s.Labels.Single(l => l.Name == "container.id").Value).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Collect_CountsEveryDevice_WithoutSysfs()
    {
        using var tree = Copy("cgroup-v2");
        using var collector = new CgroupCollector(tree.Path, "/nonexistent/docker.sock", "/nonexistent/sys", () => 4, new AgentCounters());
        var (batch, sink) = NewBatch();

        await collector.CollectAsync(sink, 10_000, TestContext.Current.CancellationToken);

        Assert.Equal(1500, Value(batch, MetricNames.ContainerDiskIo, IdA, ("container.name", $"system.slice/docker-{A}.scope"), ("direction", "read")));
    }

    [Fact]
    public async Task Collect_SkipsAndCounts_AContainerWithAGarbledFile_AndReadsTheOthers()
    {
        using var tree = Copy("cgroup-v2");
        File.WriteAllText(Path.Join(tree.Path, $"system.slice/docker-{A}.scope/memory.current"), "garbage\n");
        var counters = new AgentCounters();
        using var collector = new CgroupCollector(tree.Path, "/nonexistent/docker.sock", null, () => 4, counters);
        var (batch, sink) = NewBatch();

        await collector.CollectAsync(sink, 10_000, TestContext.Current.CancellationToken);

        Assert.Equal(1, counters.CollectErrorsOf(CollectorKind.Containers));
        var memory = Assert.Single(batch.Samples, s => s.Name == MetricNames.ContainerMemoryUsage);
        Assert.Contains(memory.Labels, l => l.Value == B);
    }

    [Fact]
    public async Task Collect_SkipsOnlyMemory_WhenTheMemoryControllerIsOff()
    {
        using var tree = Copy("cgroup-v2");
        File.Delete(Path.Join(tree.Path, $"system.slice/docker-{A}.scope/memory.current"));
        var counters = new AgentCounters();
        using var collector = new CgroupCollector(tree.Path, "/nonexistent/docker.sock", null, () => 4, counters);
        var (batch, sink) = NewBatch();

        await collector.CollectAsync(sink, 10_000, TestContext.Current.CancellationToken);

        Assert.Equal(0, counters.CollectErrors);
        var nameA = ("container.name", $"system.slice/docker-{A}.scope");
        Assert.Equal(2.5, Value(batch, MetricNames.ContainerCpuTime, IdA, nameA));
        Assert.Equal(12, Value(batch, MetricNames.ContainerPidsCount, IdA, nameA));
        Assert.DoesNotContain(batch.Samples, s => s.Name == MetricNames.ContainerMemoryUsage && s.Labels.Any(l => l.Value == A));
    }

    [Fact]
    public async Task Collect_ComputesCpuUtilization_AsShareOfHostCpus()
    {
        using var tree = Copy("cgroup-v2");
        using var collector = new CgroupCollector(tree.Path, "/nonexistent/docker.sock", null, () => 4, new AgentCounters());
        await collector.CollectAsync(NewBatch().Sink, 10_000, TestContext.Current.CancellationToken);
        var cpuStat = Path.Join(tree.Path, $"system.slice/docker-{A}.scope/cpu.stat");
        File.WriteAllText(cpuStat, File.ReadAllText(cpuStat).Replace("usage_usec 2500000", "usage_usec 3500000", StringComparison.Ordinal));
        var (batch, sink) = NewBatch();

        await collector.CollectAsync(sink, 12_000, TestContext.Current.CancellationToken);

        // 1 CPU second over 2 wall seconds on a 4-CPU host.
        Assert.Equal(0.125, Value(batch, MetricNames.ContainerCpuUtilization, IdA, ("container.name", $"system.slice/docker-{A}.scope")));
    }

    [Fact]
    public async Task Collect_ReportsExactValues_FromCgroupV1Tree()
    {
        using var tree = Copy("cgroup-v1");
        var counters = new AgentCounters();
        using var collector = new CgroupCollector(tree.Path, "/nonexistent/docker.sock", null, () => 2, counters);
        var (batch, sink) = NewBatch();

        await collector.CollectAsync(sink, 10_000, TestContext.Current.CancellationToken);

        Assert.False(collector.IsV2);
        Assert.Equal(0, counters.CollectErrors);
        var name = ("container.name", $"docker/{A}");
        Assert.Equal(5.0, Value(batch, MetricNames.ContainerCpuTime, IdA, name));                      // cpuacct.usage in ns
        Assert.Equal(3.0, Value(batch, MetricNames.ContainerCpuTime, IdA, name, ("state", "user")));     // 300 USER_HZ ticks
        Assert.Equal(1.5, Value(batch, MetricNames.ContainerCpuTime, IdA, name, ("state", "system")));
        Assert.Equal(50, Value(batch, MetricNames.ContainerCpuThrottlingPeriods, IdA, name));
        Assert.Equal(5, Value(batch, MetricNames.ContainerCpuThrottledPeriods, IdA, name));
        Assert.Equal(0.25, Value(batch, MetricNames.ContainerCpuThrottledTime, IdA, name));
        Assert.Equal(52428800, Value(batch, MetricNames.ContainerMemoryUsage, IdA, name));
        Assert.Equal(52428800 - 10485760, Value(batch, MetricNames.ContainerMemoryWorkingSet, IdA, name)); // total_inactive_file
        Assert.DoesNotContain(batch.Samples, s => s.Name == MetricNames.ContainerMemoryLimit); // 9223372036854771712 = unlimited
        Assert.Equal(4096, Value(batch, MetricNames.ContainerDiskIo, IdA, name, ("direction", "read")));
        Assert.Equal(8192, Value(batch, MetricNames.ContainerDiskIo, IdA, name, ("direction", "write")));
        Assert.Equal(3, Value(batch, MetricNames.ContainerPidsCount, IdA, name));
        Assert.Equal(100, Value(batch, MetricNames.ContainerPidsLimit, IdA, name));
        // process_api/<32 hex> is a cgroup but not a container.
        Assert.Single(batch.Samples, s => s.Name == MetricNames.ContainerMemoryUsage);
    }

    [Fact]
    public async Task Collect_SkipsAndCounts_VanishedContainer()
    {
        using var tree = Copy("cgroup-v2");
        Directory.CreateDirectory(Path.Join(tree.Path, "system.slice", "docker-" + new string('e', 64) + ".scope")); // listed, files gone
        var counters = new AgentCounters();
        using var collector = new CgroupCollector(tree.Path, "/nonexistent/docker.sock", null, () => 4, counters);
        var (batch, sink) = NewBatch();

        await collector.CollectAsync(sink, 10_000, TestContext.Current.CancellationToken);

        Assert.Equal(1, counters.CollectErrors);
        Assert.Equal(2, batch.Samples.Where(s => s.Name == MetricNames.ContainerMemoryUsage).Count());
    }

    [Fact]
    public async Task Collect_NamesContainers_ThroughDockerEngineApi()
    {
        using var tree = Copy("cgroup-v2");
        using var socketDirectory = new TempDirectory("docker-api");
        var socketPath = Path.Join(socketDirectory.Path, "docker.sock");
        var body = $$"""[{"Id":"{{A}}","Names":["/web"],"Image":"nginx"},{"Id":"{{B}}","Names":["/k8s_app_pod"]}]""";
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen();
        var requests = new List<string>();
        var server = Task.Run(async () =>
        {
            using var connection = await listener.AcceptAsync(TestContext.Current.CancellationToken);
            var buffer = new byte[4096];
            var received = 0;
            while (!Encoding.ASCII.GetString(buffer, 0, received).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                received += await connection.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None);
            }

            requests.Add(Encoding.ASCII.GetString(buffer, 0, received));
            var bytes = Encoding.UTF8.GetBytes(body);
            await connection.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"), SocketFlags.None);
            await connection.SendAsync(bytes, SocketFlags.None);
        }, TestContext.Current.CancellationToken);
        using var collector = new CgroupCollector(tree.Path, socketPath, null, () => 4, new AgentCounters());
        var (batch, sink) = NewBatch();

        await collector.CollectAsync(sink, 10_000, TestContext.Current.CancellationToken);
        await server.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.StartsWith("GET /containers/json?all=1 HTTP/1.1", requests.Single(), StringComparison.Ordinal);
        Assert.Equal(104857600, Value(batch, MetricNames.ContainerMemoryUsage, IdA, ("container.name", "web")));
        Assert.Equal(4096, Value(batch, MetricNames.ContainerMemoryUsage, IdB, ("container.name", "k8s_app_pod")));
    }

    [Fact]
    public async Task Collect_RunsOnThisMachinesCgroups_WithoutErrors()
    {
        if (!Directory.Exists("/sys/fs/cgroup"))
        {
            Assert.Skip("no cgroup filesystem here");
        }

        var counters = new AgentCounters();
        using var collector = new CgroupCollector("/sys/fs/cgroup", "/var/run/docker.sock", "/sys", () => Environment.ProcessorCount, counters);

        await collector.CollectAsync(NewBatch().Sink, 10_000, TestContext.Current.CancellationToken);

        Assert.Equal(0, counters.CollectErrors);
    }
}
