using System.Diagnostics;
using System.Net.Sockets;
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
/// Prometheus samples, its own health; split into several when it would pass <see cref="MaxMetricBatchBytes"/>)
/// and <see cref="LogBatch"/>es of new log lines, and hands them to
/// the spool and publisher (see <see cref="Publisher"/>) that deliver them to the <c>metrics</c> and
/// <c>logs</c> topics, keyed by host id.
/// </summary>
public sealed class Agent : IAsyncDisposable
{
    /// <summary>Records per log batch at most; a busier tick is split into several batches.</summary>
    internal const int MaxLogRecordsPerBatch = 5000;

    /// <summary>Encoded bytes per log batch at most (one record longer than this goes alone; lines are cut at <see cref="LogTailer.MaxLineBytes"/>).</summary>
    internal const int MaxLogBatchBytes = 512 * 1024;

    /// <summary>Encoded bytes per metrics batch at most; a larger tick (many scraped samples) is split into several batches.</summary>
    internal const int MaxMetricBatchBytes = 512 * 1024;

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
    private readonly Label[] _collectorLabels = new Label[CollectorKinds.Count];
    private readonly long[] _lastFailureLogged = new long[CollectorKinds.Count];
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

        for (var i = 0; i < CollectorKinds.Count; i++)
        {
            _collectorLabels[i] = LabelCache.Get(LabelNames.Collector, CollectorKinds.Label((CollectorKind)i));
        }

        // What can fail at start for reasons outside the options (a port in use, a spool that cannot be
        // opened) fails first, as a configuration error with a clear message.
        if (options.MetricsListen is not null)
        {
            try
            {
                _health = new HealthEndpoint(options.MetricsListen, this);
            }
            catch (Exception e) when (e is SocketException or IOException or ArgumentException)
            {
                throw new AgentConfigurationException($"metrics_listen: cannot listen on {options.MetricsListen}: {e.Message}", e);
            }
        }

