using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Google.Protobuf;
using Platform.Telemetry;
using Platform.Telemetry.Decoding;

namespace Platform.Dashboard.Services;

/// <summary>
/// Reads one host's series over a time range back from the <c>metrics</c> topic and averages their samples into at most
/// <c>points</c> buckets per series. It reads only the partition the host's key goes to (the agent producer's partitioner,
/// <see cref="KeyPartitioner"/>), finding the range's start by timestamp (ListOffsets); when that partition holds more
/// than <see cref="SampleAbove"/> records over the range, it samples it — a few of the host's records at each bucket's
/// start — rather than reading it all, so a 24 h range of a large fleet answers within the budget. When the host's
/// partition has none of its records (the partition count changed since), it reads every partition. At most
/// <see cref="DashboardOptions.MaxConcurrentHistoryReads"/> requests read at once; the others wait their turn.
/// Nothing of it stays in memory after the request.
/// </summary>
public sealed partial class HistoryReader : IDisposable
{
    private readonly DashboardOptions _options;
    private readonly ILogger<HistoryReader> _logger;
    private readonly SemaphoreSlim _scans;

    public HistoryReader(DashboardOptions options, ILogger<HistoryReader> logger)
    {
        _options = options;
        _logger = logger;
        _scans = new SemaphoreSlim(options.MaxConcurrentHistoryReads, options.MaxConcurrentHistoryReads);
    }

    /// <summary>The most records (of every host) one request scans before it answers with what it has.</summary>
    public long MaxRecords { get; init; } = 2_000_000;

    /// <summary>The longest one request reads before it answers with what it has.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Above this many records in the host's partition over the range, the partition is sampled, not read whole.</summary>
    public long SampleAbove { get; init; } = 200_000;

    /// <summary>How many of the host's records a sampled read takes at the start of each bucket.</summary>
    public int RecordsPerBucket { get; init; } = 2;

    public void Dispose() => _scans.Dispose();

    /// <summary>The read slots, shared with <see cref="LogHistoryReader"/> so that all history reads together stay within the limit.</summary>
    internal SemaphoreSlim Scans => _scans;

