using System.Collections.Concurrent;
using Platform.Telemetry.Decoding;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Services;

/// <summary>
/// What the dashboard knows of one host: its inventory, when it was last heard from, its key numbers,
/// containers and a bounded ring of recent points per series, all on one timeline of its batches
/// (<see cref="SeriesTimeline"/>: a point costs a float, the time is held once per batch). Written by one ingest
/// thread at a time; read by anyone (pages, the live push) without blocking the writer for long.
/// <para>The writer keeps the host's series in slots. A host sends its series in the same order every batch, so the
/// slot of the sample at position <c>i</c> is found by checking that the class remembered at <c>i</c> is the
/// sample's (a reference compare); only a new or moved series looks further (by class, then by key text). A
/// counter's previous total lives in its slot.</para>
/// </summary>
public sealed class HostState
{
    private readonly ConcurrentDictionary<string, SeriesEntry> _series = new(StringComparer.Ordinal);
    private readonly List<SeriesEntry> _slots = [];

    // The slot of the series at each position of the host's batches, checked by class reference.
    private SeriesClass?[] _positionClass = new SeriesClass?[16];
    private int[] _positionSlot = new int[16];

    // The slot of every class met (-1: not kept), for a series that moved in the batch or a new decoding thread.
    private readonly Dictionary<SeriesClass, int> _byClass = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _applyLock = new();
    private readonly DashboardOptions _options;
    private readonly List<ContainerScratch.Entry> _containerSlots = [];
    private long _containersVersion;
    private ContainerStats[] _containersSnapshot = [];
    private long _containersSnapshotVersion;
    private long _lastSeenUnixMs;
    private long _version;
    private int _seriesCount;

    // The times of the host's batches, shared by its rings; the column of the batch being applied.
    private const long NotOpened = long.MinValue;
    private readonly SeriesTimeline _timeline;
    private long _batchTime;
    private long _column = NotOpened;

