using System.Collections.Concurrent;
using Platform.Telemetry.Decoding;

namespace Platform.Dashboard.Services;

/// <summary>
/// Decodes and applies metric records on several threads so the consumer thread only fetches. A record goes to
/// the worker its key (the host id) hashes to, so one host's batches are applied by one thread, in the order the
/// consumer read them; hosts on other workers proceed in parallel. Records are handed over in chunks of up to
/// <see cref="ChunkSize"/> (one queue operation and at most one wake-up per chunk, not per record): a chunk goes when it
/// is full, when <see cref="Flush"/> is called (the consumer calls it whenever it has nothing more to read at once) or
/// when its oldest record has waited <see cref="MaxChunkDelayMs"/>. Each worker's queue is bounded: when the
/// workers fall behind, the consumer waits instead of buffering without limit. One thread posts.
/// </summary>
public sealed partial class MetricsIngest : IDisposable
{
    /// <summary>The most records handed to a worker at once.</summary>
    public const int ChunkSize = 32;

    /// <summary>The longest a record waits in a chunk that is not full before the chunk goes anyway.</summary>
    public const int MaxChunkDelayMs = 20;

    // 2,048 records per worker.
    private const int QueueCapacity = 2048 / ChunkSize;
    private readonly FleetModel _model;
    private readonly ILogger _logger;
    private readonly BlockingCollection<Chunk>[] _queues;
    private readonly Chunk?[] _pending;
    private readonly ConcurrentQueue<Chunk> _free = new();
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
        _queues = new BlockingCollection<Chunk>[workers];
        _pending = new Chunk?[workers];
        _threads = new Thread[workers];
        _catalogs = new SeriesCatalog[workers];
        for (var i = 0; i < workers; i++)
        {
            _queues[i] = new BlockingCollection<Chunk>(new ConcurrentQueue<Chunk>(), QueueCapacity);
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
        var worker = WorkerOf(key, _queues.Length);
        var now = Environment.TickCount64;
        var chunk = _pending[worker];
        if (chunk is null)
        {
            chunk = _free.TryDequeue(out var reused) ? reused : new Chunk();
            chunk.StartedAt = now;
            _pending[worker] = chunk;
        }

        chunk.Add(new MetricRecord(value, partition, offset));
        if (chunk.Count == ChunkSize || now - chunk.StartedAt >= MaxChunkDelayMs)
        {
            Send(worker, cancellationToken);
        }
    }

    /// <summary>Hands every partly filled chunk to its worker (when the consumer has nothing more to read at once).</summary>
    public void Flush(CancellationToken cancellationToken)
    {
        for (var worker = 0; worker < _pending.Length; worker++)
        {
            if (_pending[worker] is not null)
            {
                Send(worker, cancellationToken);
            }
        }
    }

    private void Send(int worker, CancellationToken cancellationToken)
    {
        var chunk = _pending[worker]!;
        _pending[worker] = null;
        _queues[worker].Add(chunk, cancellationToken);
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
        Flush(CancellationToken.None);
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
        foreach (var chunk in _queues[index].GetConsumingEnumerable())
        {
            foreach (var record in chunk.Records)
            {
                if (!TryApply(_model, catalog, record.Value, out var error))
                {
                    LogBadRecord(record.Partition, record.Offset, error!);
                }
            }

            chunk.Clear();
            if (_free.Count < QueueCapacity * 2)
            {
                _free.Enqueue(chunk);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unreadable record on metrics[{Partition}]@{Offset} skipped: {Reason}")]
    private partial void LogBadRecord(int partition, long offset, string reason);

    private readonly record struct MetricRecord(byte[] Value, int Partition, long Offset);

    /// <summary>Records handed to a worker at once; reused once applied.</summary>
    private sealed class Chunk
    {
        private readonly MetricRecord[] _records = new MetricRecord[ChunkSize];

        public int Count { get; private set; }

        public long StartedAt { get; set; }

        public ReadOnlySpan<MetricRecord> Records => _records.AsSpan(0, Count);

        public void Add(MetricRecord record) => _records[Count++] = record;

        public void Clear()
        {
            Array.Clear(_records, 0, Count);
            Count = 0;
        }
    }
}