        var spoolDirectory = Path.Join(options.StateDirectory, "spool");
        try
        {
            _spool = new DiskSpool(spoolDirectory, options.SpoolMaxBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _health?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw new AgentConfigurationException($"state_dir: the spool '{spoolDirectory}' cannot be opened: {e.Message}", e);
        }

        var transportLogger = loggerFactory.CreateLogger("Platform.Agents.Publishing");
        Func<ITransport> transport = options.Output == AgentOutput.Null
            ? () => new NullTransport()
            : () => new KafkaTransport(options, Counters, transportLogger);
        _publisher = new Publisher(_spool, transport, Counters, transportLogger);

        if (options.CollectHost)
        {
            HostCollector = new HostCollector(_hostPaths, Counters, statFs: null, options.NetworkFilesystems);
            _collectors.Add(HostCollector);
        }

        if (options.CollectContainers && Directory.Exists(options.CgroupRoot))
        {
            _collectors.Add(new CgroupCollector(options.CgroupRoot, options.DockerSocket, options.SysRoot, () => HostCollector?.CpuCount ?? Environment.ProcessorCount, Counters));
        }

        if (options.ScrapeTargets.Count > 0)
        {
            _collectors.Add(new PrometheusScraper(options.ScrapeTargets, TimeSpan.FromTicks(Math.Min(options.Interval.Ticks, TimeSpan.FromSeconds(10).Ticks)), Counters, _logger));
        }

        if (options.LogPaths.Count > 0)
        {
            _tailer = new LogTailer([.. options.LogPaths], options.StateDirectory, options.LogsFromBeginning, options.MultilineStart, Counters, _logger);
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
        foreach (var warning in OptionsValidator.Warnings(options))
        {
            Log.ConfigurationWarning(agent._logger, warning);
        }

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
                try
                {
                    await TickAsync(cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // Whatever went wrong, the next tick runs: count it and log it (at most once a minute).
                    CollectFailed(CollectorKind.Agent, "tick", e);
                }

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

    /// <summary>One collection: metrics batches (one, or several when large) and, when there are new lines, log batches.</summary>
    internal async Task TickAsync(CancellationToken cancellationToken)
    {
        Counters.Tick();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var batch = new MetricBatch
        {
            SchemaVersion = Topics.SchemaVersion,
            HostId = HostId,
            TimestampUnixMs = now,
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
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A collector bug must not stop the agent: count it, log it, go on with the others.
                CollectFailed(collector.Kind, collector.Name, e);
            }
        }

        // Log lines are read before the health samples so that this tick's log errors are in them.
        List<LogRecord>? records = null;
        LogTailer.Checkpoint? checkpoint = null;
        if (_tailer is not null)
        {
            try
            {
                (records, checkpoint) = _tailer.Poll(now);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                CollectFailed(CollectorKind.Logs, "logs", e);
            }
        }

        for (var i = 0; i < CollectorKinds.Count; i++)
        {
            sink.Counter(MetricNames.AgentCollectErrors, "{error}", Counters.CollectErrorsOf((CollectorKind)i), _collectorLabels[i]);
        }

        sink.Counter(MetricNames.AgentSpoolDropped, "{record}", Counters.SpoolDropped);
        sink.Counter(MetricNames.AgentSpoolErrors, "{error}", Counters.SpoolErrors);
        sink.Gauge(MetricNames.AgentSpoolBytes, "By", Counters.SpoolBytes);

        // A stop from here on still queues the whole tick: a batch that has taken a sequence number must reach the
        // spool (a stop between the number and the queue left a gap that looked like a lost batch, and a log batch cut
        // in parts could go half, its lines sent again by the next run). The publisher drains the queue until the
        // loop has ended, so the wait for a slot ends.
        cancellationToken.ThrowIfCancellationRequested();

        // Cut by encoded size, well under the 1 MB record limit of Kafka and the broker; the first part carries
        // the inventory and the host's samples (collected first), every part its own sequence number.
        foreach (var part in SplitMetricBatch(batch, MaxMetricBatchBytes))
        {
            part.Sequence = Interlocked.Increment(ref _metricSequence);
            await _publisher.EnqueueAsync(new OutgoingRecord(SpoolTopic.Metrics, _key, part.ToByteArray()), CancellationToken.None);
        }

        if (records is null || checkpoint is null)
        {
            return;
        }

        var start = 0;
        while (start < records.Count)
        {
            // Cut batches by count and encoded size, well under the 1 MB record limit of Kafka and the broker.
            var end = start;
            var size = 0;
            while (end < records.Count && end - start < MaxLogRecordsPerBatch)
            {
                var recordSize = records[end].CalculateSize(); // once per record: it walks the whole message
                if (end > start && size + recordSize > MaxLogBatchBytes)
                {
                    break;
                }

                size += recordSize + 4;
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
            await _publisher.EnqueueAsync(new OutgoingRecord(SpoolTopic.Logs, _key, logs.ToByteArray(), last ? checkpoint.Save : null), CancellationToken.None);
            start = end;
        }
    }

    /// <summary>
    /// The batch itself when it encodes to at most <paramref name="maxBytes"/>; else parts of at most that size
    /// (a single sample larger goes alone), in sample order, the first with the inventory. Sequence numbers are
    /// the caller's.
    /// </summary>
    internal static List<MetricBatch> SplitMetricBatch(MetricBatch batch, int maxBytes)
    {
        if (batch.CalculateSize() <= maxBytes)
        {
            return [batch];
        }

        var parts = new List<MetricBatch>();
        MetricBatch? current = null;
        var size = 0;
        foreach (var sample in batch.Samples)
        {
            // A repeated field costs its tag, its length varint (at most 5 bytes) and the sample.
            var sampleSize = sample.CalculateSize() + 6;
            if (current is null || (current.Samples.Count > 0 && size + sampleSize > maxBytes))
            {
                current = new MetricBatch
                {
                    SchemaVersion = batch.SchemaVersion,
                    HostId = batch.HostId,
                    TimestampUnixMs = batch.TimestampUnixMs,
                    AgentRunId = batch.AgentRunId,
                    Sequence = ulong.MaxValue, // the largest the caller can set: the size check stays an upper bound
                };
                if (parts.Count == 0 && batch.Host is not null)
                {
                    current.Host = batch.Host;
                }

                parts.Add(current);
                size = current.CalculateSize();
            }

            current.Samples.Add(sample);
            size += sampleSize;
        }

        return parts;
    }

    private void CollectFailed(CollectorKind kind, string name, Exception e)
    {
        Counters.CollectError(kind);
        var now = Environment.TickCount64;
        ref var last = ref _lastFailureLogged[(int)kind];
        if (last == 0 || now - last >= 60_000)
        {
            last = now;
            Log.CollectorFailed(_logger, name, $"{e.GetType().Name}: {e.Message}");
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
