using System.Collections.Concurrent;
using Google.Protobuf;
using Platform.Telemetry.Alerts;
using Platform.Telemetry.Decoding;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Services;

/// <summary>
/// The live fleet held in memory: one <see cref="HostState"/> per host fed by the metrics consumer, the
/// alert book fed by the alerts consumer, and the state of the feed itself. A plain class: tests fill it
/// by applying batches.
/// </summary>
public sealed class FleetModel
{
    private readonly ConcurrentDictionary<string, HostState> _hosts = new(StringComparer.Ordinal);
    private readonly DashboardOptions _options;
    private readonly TimeProvider _time;

    // For batches applied as generated objects (tests and tools) rather than by an ingest thread.
    private readonly Lock _directLock = new();
    private readonly SeriesCatalog _directCatalog = new();
    private long _records;
    private long _rejected;
    private long _duplicates;
    private long _lastRecordUnixMs;

    public FleetModel(DashboardOptions options, TimeProvider time, AlertBook alerts)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(alerts);
        options.Validate();
        _options = options;
        _time = time;
        Alerts = alerts;
    }

    public DashboardOptions Options => _options;

    public TimeProvider Time => _time;

    public AlertBook Alerts { get; }

    public ICollection<HostState> Hosts => _hosts.Values;

    public int HostCount => _hosts.Count;

    /// <summary>Records applied since start.</summary>
    public long Records => Interlocked.Read(ref _records);

    /// <summary>Records dropped as repeats of a batch already applied (see <see cref="HostState.DuplicateBatches"/>).</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Records that could not be read (not a metric batch, bad schema).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>When the consumer last received a record (this machine's clock), or null before the first.</summary>
    public DateTimeOffset? LastRecordAt
    {
        get
        {
            var ms = Interlocked.Read(ref _lastRecordUnixMs);
            return ms == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }
    }

    /// <summary>Whether the consumer is connected to the broker (it has its partitions assigned).</summary>
    public bool FeedConnected { get; set; }

    /// <summary>The last error the consumer met, or null.</summary>
    public string? FeedError { get; set; }

    public long NowUnixMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public HostState? Find(string hostId) => _hosts.TryGetValue(hostId, out var host) ? host : null;

    /// <summary>
    /// Applies one generated batch (tests and tools): encoded and decoded again through the model's own catalog, so
    /// it is read exactly as the live ingest reads a record.
    /// </summary>
    /// <exception cref="InvalidDataException">The batch cannot be read.</exception>
    public HostState Apply(MetricBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var bytes = batch.ToByteArray();
        lock (_directLock)
        {
            return Apply(_directCatalog.Decode(bytes), _directCatalog);
        }
    }

    /// <summary>Applies one batch decoded by <paramref name="catalog"/>; called on the thread that owns the catalog.</summary>
    /// <exception cref="InvalidDataException">The batch cannot be read.</exception>
    public HostState Apply(DecodedMetricBatch batch, SeriesCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(catalog);
        var now = NowUnixMs;
        Interlocked.Exchange(ref _lastRecordUnixMs, now);
        if (batch.HostId.Length == 0)
        {
            Interlocked.Increment(ref _rejected);
            throw new InvalidDataException("metric batch without a host id");
        }

        var host = _hosts.TryGetValue(batch.HostId, out var known)
            ? known
            : _hosts.GetOrAdd(batch.HostId, static (id, options) => new HostState(id, options), _options);
        bool applied;
        try
        {
            applied = host.Apply(batch, catalog, now);
        }
        catch (InvalidDataException)
        {
            Interlocked.Increment(ref _rejected);
            throw;
        }

        if (applied)
        {
            Interlocked.Increment(ref _records);
        }
        else
        {
            Interlocked.Increment(ref _duplicates);
            DashboardMetrics.DuplicateMetricBatches.Inc();
        }

        return host;
    }

    /// <summary>Counts a record the consumer could not decode.</summary>
    public void CountRejected()
    {
        Interlocked.Exchange(ref _lastRecordUnixMs, NowUnixMs);
        Interlocked.Increment(ref _rejected);
    }

    /// <summary>The state a host is shown in now.</summary>
    public HostHealth HealthOf(HostState host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var silentAfter = Math.Max(host.Interval.TotalMilliseconds * _options.SilentAfterIntervals, 3000);
        if (NowUnixMs - host.LastSeenUnixMs > silentAfter)
        {
            return HostHealth.Silent;
        }

        if (Alerts.HasRules)
        {
            return Alerts.WorstFiring(host.HostId) switch
            {
                AlertSeverity.Critical => HostHealth.Critical,
                AlertSeverity.Warning => HostHealth.Warning,
                _ => HostHealth.Ok,
            };
        }

        // No rules known (alerting not running): judge from the key numbers alone.
        var n = host.Numbers;
        var worst = Math.Max(n.Cpu ?? 0, Math.Max(n.Memory ?? 0, n.Filesystem ?? 0));
        return worst >= 0.95 ? HostHealth.Critical : worst >= 0.85 ? HostHealth.Warning : HostHealth.Ok;
    }

    public FleetCounts Counts()
    {
        int ok = 0, warning = 0, critical = 0, silent = 0;
        foreach (var host in _hosts.Values)
        {
            switch (HealthOf(host))
            {
                case HostHealth.Ok: ok++; break;
                case HostHealth.Warning: warning++; break;
                case HostHealth.Critical: critical++; break;
                default: silent++; break;
            }
        }

        return new FleetCounts(ok, warning, critical, silent);
    }

    /// <summary>Every label name=value pair on any host, for the label filter.</summary>
    public IReadOnlyList<string> LabelChoices() =>
        _hosts.Values.SelectMany(h => h.Labels.Select(l => $"{l.Key}={l.Value}")).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>Every container on every host that is not silent.</summary>
    public IReadOnlyList<ContainerStats> Containers() =>
        _hosts.Values.Where(h => HealthOf(h) != HostHealth.Silent).SelectMany(h => h.Containers).ToList();

    /// <summary>Frees the hosts silent for longer than <see cref="DashboardOptions.ForgetAfter"/>; returns how many.</summary>
    public int ForgetLongSilent()
    {
        var horizon = NowUnixMs - (long)_options.ForgetAfter.TotalMilliseconds;
        var forgotten = 0;
        foreach (var host in _hosts.Values)
        {
            if (host.LastSeenUnixMs < horizon && _hosts.TryRemove(host.HostId, out _))
            {
                forgotten++;
            }
        }

        return forgotten;
    }
}
