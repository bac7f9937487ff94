using System.Diagnostics;
using System.Reflection;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Platform.Agents.Collectors;
using Platform.Agents.Collectors.Containers;
using Platform.Agents.Collectors.Host;
using Platform.Agents.Collectors.Logs;
using Platform.Agents.Collectors.Prometheus;
using Platform.Agents.Health;
using Platform.Agents.Publishing;
using Platform.Agents.Spool;
using Platform.Telemetry;
using Platform.Telemetry.V1;

namespace Platform.Agents;

/// <summary>
/// The host agent: every interval it collects a <see cref="MetricBatch"/> (host, containers, scraped
/// Prometheus samples, its own health) and a <see cref="LogBatch"/> of new log lines, and hands them to
/// the spool and publisher (see <see cref="Publisher"/>) that deliver them to the <c>metrics</c> and
/// <c>logs</c> topics, keyed by host id.
/// </summary>
public sealed class Agent : IAsyncDisposable
{
    /// <summary>Records per log batch at most; a busier tick is split into several batches.</summary>
    internal const int MaxLogRecordsPerBatch = 5000;

    /// <summary>Encoded bytes per log batch at most (one record longer than this goes alone; lines are cut at <see cref="LogTailer.MaxLineBytes"/>).</summary>
    internal const int MaxLogBatchBytes = 512 * 1024;

    /// <summary>After this long the agent hands back its start-up pages a last time (<see cref="StartupPages"/>).</summary>
    private static readonly TimeSpan StartupLength = TimeSpan.FromSeconds(5);

    private readonly AgentOptions _options;
    private readonly ILogger _logger;
    private readonly DiskSpool _spool;
    private readonly Publisher _publisher;
    private readonly List<ICollector> _collectors = [];
    private readonly LogTailer? _tailer;
    private readonly HostPaths _hostPaths;
    private readonly byte[] _key;
    private readonly CancellationTokenSource _stop = new();
    private readonly HealthEndpoint? _health;
    private readonly Label _hostCollectorLabel;
    private Task? _loop;
    private ulong _metricSequence;
    private ulong _logSequence;
    private long _lastInventoryTicks = long.MinValue;
    private long _allocatedAtLastCollect;
    private int _disposed;

    private Agent(AgentOptions options, ILoggerFactory loggerFactory)
    {
        _options = options;
        _logger = loggerFactory.CreateLogger("Platform.Agents");
        HostId = options.HostId ?? ReadHostName(options.ProcRoot);
        RunId = Guid.NewGuid().ToString("N");
        Version = typeof(Agent).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        _key = TelemetryCodec.EncodeKey(HostId);
        _hostPaths = new HostPaths(options.ProcRoot, options.SysRoot, options.RootFs);
        _hostCollectorLabel = LabelCache.Get(LabelNames.Collector, "host");

        _spool = new DiskSpool(Path.Join(options.StateDirectory, "spool"), options.SpoolMaxBytes);
        var transportLogger = loggerFactory.CreateLogger("Platform.Agents.Publishing");
        Func<ITransport> transport = options.Output == AgentOutput.Null
            ? () => new NullTransport()
            : () => new KafkaTransport(options, Counters, transportLogger);
        _publisher = new Publisher(_spool, transport, Counters, transportLogger);

        if (options.CollectHost)
        {
            HostCollector = new HostCollector(_hostPaths, Counters);
            _collectors.Add(HostCollector);
        }

        if (options.CollectContainers && Directory.Exists(options.CgroupRoot))
        {
            _collectors.Add(new CgroupCollector(options.CgroupRoot, options.DockerSocket, () => HostCollector?.CpuCount ?? Environment.ProcessorCount, Counters));
        }

        if (options.ScrapeTargets.Count > 0)
        {
            _collectors.Add(new PrometheusScraper(options.ScrapeTargets, TimeSpan.FromTicks(Math.Min(options.Interval.Ticks, TimeSpan.FromSeconds(10).Ticks)), Counters, _logger));
        }

        if (options.LogPaths.Count > 0)
        {
            _tailer = new LogTailer([.. options.LogPaths], options.StateDirectory, options.LogsFromBeginning, options.MultilineStart, Counters, _logger);
        }

        if (options.MetricsListen is not null)
        {
            _health = new HealthEndpoint(options.MetricsListen, this);
        }
    }

    /// <summary>The record key of this host's batches.</summary>
    public string HostId { get; }

    /// <summary>Identifies this run of the agent; batch sequence numbers start at 1 in each run.</summary>
    public string RunId { get; }

    /// <summary>The agent's version, sent in the host inventory.</summary>
    public string Version { get; }

    /// <summary>The bound endpoint of the health /metrics listener (HOST:PORT), or null when it is off.</summary>
    public string? MetricsEndpoint => _health?.Endpoint;

    internal AgentCounters Counters { get; } = new();

    internal HostCollector? HostCollector { get; }

    internal DiskSpool Spool => _spool;

    internal Publisher Publisher => _publisher;

    /// <summary>The last metric batch sequence number used.</summary>
    internal ulong MetricSequence => Interlocked.Read(ref _metricSequence);

