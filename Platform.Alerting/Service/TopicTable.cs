using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Platform.Alerting.Service;

internal interface ITable
{
    string Topic { get; }

    void Start(IReadOnlyList<int> partitions);

    Task WaitCaughtUpAsync(TimeSpan timeout, CancellationToken cancellationToken = default);
}

/// <summary>
/// A whole topic read from the beginning into a table: newest value per key wins, a tombstone deletes the key.
/// Every alerting instance (and the dashboard) reads the contract topics this way. <see cref="Changed"/> runs on the
/// reader thread for every record after the table was updated.
/// </summary>
internal sealed partial class TopicTable<T> : ITable, IDisposable where T : class
{
    private readonly string _topic;
    private readonly Func<byte[], T> _decode;
    private readonly ILogger _logger;
    private readonly IConsumer<string, byte[]> _consumer;
    private readonly IConsumer<string, byte[]> _watermarks;
    private readonly ConcurrentDictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _deleted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, long> _positions = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _watermarkLock = new();
    private Thread? _thread;
    private List<int> _partitions = [];

    public TopicTable(AlertingOptions options, string topic, Func<byte[], T> decode, ILogger logger)
    {
        _topic = topic;
        _decode = decode;
        _logger = logger;
        _consumer = new ConsumerBuilder<string, byte[]>(KafkaConfig.Reader(options, topic)).Build();
        _watermarks = new ConsumerBuilder<string, byte[]>(KafkaConfig.Reader(options, topic + "-wm")).Build();
    }

    public event Action<string, T?>? Changed;

    public string Topic => _topic;

    public IReadOnlyDictionary<string, T> Items => _items;

    /// <summary>True when the key was deleted by a tombstone (and not written again since).</summary>
    public bool WasDeleted(string key) => _deleted.ContainsKey(key);

    public void Start(IReadOnlyList<int> partitions)
    {
        _partitions = [.. partitions];
        _consumer.Assign(partitions.Select(p => new TopicPartitionOffset(_topic, p, Offset.Beginning)));
        _thread = new Thread(Run) { IsBackground = true, Name = "table-" + _topic };
        _thread.Start();
    }

    /// <summary>Waits until every record written before the call has been read.</summary>
    public async Task WaitCaughtUpAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var ends = new Dictionary<int, long>();
        lock (_watermarkLock)
        {
            foreach (var p in _partitions)
            {
                ends[p] = _watermarks.QueryWatermarkOffsets(new TopicPartition(_topic, p), timeout).High.Value;
            }
        }

        await WaitForAsync(ends, timeout, cancellationToken);
    }

    /// <summary>Waits until the record at <paramref name="offset"/> of <paramref name="partition"/> has been read.</summary>
    public Task WaitForOffsetAsync(int partition, long offset, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitForAsync(new Dictionary<int, long> { [partition] = offset + 1 }, timeout, cancellationToken);

    private async Task WaitForAsync(Dictionary<int, long> ends, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!ends.All(e => _positions.GetValueOrDefault(e.Key) >= e.Value))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"topic {_topic}: not caught up within {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(5, cancellationToken);
        }
    }

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            ConsumeResult<string, byte[]>? result;
            try
            {
                result = _consumer.Consume(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ConsumeException e)
            {
                LogConsumeFailed(_logger, _topic, e.Error.Reason);
                continue;
            }

            if (result?.Message is null)
            {
                continue;
            }

            Apply(result.Message.Key, result.Message.Value);
            _positions[result.Partition.Value] = result.Offset.Value + 1;
        }
    }

    private void Apply(string? key, byte[]? value)
    {
        if (key is null)
        {
            return;
        }

        T? item = null;
        if (value is null)
        {
            _items.TryRemove(key, out _);
            _deleted[key] = 0;
        }
        else
        {
            try
            {
                item = _decode(value);
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or InvalidOperationException or NotSupportedException)
            {
                LogBadRecord(_logger, _topic, key, e.Message);
                return;
            }

            _items[key] = item;
            _deleted.TryRemove(key, out _);
        }

        try
        {
            Changed?.Invoke(key, item);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogHandlerFailed(_logger, _topic, key, e);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread?.Join(TimeSpan.FromSeconds(5));
        _consumer.Close();
        _consumer.Dispose();
        _watermarks.Dispose();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading {Topic} failed: {Reason}")]
    private static partial void LogConsumeFailed(ILogger logger, string topic, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipping a malformed record on {Topic}, key {Key}: {Reason}")]
    private static partial void LogBadRecord(ILogger logger, string topic, string key, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying a record of {Topic}, key {Key}, failed")]
    private static partial void LogHandlerFailed(ILogger logger, string topic, string key, Exception exception);
}