    /// <exception cref="ArgumentException">The range is empty or reversed, or the host id is empty.</exception>
    public async Task<HistoryResult> ReadAsync(string hostId, DateTimeOffset from, DateTimeOffset to, int points, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostId);
        if (to <= from)
        {
            throw new ArgumentException($"The time range must end after it starts (from {from:O}, to {to:O}).", nameof(to));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(points, 2);
        await _scans.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() => Read(hostId, from, to, points, cancellationToken), cancellationToken);
        }
        finally
        {
            _scans.Release();
        }
    }

    private HistoryResult Read(string hostId, DateTimeOffset from, DateTimeOffset to, int points, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var key = Encoding.UTF8.GetBytes(hostId);
        var fromMs = from.ToUnixTimeMilliseconds();
        var toMs = to.ToUnixTimeMilliseconds();
        var buckets = new Buckets(fromMs, toMs, points);
        var catalog = new SeriesCatalog();
        var position = new DeliveryPosition(); // the agent delivers at least once: a repeated batch is left out
        long records = 0;

        // One record: true when it is the host's (whether or not its time falls in the range).
        bool Take(ConsumeResult<byte[], byte[]> result)
        {
            var message = result.Message;
            if (message.Key is null || !key.AsSpan().SequenceEqual(message.Key) || message.Value is null)
            {
                return false;
            }

            try
            {
                var batch = catalog.Decode(message.Value);
                if (!position.Advance(batch.AgentRunId, batch.Sequence))
                {
                    return true;
                }

                var target = new BucketTarget(buckets);
                var interpreted = BatchInterpreter.Interpret(batch, catalog, message.Timestamp.UnixTimestampMs, ref target);
                if (interpreted.TimeUnixMs >= fromMs && interpreted.TimeUnixMs <= toMs)
                {
                    records++;
                }
            }
            catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidDataException)
            {
                LogBadRecord(result.Partition.Value, result.Offset.Value, ex.Message);
            }

            return true;
        }

        using var consumer = TopicRangeScan.CreateConsumer(_options, "platform-dashboard-history", LogClient);
        var partitions = TopicRangeScan.Partitions(consumer, Topics.Metrics);
        if (partitions.Count == 0)
        {
            return new HistoryResult(from, to, [], 0, false);
        }

        // The range's end: the first record after it, with a minute of slack for clock skew between producers.
        var endAt = to.AddMinutes(1);
        var own = KeyPartitioner.PartitionOf(partitions, key);
        var inRange = TopicRangeScan.OffsetAt(consumer, own, endAt) - TopicRangeScan.OffsetAt(consumer, own, from);
        long scanned;
        bool truncated;
        var sampled = inRange > SampleAbove;
        if (sampled)
        {
            (scanned, truncated) = TopicRangeScan.RunSampled(consumer, own, from, endAt, points, RecordsPerBucket, MaxDuration, Take, cancellationToken);
        }
        else
        {
            (scanned, truncated) = TopicRangeScan.Run(consumer, Topics.Metrics, from, endAt, MaxRecords, MaxDuration, r => Take(r), cancellationToken, [own]);
        }

        if (records == 0 && partitions.Count > 1 && !truncated)
        {
            // None of the host's records where its key goes now: written under another partition count, read everything.
            var (all, allTruncated) = TopicRangeScan.Run(consumer, Topics.Metrics, from, endAt, MaxRecords, MaxDuration - clock.Elapsed, r => Take(r), cancellationToken);
            scanned += all;
            truncated = allTruncated;
            sampled = false;
        }

        LogRead(hostId, records, scanned, clock.ElapsedMilliseconds);
        return new HistoryResult(from, to, buckets.ToSeries(), records, truncated) { Scanned = scanned, Sampled = sampled };
    }

    /// <summary>The buckets as the interpreter's target.</summary>
    private readonly struct BucketTarget(Buckets buckets) : BatchInterpreter.ITarget
    {
        public int Resolve(SeriesClass series, int position, bool counter) => buckets.Resolve(series, counter);

        public bool TryRate(int slot, long timeUnixMs, double total, out double ratePerSecond) => buckets.TryRate(slot, timeUnixMs, total, out ratePerSecond);

        public void Add(int slot, long timeUnixMs, double value) => buckets.Add(slot, timeUnixMs, value);
    }

    /// <summary>Per series, the sum and count of the samples in each of the range's buckets.</summary>
    private sealed class Buckets
    {
        private readonly long _from;
        private readonly long _to;
        private readonly int _count;
        private readonly double _width;
        private readonly List<Slot> _slots = [];
        private readonly Dictionary<SeriesClass, int> _byClass = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<string, int> _byKey = new(StringComparer.Ordinal);

        public Buckets(long from, long to, int count)
        {
            _from = from;
            _to = to;
            _count = count;
            _width = (double)(to - from) / count;
        }

        public int Resolve(SeriesClass series, bool counter)
        {
            if (_byClass.TryGetValue(series, out var slot))
            {
                return slot;
            }

            if (!_byKey.TryGetValue(series.Key.Id, out slot))
            {
                slot = _slots.Count;
                _slots.Add(new Slot(series.Key, counter ? series.RateUnit : series.Unit, new double[_count], new int[_count]));
                _byKey[series.Key.Id] = slot;
            }

            _byClass[series] = slot;
            return slot;
        }

        public bool TryRate(int slot, long timeUnixMs, double total, out double ratePerSecond) =>
            _slots[slot].TryRate(timeUnixMs, total, out ratePerSecond);

        public void Add(int slot, long timeUnixMs, double value)
        {
            if (timeUnixMs < _from || timeUnixMs > _to)
            {
                return;
            }

            var series = _slots[slot];
            var index = Math.Min(_count - 1, (int)((timeUnixMs - _from) / _width));
            series.Sum[index] += value;
            series.N[index]++;
        }

        public List<HistorySeries> ToSeries()
        {
            var result = new List<HistorySeries>(_slots.Count);
            foreach (var slot in _slots.Where(s => s.N.Any(n => n > 0)).OrderBy(s => s.Key.Id, StringComparer.Ordinal))
            {
                var points = new List<Point>();
                for (var i = 0; i < _count; i++)
                {
                    if (slot.N[i] > 0)
                    {
                        points.Add(new Point(_from + (long)((i + 0.5) * _width), slot.Sum[i] / slot.N[i]));
                    }
                }

                result.Add(new HistorySeries(slot.Key, slot.Unit, points));
            }

            return result;
        }

        private sealed class Slot(SeriesKey key, string unit, double[] sum, int[] n)
        {
            private Point _previousTotal;
            private bool _hasTotal;

            public SeriesKey Key { get; } = key;

            public string Unit { get; } = unit;

            public double[] Sum { get; } = sum;

            public int[] N { get; } = n;

            public bool TryRate(long timeUnixMs, double total, out double ratePerSecond) =>
                CounterRates.Step(ref _previousTotal, ref _hasTotal, timeUnixMs, total, out ratePerSecond);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Kafka client ({Level}): {Message}")]
    private partial void LogClient(SyslogLevel level, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unreadable metrics record at [{Partition}]@{Offset} skipped: {Reason}")]
    private partial void LogBadRecord(int partition, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "History of {Host}: {Records} of its records among {Scanned} read in {Milliseconds} ms")]
    private partial void LogRead(string host, long records, long scanned, long milliseconds);
}