    /// <summary>Validates the options, opens the spool (replaying what an earlier run left), and starts collecting.</summary>
    /// <exception cref="AgentConfigurationException">The options are invalid; the message lists every problem.</exception>
    public static Task<Agent> StartAsync(AgentOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        cancellationToken.ThrowIfCancellationRequested();
        options.Validate();
        var agent = new Agent(options, loggerFactory);
        agent._health?.Start();
        agent._publisher.Start();
        agent._loop = Task.Run(() => agent.RunAsync(agent._stop.Token), CancellationToken.None);
        Log.Started(agent._logger, agent.Version, agent.HostId, options.Interval.TotalMilliseconds,
            options.Output == AgentOutput.Null ? "null" : "kafka", options.Bootstrap, options.StateDirectory);
        if (agent._health is not null)
        {
            Log.MetricsListening(agent._logger, agent._health.Endpoint);
        }

        return Task.FromResult(agent);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.Interval);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var releases = 0;
            do
            {
                await TickAsync(cancellationToken);
                KeepHeapSmall();

                // Start-up ends with the first tick and with the first deliveries (a few seconds in).
                if (releases == 0 || (releases == 1 && Stopwatch.GetElapsedTime(started) >= StartupLength))
                {
                    releases++;
                    StartupPages.Release();
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// The agent allocates a little every tick and nothing else would trigger a collection for minutes (the
    /// GC's first budget is sized for busy servers), so the resident size would creep up to that budget. A
    /// young-generation collection once a few MiB were allocated keeps the footprint flat; on this heap it
    /// costs well under a millisecond.
    /// </summary>
    private void KeepHeapSmall()
    {
        var allocated = GC.GetTotalAllocatedBytes();
        if (allocated - _allocatedAtLastCollect > 2 * 1024 * 1024)
        {
            _allocatedAtLastCollect = allocated;
            GC.Collect(1, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
    }

    /// <summary>One collection: a metrics batch and, when there are new lines, log batches.</summary>
    internal async Task TickAsync(CancellationToken cancellationToken)
    {
        Counters.Tick();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var batch = new MetricBatch
        {
            SchemaVersion = Topics.SchemaVersion,
            HostId = HostId,
            TimestampUnixMs = now,
            Sequence = Interlocked.Increment(ref _metricSequence),
            AgentRunId = RunId,
        };

        var nowTicks = Stopwatch.GetTimestamp();
        if (_lastInventoryTicks == long.MinValue || Stopwatch.GetElapsedTime(_lastInventoryTicks, nowTicks) >= _options.InventoryInterval)
        {
            batch.Host = HostInventory.Read(_hostPaths, Version, _options.Labels, _options.Interval);
            if (_options.HostId is not null && batch.Host.HostName.Length == 0)
            {
                batch.Host.HostName = HostId;
            }

            _lastInventoryTicks = nowTicks;
        }

        var sink = new SampleSink(batch);
        foreach (var collector in _collectors)
        {
            try
            {
                await collector.CollectAsync(sink, now, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A collector bug must not stop the agent: count it, log it, go on with the others.
                Counters.CollectError();
                Log.CollectorFailed(_logger, collector.Name, e.Message);
            }
        }

        sink.Counter(MetricNames.AgentCollectErrors, "{error}", Counters.CollectErrors, _hostCollectorLabel);
        sink.Counter(MetricNames.AgentSpoolDropped, "{record}", Counters.SpoolDropped);
        sink.Gauge(MetricNames.AgentSpoolBytes, "By", Counters.SpoolBytes);
        _publisher.Enqueue(new OutgoingRecord(SpoolTopic.Metrics, _key, batch.ToByteArray()));

        if (_tailer is not null)
        {
            var (records, checkpoint) = _tailer.Poll(now);
            var start = 0;
            while (start < records.Count)
            {
                // Cut batches by count and encoded size, well under the 1 MB record limit of Kafka and the broker.
                var end = start;
                var size = 0;
                while (end < records.Count && end - start < MaxLogRecordsPerBatch && (end == start || size + records[end].CalculateSize() <= MaxLogBatchBytes))
                {
                    size += records[end].CalculateSize() + 4;
                    end++;
                }

                var logs = new LogBatch
                {
                    SchemaVersion = Topics.SchemaVersion,
                    HostId = HostId,
                    TimestampUnixMs = now,
                    Sequence = Interlocked.Increment(ref _logSequence),
                    AgentRunId = RunId,
                };
                for (var i = start; i < end; i++)
                {
                    logs.Records.Add(records[i]);
                }

                var last = end == records.Count;
                _publisher.Enqueue(new OutgoingRecord(SpoolTopic.Logs, _key, logs.ToByteArray(), last ? checkpoint.Save : null));
                start = end;
            }
        }
    }

    /// <summary>Stops collecting, spools what was collected, and gives the publisher a few seconds to deliver it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        // Give deliveries a few seconds when the broker is there; when it is not, the spool keeps the rest for the next run.
        var flush = _options.Output == AgentOutput.Null ? TimeSpan.Zero : Counters.BrokerReachable ? TimeSpan.FromSeconds(5) : TimeSpan.FromMilliseconds(500);
        await _publisher.StopAsync(flush);
        await _publisher.DisposeAsync();
        Log.Stopped(_logger, Counters.Ticks, Counters.BatchesPublished, _spool.PendingRecords);
        _spool.Dispose();
        _tailer?.Dispose();
        foreach (var collector in _collectors)
        {
            (collector as IDisposable)?.Dispose();
        }

        if (_health is not null)
        {
            await _health.DisposeAsync();
        }

        _stop.Dispose();
    }

    private static string ReadHostName(string procRoot)
    {
        try
        {
            var name = File.ReadAllText(Path.Join(procRoot, "sys/kernel/hostname")).Trim();
            if (name.Length > 0)
            {
                return name;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return Environment.MachineName;
    }
}
