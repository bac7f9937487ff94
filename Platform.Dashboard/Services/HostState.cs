using System.Collections.Concurrent;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Services;

/// <summary>
/// What the dashboard knows of one host: its inventory, when it was last heard from, its key numbers,
/// containers and a bounded ring of recent points per series. Written by the consumer only; read by
/// anyone (pages, the live push) without blocking the writer for long.
/// </summary>
public sealed class HostState
{
    private readonly ConcurrentDictionary<string, SeriesEntry> _series = new(StringComparer.Ordinal);
    private readonly CounterRates _rates = new();
    private readonly SeriesKeyCache _keys;

    // The writer's own index of the series by key object: the key cache hands out the same object for the same
    // series, so a lookup costs a reference hash, not a hash of the series text.
    private readonly Dictionary<SeriesKey, SeriesEntry> _byKey = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _applyLock = new();
    private readonly DashboardOptions _options;
    private IReadOnlyDictionary<string, ContainerStats> _containers = new Dictionary<string, ContainerStats>();
    private long _lastSeenUnixMs;
    private long _version;

    internal HostState(string hostId, DashboardOptions options)
    {
        HostId = hostId;
        _options = options;
        _keys = new SeriesKeyCache(options.MaxSeriesPerHost * 2);
    }

    public string HostId { get; }

    /// <summary>The newest inventory the host sent, or null before its first one.</summary>
    public HostInfo? Info { get; private set; }

    public string DisplayName => string.IsNullOrEmpty(Info?.HostName) ? HostId : Info.HostName;

    /// <summary>The host's labels (from its inventory).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; private set; } = new Dictionary<string, string>();

    /// <summary>The time of the newest batch (the host's clock), milliseconds since the Unix epoch.</summary>
    public long LastSeenUnixMs => Interlocked.Read(ref _lastSeenUnixMs);

    /// <summary>Grows with every batch applied; the live push sends a host only when it changed.</summary>
    public long Version => Interlocked.Read(ref _version);

    public KeyNumbers Numbers { get; private set; } = KeyNumbers.None;

    /// <summary>The host's collection interval (from its inventory, else the configured default).</summary>
    public TimeSpan Interval => Info is { IntervalMs: > 0 } info ? TimeSpan.FromMilliseconds(info.IntervalMs) : _options.DefaultInterval;

    public IReadOnlyCollection<ContainerStats> Containers => (IReadOnlyCollection<ContainerStats>)_containers.Values;

    public long Batches { get; private set; }

    /// <summary>Batches that a sequence gap says were lost on the way (per agent run).</summary>
    public long MissedBatches { get; private set; }

    /// <summary>Series not kept because the host has <see cref="DashboardOptions.MaxSeriesPerHost"/> already.</summary>
    public long DroppedSeries { get; private set; }

    public string? AgentRunId { get; private set; }

    private ulong LastSequence { get; set; }

    public int SeriesCount => _series.Count;

    /// <summary>The ring of one series by its id (<see cref="SeriesKey.Id"/>), or null.</summary>
    public SeriesRing? Ring(string seriesId) => _series.TryGetValue(seriesId, out var entry) ? entry.Ring : null;

    /// <summary>Every series of the host whose name is <paramref name="name"/>.</summary>
    public IReadOnlyList<SeriesView> SeriesNamed(string name) =>
        _series.Values.Where(s => s.Key.Name == name).Select(s => new SeriesView(s.Key, s.Unit, s.Ring)).OrderBy(s => s.Key.Id, StringComparer.Ordinal).ToList();

    /// <summary>Every series of the host.</summary>
    public IReadOnlyList<SeriesView> AllSeries() =>
        _series.Values.Select(s => new SeriesView(s.Key, s.Unit, s.Ring)).OrderBy(s => s.Key.Id, StringComparer.Ordinal).ToList();

    internal void Apply(MetricBatch batch, long receivedUnixMs)
    {
        // One writer at a time: batches of one host normally come from one ingest thread, in order.
        lock (_applyLock)
        {
            ApplyLocked(batch, receivedUnixMs);
        }
    }

    private void ApplyLocked(MetricBatch batch, long receivedUnixMs)
    {
        if (batch.Host is { } info)
        {
            Info = info.Clone();
            Labels = info.Labels.GroupBy(l => l.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        }

        if (AgentRunId == batch.AgentRunId && batch.Sequence > LastSequence + 1 && LastSequence != 0)
        {
            MissedBatches += (long)(batch.Sequence - LastSequence - 1);
        }

        AgentRunId = batch.AgentRunId;
        LastSequence = batch.Sequence;

        var result = BatchInterpreter.Interpret(batch, _rates, receivedUnixMs, _keys);
        foreach (var sample in result.Samples)
        {
            if (!_byKey.TryGetValue(sample.Key, out var entry))
            {
                if (!_series.TryGetValue(sample.Key.Id, out entry))
                {
                    if (_series.Count >= _options.MaxSeriesPerHost)
                    {
                        DroppedSeries++;
                        continue;
                    }

                    entry = new SeriesEntry(sample.Key, sample.Unit, new SeriesRing(_options.RingCapacity));
                    _series[sample.Key.Id] = entry;
                }

                if (_byKey.Count >= _options.MaxSeriesPerHost * 2)
                {
                    _byKey.Clear();
                }

                _byKey[sample.Key] = entry;
            }

            entry.Ring.Add(new Point(sample.TimeUnixMs, sample.Value));
        }

        var numbers = result.Numbers;
        var previous = Numbers;
        Numbers = new KeyNumbers(numbers.Cpu ?? previous.Cpu, numbers.Memory ?? previous.Memory, numbers.Filesystem ?? previous.Filesystem, numbers.Load1 ?? previous.Load1);
        if (result.Containers.Count > 0 || _containers.Count > 0)
        {
            // Containers not reported for a few intervals are gone (stopped or removed).
            var horizon = result.TimeUnixMs - (long)(Interval.TotalMilliseconds * _options.SilentAfterIntervals);
            var next = new Dictionary<string, ContainerStats>(_containers.Count + result.Containers.Count, StringComparer.Ordinal);
            foreach (var (name, container) in _containers)
            {
                if (container.TimeUnixMs >= horizon)
                {
                    next[name] = container;
                }
            }

            foreach (var container in result.Containers)
            {
                next[container.Name] = container;
            }

            _containers = next;
        }

        Batches++;
        if (result.TimeUnixMs > LastSeenUnixMs)
        {
            Interlocked.Exchange(ref _lastSeenUnixMs, result.TimeUnixMs);
        }

        Interlocked.Increment(ref _version);
    }

    private sealed record SeriesEntry(SeriesKey Key, string Unit, SeriesRing Ring);
}
