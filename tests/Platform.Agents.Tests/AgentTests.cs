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
            DockerSocket = "",
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
    public async Task Tick_StoppedBeforeItsBatchIsQueued_TakesNoSequenceNumber()
    {
        // A stop that lands between a batch's sequence number and the queue made a gap the consumers count as a lost
        // batch (seen once in a full test run: the first run's last batch never reached the next run).
        var options = DryRun();
        options.Interval = TimeSpan.FromSeconds(30);
        await using var agent = await Agent.StartAsync(options, NullLoggerFactory.Instance, TestContext.Current.CancellationToken);
        await Poll.UntilAsync(() => agent.Counters.BatchesPublished >= 1, TimeSpan.FromSeconds(30), "the first tick's batch", TestContext.Current.CancellationToken);
        var before = agent.MetricSequence;

        using var stopped = new CancellationTokenSource();
        await stopped.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => agent.TickAsync(stopped.Token));
        Assert.Equal(before, agent.MetricSequence);
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

    [Fact]
    public async Task Ticks_GoOn_WhenTheMultilinePatternTimesOutOnLongLines()
    {
        var log = Path.Join(_dir.Path, "slow.log");
        File.WriteAllText(log, new string('a', 5000) + "!\n" + new string('a', 5000) + "!\n");
        var options = DryRun(log);
        options.MultilineStart = "^(a+)+$";
        await using var agent = await Agent.StartAsync(options, NullLoggerFactory.Instance, TestContext.Current.CancellationToken);

        await Poll.UntilAsync(() => agent.Counters.CollectErrorsOf(Health.CollectorKind.Logs) >= 1, TimeSpan.FromSeconds(30), "the timeout counted", TestContext.Current.CancellationToken);
        var ticks = agent.Counters.Ticks;
        File.AppendAllText(log, new string('a', 5000) + "!\n");
        await Poll.UntilAsync(() => agent.Counters.Ticks >= ticks + 5 && agent.Counters.LogLines >= 1, TimeSpan.FromSeconds(30), "ticks after the timeouts", TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task CollectErrors_AreSentPerCollector()
    {
        var options = DryRun();
        options.ScrapeTargets.Add("http://127.0.0.1:1/metrics"); // nothing listens on port 1
        options.Interval = TimeSpan.FromSeconds(30);
        await using var agent = await Agent.StartAsync(options, NullLoggerFactory.Instance, TestContext.Current.CancellationToken);

        await Poll.UntilAsync(() => agent.Counters.BatchesPublished >= 1, TimeSpan.FromSeconds(30), "first batch", TestContext.Current.CancellationToken);
        var batch = TelemetryCodec.DecodeMetricBatch(((NullTransport)agent.Publisher.Transport).LastMetrics.Value);

        var errors = batch.Samples.Where(s => s.Name == MetricNames.AgentCollectErrors)
            .ToDictionary(s => s.Labels.Single(l => l.Name == LabelNames.Collector).Value, s => s.Value);
        Assert.Equal(["agent", "containers", "host", "logs", "scrape"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1, errors["scrape"]);
        Assert.Equal(0, errors["host"]);
    }

    [Fact]
    public void SplitMetricBatch_CutsALargeBatch_UnderTheBound_InOrder_InventoryFirst()
    {
        var batch = new MetricBatch { SchemaVersion = 1, HostId = "h", TimestampUnixMs = 5, AgentRunId = "run", Host = new HostInfo { HostName = "h" } };
        for (var i = 0; i < 20_000; i++)
        {
            batch.Samples.Add(new Sample { Name = "scraped_metric_" + i, Value = i, Labels = { new Label { Name = "instance", Value = "127.0.0.1:9100" } } });
        }

        var parts = Agent.SplitMetricBatch(batch, 64 * 1024);

        Assert.True(parts.Count > 10);
        Assert.All(parts, p => Assert.True(p.CalculateSize() <= 64 * 1024 + 10, $"part of {p.CalculateSize()} bytes"));
        Assert.Equal("h", parts[0].Host.HostName);
        Assert.All(parts.Skip(1), p => Assert.Null(p.Host));
        Assert.All(parts, p => Assert.Equal((5L, "run", "h"), (p.TimestampUnixMs, p.AgentRunId, p.HostId)));
        Assert.Equal(Enumerable.Range(0, 20_000).Select(i => (double)i), parts.SelectMany(p => p.Samples).Select(s => s.Value));
        Assert.Same(batch, Assert.Single(Agent.SplitMetricBatch(batch, 10 * 1024 * 1024)));
    }

    [Fact]
    public async Task StartAsync_ReportsAMetricsPortInUse_AsAConfigurationError()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var options = DryRun();
        options.MetricsListen = $"127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}";

        var e = await Assert.ThrowsAsync<AgentConfigurationException>(() => Agent.StartAsync(options, NullLoggerFactory.Instance, TestContext.Current.CancellationToken));

        Assert.StartsWith($"metrics_listen: cannot listen on {options.MetricsListen}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ReportsASpoolThatCannotBeOpened_AsAConfigurationError()
    {
        var options = DryRun();
        options.MetricsListen = null;
        Directory.CreateDirectory(options.StateDirectory);
        File.WriteAllText(Path.Join(options.StateDirectory, "spool"), "a file where the spool directory goes");

        var e = await Assert.ThrowsAsync<AgentConfigurationException>(() => Agent.StartAsync(options, NullLoggerFactory.Instance, TestContext.Current.CancellationToken));

        Assert.StartsWith("state_dir: the spool", e.Message, StringComparison.Ordinal);
    }
}
