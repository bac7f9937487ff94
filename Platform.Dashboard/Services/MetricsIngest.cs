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
    private readonly ChunkQueue[] _queues;
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
        _queues = new ChunkQueue[workers];
        _pending = new Chunk?[workers];
        _threads = new Thread[workers];
        _catalogs = new SeriesCatalog[workers];
        for (var i = 0; i < workers; i++)
        {
            _queues[i] = new ChunkQueue(QueueCapacity);
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
            queue.Complete();
        }

        foreach (var thread in _threads)
        {
            thread.Join();
        }
    }

    private void Work(int index)
    {
        var catalog = _catalogs[index];
        var queue = _queues[index];
        while (queue.TryTake(out var chunk))
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

    /// <summary>
    /// One worker's bounded queue of chunks. Both sides block on the monitor without spinning: a blocking collection's
    /// semaphore spins with <c>sched_yield</c> before it sleeps, which on a busy 2-core machine cost a fifth of the
    /// dashboard's CPU while the workers waited for the next chunk. One thread adds, one takes.
    /// </summary>
    private sealed class ChunkQueue(int capacity)
    {
        private readonly Queue<Chunk> _items = new(capacity);
        private readonly object _gate = new();
        private bool _completed;

        /// <summary>Adds a chunk; waits while the queue is full.</summary>
        public void Add(Chunk chunk, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                while (_items.Count >= capacity && !_completed)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Monitor.Wait(_gate, 100);
                }

                ObjectDisposedException.ThrowIf(_completed, this);
                _items.Enqueue(chunk);
                if (_items.Count == 1)
                {
                    Monitor.PulseAll(_gate);
                }
            }
        }

        /// <summary>Takes the next chunk, waiting for one; false once the queue is completed and empty.</summary>
        public bool TryTake([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Chunk? chunk)
        {
            lock (_gate)
            {
                while (_items.Count == 0)
                {
                    if (_completed)
                    {
                        chunk = null;
                        return false;
                    }

                    Monitor.Wait(_gate);
                }

                chunk = _items.Dequeue();
                if (_items.Count == capacity - 1)
                {
                    Monitor.PulseAll(_gate);
                }

                return true;
            }
        }

        public void Complete()
        {
            lock (_gate)
            {
                _completed = true;
                Monitor.PulseAll(_gate);
            }
        }
    }

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
