using System.Buffers;

namespace Platform.Broker.Storage;

/// <summary>
/// One partition: a directory of segments holding record batches (magic v2) exactly as received, with sparse
/// offset and time indexes, producer state for idempotent producers, and readers that can wait for appends.
/// Thread-safe: appends are serialized, reads run concurrently and never see a partially written batch.
/// </summary>
public sealed class PartitionLog : IDisposable
{
    public string Topic => throw new NotImplementedException();

    public int Partition => throw new NotImplementedException();

    /// <summary>The first offset still in the log (moves forward as retention deletes segments).</summary>
    public long LogStartOffset => throw new NotImplementedException();

    /// <summary>The offset the next record will get; also the high watermark (one broker, no replicas).</summary>
    public long LogEndOffset => throw new NotImplementedException();

    /// <summary>Bytes on disk in this partition's segments.</summary>
    public long SizeInBytes => throw new NotImplementedException();

    /// <summary>
    /// Validates the record batches in <paramref name="records"/> (CRC-32C, magic 2, record count vs. last offset delta,
    /// size limit, idempotent producer sequence and epoch), assigns offsets by rewriting each batch's base offset in
    /// place, appends them, and — under <see cref="FlushMode.Strict"/> — returns only once they are fsynced.
    /// A rejected input appends nothing and returns the Kafka error code with a message.
    /// </summary>
    public ValueTask<AppendResult> AppendAsync(Memory<byte> records, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>
    /// Copies whole batches starting with the one that contains <paramref name="offset"/> into <paramref name="output"/>,
    /// up to <paramref name="maxBytes"/> — but always at least one whole batch when one exists at that offset.
    /// Returns the number of bytes written; 0 when <paramref name="offset"/> equals the log end offset.
    /// Throws <see cref="OffsetOutOfRangeException"/> when the offset is below the log start or above the log end.
    /// </summary>
    public int Read(long offset, int maxBytes, IBufferWriter<byte> output) => throw new NotImplementedException();

    /// <summary>
    /// Completes with true as soon as the log end offset is greater than <paramref name="offset"/> (at once if it
    /// already is), or with false when <paramref name="timeout"/> passes first. No thread is held while waiting.
    /// </summary>
    public ValueTask<bool> WaitForDataAsync(long offset, TimeSpan timeout, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>
    /// The first offset whose record timestamp is at or after <paramref name="timestamp"/> (ms since the epoch), with that
    /// record's timestamp; null when no record is that new.
    /// </summary>
    public (long Offset, long Timestamp)? FindOffsetByTimestamp(long timestamp) => throw new NotImplementedException();

    /// <summary>Forces every appended byte to stable storage.</summary>
    public void Flush() => throw new NotImplementedException();

    public void Dispose() => throw new NotImplementedException();
}
