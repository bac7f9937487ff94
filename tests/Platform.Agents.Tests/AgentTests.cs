using Microsoft.Extensions.Logging.Abstractions;
using Platform.Agents.Publishing;
using Platform.Telemetry;
using Platform.Telemetry.V1;
using Platform.TestKit;

namespace Platform.Agents.Tests;

public sealed class AgentTests : IDisposable
{
    private readonly TempDirectory _dir = new("agent");
    private readonly TempDirectory _host = FixtureTree.Copy("host");
    private readonly TempDirectory _cgroup = FixtureTree.Copy("cgroup-v1");

    public void Dispose()
    {
        _dir.Dispose();
        _host.Dispose();
        _cgroup.Dispose();
    }

    private AgentOptions DryRun(string? log = null)
    {
        var options = new AgentOptions
        {
            Output = AgentOutput.Null,
            Interval = TimeSpan.FromMilliseconds(100),
            HostId = "host-1",
            StateDirectory = Path.Join(_dir.Path, "state"),
            ProcRoot = Path.Join(_host.Path, "proc"),
            SysRoot = Path.Join(_host.Path, "sys"),
            RootFs = _host.Path,
            CgroupRoot = _cgroup.Path,
            DockerSocket = Path.Join(_dir.Path, "no-docker.sock"),
            MetricsListen = "127.0.0.1:0",
            LogsFromBeginning = true,
        };
        options.Labels["env"] = "test";
        if (log is not null)
        {
            options.LogPaths.Add(log);
        }

        return options;
    }

    [Fact]
    public async Task DryRun_CollectsEncodesAndSpools_EveryTick()
    {
        var log = Path.Join(_dir.Path, "app.log");
        File.WriteAllText(log, "2026-11-25T10:00:00Z ERROR first\n");
        await using var agent = await Agent.StartAsync(DryRun(log), NullLoggerFactory.Instance, TestContext.Current.CancellationToken);

        await Poll.UntilAsync(() => agent.Counters.BatchesPublished >= 4, TimeSpan.FromSeconds(30), "4 batches through the null output", TestContext.Current.CancellationToken);
        var transport = (NullTransport)agent.Publisher.Transport;
        var metrics = TelemetryCodec.DecodeMetricBatch(transport.LastMetrics.Value);
        var logs = TelemetryCodec.DecodeLogBatch(transport.LastLogs.Value);

        Assert.Equal("host-1", System.Text.Encoding.UTF8.GetString(transport.LastMetrics.Key));
        Assert.Equal(Topics.SchemaVersion, metrics.SchemaVersion);
        Assert.Equal("host-1", metrics.HostId);
        Assert.Equal(agent.RunId, metrics.AgentRunId);
        Assert.True(metrics.Sequence >= 2);
        Assert.Null(metrics.Host); // the inventory rides only the first batch (and then once a minute)
        Assert.Contains(metrics.Samples, s => s.Name == MetricNames.LoadAverage1m && s.Value == 0.28);
        Assert.Contains(metrics.Samples, s => s.Name == MetricNames.ContainerMemoryUsage && s.Value == 52428800);
        var record = Assert.Single(logs.Records);
        Assert.Equal(("2026-11-25T10:00:00Z ERROR first", Severity.Error, log), (record.Message, record.Severity, record.Source));
        Assert.Equal(1UL, logs.Sequence);
        Assert.Equal(0, agent.Counters.CollectErrors);
    }

    [Fact]
    public async Task LogBurst_IsCutIntoBatchesUnderTheSizeBound()
    {
        var log = Path.Join(_dir.Path, "burst.log");
        var line = new string('x', 400);
        File.WriteAllText(log, string.Concat(Enumerable.Repeat(line + "\n", 3000))); // 1.2 MB in one tick
        var options = DryRun(log);
        options.Interval = TimeSpan.FromSeconds(30);
        await using var agent = await Agent.StartAsync(options, NullLoggerFactory.Instance, TestContext.Current.CancellationToken);

        await Poll.UntilAsync(() => agent.Counters.BatchesPublished >= 4, TimeSpan.FromSeconds(30), "metrics batch and three log batches", TestContext.Current.CancellationToken);
        var transport = (NullTransport)agent.Publisher.Transport;

        Assert.Equal(3000, agent.Counters.LogLines);
        Assert.Equal(4, agent.Counters.BatchesPublished); // 1 metrics + 3 log batches of at most 512 KiB
        Assert.True(transport.LastLogs.Value.Length <= Agent.MaxLogBatchBytes + 1024);
        Assert.Equal(3UL, TelemetryCodec.DecodeLogBatch(transport.LastLogs.Value).Sequence);
    }

    [Fact]
    public async Task FirstBatch_CarriesHostInventory()
    {
        var options = DryRun();
        options.Interval = TimeSpan.FromSeconds(30); // only the immediate first tick
        await using var agent = await Agent.StartAsync(options, NullLoggerFactory.Instance, TestContext.Current.CancellationToken);

        await Poll.UntilAsync(() => agent.Counters.BatchesPublished >= 1, TimeSpan.FromSeconds(30), "first batch", TestContext.Current.CancellationToken);
        var first = TelemetryCodec.DecodeMetricBatch(((NullTransport)agent.Publisher.Transport).LastMetrics.Value);

        Assert.Equal(1UL, first.Sequence);
        Assert.Equal("fixture-host", first.Host.HostName);
        Assert.Equal("Debian GNU/Linux 13 (trixie)", first.Host.Os);
        Assert.Equal(30_000, first.Host.IntervalMs);
        Assert.Equal(agent.Version, first.Host.AgentVersion);
        Assert.Equal(["env=test"], first.Host.Labels.Select(l => $"{l.Name}={l.Value}"));
    }

    [Fact]
    public async Task HealthEndpoint_ServesPrometheusText()
    {
        await using var agent = await Agent.StartAsync(DryRun(), NullLoggerFactory.Instance, TestContext.Current.CancellationToken);
        await Poll.UntilAsync(() => agent.Counters.Ticks >= 2, TimeSpan.FromSeconds(30), "two ticks", TestContext.Current.CancellationToken);
        using var http = new HttpClient();

        var text = await http.GetStringAsync(new Uri($"http://{agent.MetricsEndpoint}/metrics"), TestContext.Current.CancellationToken);
        var health = await http.GetAsync(new Uri($"http://{agent.MetricsEndpoint}/health"), TestContext.Current.CancellationToken);

        Assert.Contains("# TYPE platform_agent_ticks_total counter", text, StringComparison.Ordinal);
        Assert.Contains("platform_agent_spool_dropped_records_total 0", text, StringComparison.Ordinal);
        Assert.Contains("process_resident_memory_bytes ", text, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task StartAsync_RejectsBadOptions_BeforeStartingAnything()
    {
        var options = DryRun();
        options.Output = AgentOutput.Kafka;
        options.Bootstrap = "";

        var e = await Assert.ThrowsAsync<AgentConfigurationException>(() => Agent.StartAsync(options, NullLoggerFactory.Instance, TestContext.Current.CancellationToken));

        Assert.Contains("bootstrap: required", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Join(options.StateDirectory, "spool")));
    }
}
