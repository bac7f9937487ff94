using System.Collections.Concurrent;
using Platform.Telemetry.Decoding;

namespace Platform.Dashboard.Services;

/// <summary>
/// Decodes and applies metric records on several threads so the consumer thread only fetches. A record goes to
/// the worker its key (the host id) hashes to, so one host's batches are applied by one thread, in the order the
/// consumer read them; hosts on other workers proceed in parallel. Each worker's queue is bounded: when the
/// workers fall behind, the consumer waits instead of buffering without limit.
/// </summary>
public sealed partial class MetricsIngest : IDisposable
{
    private const int QueueCapacity = 2048;
    private readonly FleetModel _model;
    private readonly ILogger _logger;
    private readonly BlockingCollection<MetricRecord>[] _queues;
    private readonly Thread[] _threads;
    private readonly SeriesCatalog[] _catalogs;
    private bool _disposed;

    /// <param name="model">Where the batches go.</param>
    /// <param name="workers">The number of decoding threads (at least 1).</param>
    /// <param name="logger">Where unreadable records are reported.</param>
    public MetricsIngest(FleetModel model, int workers, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        _model = model;
        _logger = logger;
        _queues = new BlockingCollection<MetricRecord>[workers];
        _threads = new Thread[workers];
        _catalogs = new SeriesCatalog[workers];
        for (var i = 0; i < workers; i++)
        {
            _queues[i] = new BlockingCollection<MetricRecord>(new ConcurrentQueue<MetricRecord>(), QueueCapacity);
            _catalogs[i] = new SeriesCatalog();
            var index = i;
            _threads[i] = new Thread(() => Work(index)) { IsBackground = true, Name = $"dashboard-ingest-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>The number of decoding threads a machine with <paramref name="processors"/> processors gets: one per core, up to 4.</summary>
    public static int DefaultWorkers(int processors) => Math.Clamp(processors, 1, 4);

    public int Workers => _queues.Length;

    /// <summary>Queues one record of the metrics topic; blocks while its worker's queue is full.</summary>
    public void Post(byte[]? key, byte[] value, int partition, long offset, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        _queues[WorkerOf(key, _queues.Length)].Add(new MetricRecord(value, partition, offset), cancellationToken);
    }

    /// <summary>The worker of a record key: FNV-1a of its bytes, so a host always maps to the same worker.</summary>
    public static int WorkerOf(ReadOnlySpan<byte> key, int workers)
    {
        var hash = 2166136261u;
        foreach (var b in key)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash % (uint)workers);
    }

    /// <summary>Decodes one record's value with <paramref name="catalog"/> and applies it; returns false when it was unreadable.</summary>
    public static bool TryApply(FleetModel model, SeriesCatalog catalog, ReadOnlySpan<byte> value, out string? error)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(catalog);
        error = null;
        DecodedMetricBatch batch;
        try
        {
            batch = catalog.Decode(value);
        }
        catch (InvalidDataException ex)
        {
            model.CountRejected();
            error = ex.Message;
            return false;
        }

        try
        {
            // The model counts what it rejects itself.
            model.Apply(batch, catalog);
            return true;
        }
        catch (InvalidDataException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var queue in _queues)
        {
            queue.CompleteAdding();
        }

        foreach (var thread in _threads)
        {
            thread.Join();
        }

        foreach (var queue in _queues)
        {
            queue.Dispose();
        }
    }

    private void Work(int index)
    {
        var catalog = _catalogs[index];
        foreach (var record in _queues[index].GetConsumingEnumerable())
        {
            if (!TryApply(_model, catalog, record.Value, out var error))
            {
                LogBadRecord(record.Partition, record.Offset, error!);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unreadable record on metrics[{Partition}]@{Offset} skipped: {Reason}")]
    private partial void LogBadRecord(int partition, long offset, string reason);

    private readonly record struct MetricRecord(byte[] Value, int Partition, long Offset);
}