    internal HostState(string hostId, DashboardOptions options)
    {
        HostId = hostId;
        _options = options;
        _timeline = new SeriesTimeline(options.RingCapacity);
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

    /// <summary>The containers reported within the last few intervals.</summary>
    public IReadOnlyCollection<ContainerStats> Containers => ContainerSnapshot();

    public long Batches { get; private set; }

    /// <summary>Batches that a sequence gap says were lost on the way (per agent run).</summary>
    public long MissedBatches { get; private set; }

    /// <summary>Series not kept because the host has <see cref="DashboardOptions.MaxSeriesPerHost"/> already.</summary>
    public long DroppedSeries { get; private set; }

    /// <summary>Batches dropped as repeats of one already applied (the same agent run, a sequence not above the last).</summary>
    public long DuplicateBatches { get; private set; }

    public string? AgentRunId => _position.AgentRunId;

    // The (agent run, sequence) of the last batch applied: a field, advanced in place.
    private DeliveryPosition _position;

    /// <summary>The series kept (a plain count: the fleet's total is summed every second).</summary>
    public int SeriesCount => Volatile.Read(ref _seriesCount);

    /// <summary>The ring of one series by its id (<see cref="SeriesKey.Id"/>), or null.</summary>
    public SeriesRing? Ring(string seriesId) => _series.TryGetValue(seriesId, out var entry) ? entry.Ring : null;

    /// <summary>Every series of the host whose name is <paramref name="name"/>.</summary>
    public IReadOnlyList<SeriesView> SeriesNamed(string name) =>
        _series.Values.Where(s => s.Key.Name == name).Select(s => new SeriesView(s.Key, s.Unit, s.Ring)).OrderBy(s => s.Key.Id, StringComparer.Ordinal).ToList();

    /// <summary>Every series of the host.</summary>
    public IReadOnlyList<SeriesView> AllSeries() =>
        _series.Values.Select(s => new SeriesView(s.Key, s.Unit, s.Ring)).OrderBy(s => s.Key.Id, StringComparer.Ordinal).ToList();

    /// <summary>Applies one batch decoded by <paramref name="catalog"/> (whose thread calls this); false when it was a
    /// repeat of a batch already applied (the agent's replay after a crash), which changes nothing.</summary>
    /// <exception cref="InvalidDataException">The batch cannot be read.</exception>
    internal bool Apply(DecodedMetricBatch batch, SeriesCatalog catalog, long receivedUnixMs)
    {
        // One writer at a time: batches of one host normally come from one ingest thread, in order.
        lock (_applyLock)
        {
            return ApplyLocked(batch, catalog, receivedUnixMs);
        }
    }

    private bool ApplyLocked(DecodedMetricBatch batch, SeriesCatalog catalog, long receivedUnixMs)
    {
        var last = _position.Sequence;
        var sameRun = string.Equals(_position.AgentRunId, batch.AgentRunId, StringComparison.Ordinal);
        if (!_position.Advance(batch.AgentRunId, batch.Sequence))
        {
            DuplicateBatches++;
            return false;
        }

        if (sameRun && last != 0 && batch.Sequence > last + 1)
        {
            MissedBatches += (long)(batch.Sequence - last - 1);
        }

        if (batch.Host is { } info)
        {
            Info = info;
            Labels = info.Labels.GroupBy(l => l.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        }

        // Every point of the batch goes in the batch's column of the timeline, opened at the first point.
        _batchTime = batch.TimestampUnixMs != 0 ? batch.TimestampUnixMs : receivedUnixMs;
        _column = NotOpened;
        var target = new Target(this);
        BatchInterpreter.Summary summary;
        lock (_timeline.Gate)
        {
            summary = BatchInterpreter.Interpret(batch, catalog, receivedUnixMs, ref target);
        }

        var previous = Numbers;
        Numbers = new KeyNumbers(summary.Cpu ?? previous.Cpu, summary.Memory ?? previous.Memory, summary.Filesystem ?? previous.Filesystem, summary.Load1 ?? previous.Load1);
        var containers = catalog.Containers;
        if (containers.Count > 0 || _containerSlots.Count > 0)
        {
            UpdateContainers(containers.Entries, summary.TimeUnixMs);
        }

        Batches++;
        if (summary.TimeUnixMs > LastSeenUnixMs)
        {
            Interlocked.Exchange(ref _lastSeenUnixMs, summary.TimeUnixMs);
        }

        Interlocked.Increment(ref _version);
        return true;
    }

    /// <summary>
    /// Takes the reported containers' numbers (a container reported in a batch is replaced whole) and forgets the
    /// containers not reported for a few intervals (stopped or removed). The <see cref="ContainerStats"/> records are
    /// built when somebody reads <see cref="Containers"/>, not for every batch.
    /// </summary>
    private void UpdateContainers(ReadOnlySpan<ContainerScratch.Entry> reported, long batchTime)
    {
        foreach (var c in reported)
        {
            var index = 0;
            while (index < _containerSlots.Count && !string.Equals(_containerSlots[index].Name, c.Name, StringComparison.Ordinal))
            {
                index++;
            }

            if (index == _containerSlots.Count)
            {
                _containerSlots.Add(c);
            }
            else
            {
                _containerSlots[index] = c;
            }
        }

        var horizon = batchTime - (long)(Interval.TotalMilliseconds * _options.SilentAfterIntervals);
        for (var i = _containerSlots.Count - 1; i >= 0; i--)
        {
            if (_containerSlots[i].Time < horizon && !Reports(reported, _containerSlots[i].Name))
            {
                _containerSlots.RemoveAt(i);
            }
        }

        _containersVersion++;

        static bool Reports(ReadOnlySpan<ContainerScratch.Entry> reported, string name)
        {
            foreach (var c in reported)
            {
                if (string.Equals(c.Name, name, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }
    }

    private ContainerStats[] ContainerSnapshot()
    {
        lock (_applyLock)
        {
            if (_containersSnapshotVersion != _containersVersion)
            {
                var snapshot = new ContainerStats[_containerSlots.Count];
                for (var i = 0; i < snapshot.Length; i++)
                {
                    var c = _containerSlots[i];
                    snapshot[i] = new ContainerStats(HostId, c.Name, c.Id, c.Cpu, c.Memory, c.Limit, c.Time);
                }

                _containersSnapshot = snapshot;
                _containersSnapshotVersion = _containersVersion;
            }

            return _containersSnapshot;
        }
    }

    /// <summary>The slot of a series met at <paramref name="position"/> of a batch, or -1 when it is not kept.</summary>
    private int Resolve(SeriesClass series, int position, bool counter)
    {
        if ((uint)position < (uint)_positionClass.Length && ReferenceEquals(_positionClass[position], series))
        {
            var known = _positionSlot[position];
            if (known < 0)
            {
                DroppedSeries++;
            }

            return known;
        }

        return ResolveSlow(series, position, counter);
    }

    private int ResolveSlow(SeriesClass series, int position, bool counter)
    {
        if (!_byClass.TryGetValue(series, out var slot))
        {
            if (_series.TryGetValue(series.Key.Id, out var entry))
            {
                slot = entry.Slot;
            }
            else if (_slots.Count >= _options.MaxSeriesPerHost)
            {
                slot = -1;
            }
            else
            {
                slot = _slots.Count;
                entry = new SeriesEntry(series.Key, counter ? series.RateUnit : series.Unit, new SeriesRing(_timeline), slot);
                _slots.Add(entry);
                _series[series.Key.Id] = entry;
                Volatile.Write(ref _seriesCount, _slots.Count);
            }

            if (_byClass.Count >= _options.MaxSeriesPerHost * 4)
            {
                // Classes of decoders that started over, or of a host that invents series without end.
                _byClass.Clear();
            }

            _byClass[series] = slot;
        }

        if (position < _options.MaxSeriesPerHost * 4)
        {
            if (position >= _positionClass.Length)
            {
                var size = Math.Max(_positionClass.Length * 2, position + 1);
                Array.Resize(ref _positionClass, size);
                Array.Resize(ref _positionSlot, size);
            }

            _positionClass[position] = series;
            _positionSlot[position] = slot;
        }

        if (slot < 0)
        {
            DroppedSeries++;
        }

        return slot;
    }

    private void AddPoint(int slot, double value)
    {
        if (_column == NotOpened)
        {
            _column = _timeline.Open(_batchTime);
        }

        if (_column >= 0)
        {
            _slots[slot].Ring.Set(_column, value);
        }
    }

    /// <summary>The host as the interpreter's target (a struct, so its calls are direct).</summary>
    private readonly struct Target(HostState host) : BatchInterpreter.ITarget
    {
        public int Resolve(SeriesClass series, int position, bool counter) => host.Resolve(series, position, counter);

        public bool TryRate(int slot, long timeUnixMs, double total, out double ratePerSecond) =>
            host._slots[slot].TryRate(timeUnixMs, total, out ratePerSecond);

        public void Add(int slot, long timeUnixMs, double value) => host.AddPoint(slot, value);
    }

    /// <summary>One kept series: its ring and, for a counter, its previous total.</summary>
    private sealed class SeriesEntry(SeriesKey key, string unit, SeriesRing ring, int slot)
    {
        private Point _previousTotal;
        private bool _hasTotal;

        public SeriesKey Key { get; } = key;

        public string Unit { get; } = unit;

        public SeriesRing Ring { get; } = ring;

        public int Slot { get; } = slot;

        public bool TryRate(long timeUnixMs, double total, out double ratePerSecond) =>
            CounterRates.Step(ref _previousTotal, ref _hasTotal, timeUnixMs, total, out ratePerSecond);
    }
}
