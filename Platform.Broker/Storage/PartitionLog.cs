using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;

namespace Platform.Broker.Storage;

/// <summary>
/// One partition: a directory of segments holding record batches (magic v2) exactly as received, with sparse
/// offset and time indexes, producer state for idempotent producers, and readers that can wait for appends.
/// Thread-safe: appends are serialized, reads run concurrently and never see a partially written batch.
/// </summary>
public sealed partial class PartitionLog : IDisposable
{
    private readonly TopicLog _topic;
    private readonly LogOptions _options;
    private readonly ILogger _logger;
    private readonly Action<PartitionLog>? _flushRequested;
    private readonly Lock _appendLock = new();
    private readonly Lock _flushLock = new();
    private readonly ProducerStateManager _producers = new();
    private readonly Action _flushCore;

    /// <summary>Rolled segments not yet fsynced, oldest first (under <see cref="_appendLock"/>).</summary>
    private readonly List<LogSegment> _unflushed = [];

    private LogSegment[] _segments;
    private long _logEndOffset;
    private long _writtenBytes;
    private long _durableBytes;
    private TaskCompletionSource? _flushInFlight;
    private TaskCompletionSource<bool>? _dataSignal;
    private volatile bool _closed;
    private int _flushRequestPending;
    private int _directoryDirty;
    private long _flushCount;
    private string? _offline;

    private PartitionLog(TopicLog topic, int partition, string directory, LogOptions options, ILogger logger, Action<PartitionLog>? flushRequested, LogSegment[] segments)
    {
        _topic = topic;
        Partition = partition;
        Directory = directory;
        _options = options;
        _logger = logger;
        _flushRequested = flushRequested;
        _segments = segments;
        _logEndOffset = segments[^1].NextOffset;
        _flushCore = FlushCore;
    }

    public string Topic => _topic.Name;

    public int Partition { get; }

    /// <summary>The first offset still in the log (moves forward as retention deletes segments).</summary>
    public long LogStartOffset => Volatile.Read(ref _segments)[0].BaseOffset;

    /// <summary>The offset the next record will get; also the high watermark (one broker, no replicas).</summary>
    public long LogEndOffset => Volatile.Read(ref _logEndOffset);

    /// <summary>Bytes on disk in this partition's segments.</summary>
    public long SizeInBytes
    {
        get
        {
            long total = 0;
            foreach (var segment in Volatile.Read(ref _segments))
            {
                total += segment.Size;
            }

            return total;
        }
    }

    /// <summary>The partition's directory ("topic-N" under the data directory).</summary>
    internal string Directory { get; }

    /// <summary>The segments, oldest first (a snapshot).</summary>
    internal IReadOnlyList<LogSegment> Segments => Volatile.Read(ref _segments);

    /// <summary>How many flushes (fsync rounds) ran since open.</summary>
    internal long FlushCount => Interlocked.Read(ref _flushCount);

    /// <summary>Bytes appended but not yet known to be on stable storage.</summary>
    internal long UnflushedBytes => Volatile.Read(ref _writtenBytes) - Volatile.Read(ref _durableBytes);

    /// <summary>The idempotent-producer state (read under the append lock only; for tests and diagnostics).</summary>
    internal (short Epoch, int LastSequence)? GetProducerState(long producerId)
    {
        lock (_appendLock)
        {
            return _producers.TryGet(producerId, out var entry) ? (entry!.Epoch, entry.LastSequence) : null;
        }
    }

    /// <summary>
    /// Validates the record batches in <paramref name="records"/> (CRC-32C, magic 2, record count vs. last offset delta,
    /// size limit, idempotent producer sequence and epoch), assigns offsets by rewriting each batch's base offset in
    /// place, appends them, and — under <see cref="FlushMode.Strict"/> — returns only once they are fsynced.
    /// A rejected input appends nothing and returns the Kafka error code with a message.
    /// </summary>
    public ValueTask<AppendResult> AppendAsync(Memory<byte> records, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var config = _topic.EffectiveConfig;
        var error = RecordBatchValidator.Validate(records.Span, config.MaxMessageBytes!.Value, config.SegmentBytes!.Value, out var batchCount, out var message);
        if (error != ErrorCode.None)
        {
            return new ValueTask<AppendResult>(new AppendResult(error, -1, -1, LogStartOffset, message));
        }

        AppendResult result;
        long written;
        lock (_appendLock)
        {
            result = AppendLocked(records.Span, batchCount, config, out written);
        }

        // Group commit, rejections and retries complete here without an async state machine.
        return result.Error == ErrorCode.None && written > 0 && _options.FlushMode == FlushMode.Strict
            ? AwaitDurableAsync(result, written)
            : new ValueTask<AppendResult>(result);
    }

    private async ValueTask<AppendResult> AwaitDurableAsync(AppendResult result, long written)
    {
        try
        {
            await WaitDurableAsync(written).ConfigureAwait(false);
            return result;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            StorageLog.AppendFailed(_logger, Topic, Partition, "fsync failed", e);
            return new AppendResult(ErrorCode.KafkaStorageError, -1, -1, LogStartOffset, $"The batch was written but could not be forced to disk: {e.Message}");
        }
    }

    private AppendResult AppendLocked(Span<byte> records, int batchCount, TopicConfig config, out long written)
    {
        written = 0;
        if (_closed)
        {
            return new AppendResult(ErrorCode.UnknownTopicOrPartition, -1, -1, LogStartOffset, $"Partition {Topic}-{Partition} is closed.");
        }

        if (_offline is not null)
        {
            return new AppendResult(ErrorCode.KafkaStorageError, -1, -1, LogStartOffset, _offline);
        }

        // Idempotent producers: check every batch before anything is written.
        List<(long ProducerId, short Epoch, int LastSequence)>? pending = null;
        var p = 0;
        while (p < records.Length)
        {
            var header = new RecordBatchHeader(records[p..]);
            if (header.ProducerId >= 0)
            {
                (short, int)? earlier = null;
                if (pending is not null)
                {
                    foreach (var e in pending)
                    {
                        if (e.ProducerId == header.ProducerId)
                        {
                            earlier = (e.Epoch, e.LastSequence);
                        }
                    }
                }

                var check = _producers.Check(header, earlier, out var duplicate, out var message);
                if (check != ErrorCode.None)
                {
                    return new AppendResult(check, -1, -1, LogStartOffset, message);
                }

                if (duplicate is { } d)
                {
                    if (batchCount == 1)
                    {
                        return new AppendResult(ErrorCode.None, d.FirstOffset, -1, LogStartOffset);
                    }

                    return new AppendResult(ErrorCode.DuplicateSequenceNumber, -1, -1, LogStartOffset, $"Batch with sequence {header.BaseSequence} of producer {header.ProducerId} was already appended; retry it alone.");
                }

                if (batchCount > 1)
                {
                    (pending ??= []).Add((header.ProducerId, header.ProducerEpoch, header.LastSequence));
                }
            }

            p += (int)header.TotalSize;
        }

        // Assign offsets in place (and the append time, which the CRC covers, when the topic keeps LogAppendTime).
        var now = _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var logAppendTime = config.MessageTimestampType == TimestampType.LogAppendTime;
        var baseOffset = _logEndOffset;
        var next = baseOffset;
        p = 0;
        while (p < records.Length)
        {
            var batch = records[p..];
            var total = (int)RecordBatchHeader.TotalSizeOf(batch);
            batch = batch[..total];
            RecordBatchHeader.WriteBaseOffset(batch, next);
            if (logAppendTime)
            {
                var attributes = BinaryPrimitives.ReadInt16BigEndian(batch[RecordBatchHeader.AttributesAt..]);
                BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.AttributesAt..], (short)(attributes | RecordBatchHeader.TimestampTypeFlag));
                BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.MaxTimestampAt..], now);
                BinaryPrimitives.WriteUInt32BigEndian(batch[RecordBatchHeader.CrcAt..], RecordBatchHeader.ComputeCrc(batch));
            }

            next += BinaryPrimitives.ReadInt32BigEndian(batch[RecordBatchHeader.LastOffsetDeltaAt..]) + 1L;
            p += total;
        }

        var active = _segments[^1];
        try
        {
            if (active.Size > 0
                && (active.Size + records.Length > config.SegmentBytes!.Value
                    || now - active.RollBaseTime >= config.SegmentMs!.Value
                    || next - 1 - active.BaseOffset > int.MaxValue))
            {
                active = Roll(baseOffset);
            }

            active.Append(records, config.IndexIntervalBytes!.Value, now, _options.Faults);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            StorageLog.AppendFailed(_logger, Topic, Partition, e.Message, e);
            CheckTornWrite(active);
            return new AppendResult(ErrorCode.KafkaStorageError, -1, -1, LogStartOffset, $"Writing to {Topic}-{Partition} failed: {e.Message}");
        }

        p = 0;
        while (p < records.Length)
        {
            var header = new RecordBatchHeader(records[p..]);
            _producers.Update(header);
            p += (int)header.TotalSize;
        }

        Volatile.Write(ref _logEndOffset, next);
        written = Volatile.Read(ref _writtenBytes) + records.Length;
        Volatile.Write(ref _writtenBytes, written);
        Interlocked.Exchange(ref _dataSignal, null)?.TrySetResult(true);
        if (_options.FlushMode == FlushMode.GroupCommit && UnflushedBytes >= _options.FlushBytes
            && Interlocked.Exchange(ref _flushRequestPending, 1) == 0)
        {
            // One request until the flusher runs: appends racing ahead of a slow fsync must not queue up fsyncs.
            _flushRequested?.Invoke(this);
        }

        return new AppendResult(ErrorCode.None, baseOffset, logAppendTime ? now : -1, LogStartOffset);
    }

    /// <summary>After a failed write: the file must end at the committed size, or the partition stops taking appends.</summary>
    private void CheckTornWrite(LogSegment active)
    {
        try
        {
            if (RandomAccess.GetLength(active.Handle) != active.Size)
            {
                RandomAccess.SetLength(active.Handle, active.Size);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            _offline = $"Partition {Topic}-{Partition} is offline for appends: a failed write could not be cut back ({e.Message}). Reads still work; restart to recover.";
        }
    }

    /// <summary>Starts a new active segment at <paramref name="baseOffset"/> (under the append lock).</summary>
    private LogSegment Roll(long baseOffset)
    {
        var old = _segments[^1];
        var segment = LogSegment.Create(Directory, baseOffset);

        // The new files' directory entries must be durable before an fsynced append in them is acknowledged:
        // the next flush (which every strict append waits for) syncs the directory first.
        Volatile.Write(ref _directoryDirty, 1);
        try
        {
            old.Seal();
        }
        catch (IOException)
        {
            // The indexes are checked against the segment at the next open and rebuilt if they are short.
        }

        _unflushed.Add(old);
        Volatile.Write(ref _segments, [.. _segments, segment]);
        WriteProducerSnapshot(baseOffset, durable: false);
        return segment;
    }

    private void WriteProducerSnapshot(long offset, bool durable)
    {
        try
        {
            MetadataFile.WriteAtomically(Path.Combine(Directory, ProducerStateManager.SnapshotFileName), _producers.FormatSnapshot(offset), durable);
        }
        catch (IOException e)
        {
            // Recovery rebuilds the state from the log when the snapshot is missing or behind.
            StorageLog.ProducerSnapshotIgnored(_logger, Topic, Partition, $"snapshot could not be written ({e.Message})");
        }
    }

    /// <summary>True once the partition is closed (broker stopping, or its topic deleted): reads throw, waits end.</summary>
    public bool IsClosed => _closed;

    /// <summary>
    /// Copies whole batches starting with the one that contains <paramref name="offset"/> into <paramref name="output"/>,
    /// up to <paramref name="maxBytes"/> — but always at least one whole batch when one exists at that offset.
    /// Returns the number of bytes written; 0 when <paramref name="offset"/> equals the log end offset.
    /// Throws <see cref="OffsetOutOfRangeException"/> when the offset is below the log start or above the log end.
    /// </summary>
    public int Read(long offset, int maxBytes, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        while (true)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            var end = LogEndOffset;
            var segments = Volatile.Read(ref _segments);
            var start = segments[0].BaseOffset;
            if (offset < start || offset > end)
            {
                throw new OffsetOutOfRangeException($"Offset {offset} is outside [{start}, {end}] of {Topic}-{Partition}.");
            }

            if (offset == end)
            {
                return 0;
            }

            var retry = false;
            for (var i = FindSegment(segments, offset); i < segments.Length; i++)
            {
                var segment = segments[i];
                if (!segment.TryAcquire())
                {
                    retry = true;
                    break;
                }

                try
                {
                    var position = segment.FindPosition(offset);
                    if (position >= 0)
                    {
                        return segment.ReadInto(position, maxBytes, output);
                    }
                }
                finally
                {
                    segment.Release();
                }
            }

            if (!retry)
            {
                return 0;
            }
        }
    }

    /// <summary>
    /// Completes with true as soon as the log end offset is greater than <paramref name="offset"/> (at once if it
    /// already is), or with false when <paramref name="timeout"/> passes first. No thread is held while waiting.
    /// </summary>
    public async ValueTask<bool> WaitForDataAsync(long offset, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (LogEndOffset > offset)
        {
            return true;
        }

        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            return false;
        }

        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds);
        while (true)
        {
            var signal = Volatile.Read(ref _dataSignal);
            if (signal is null)
            {
                var fresh = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                signal = Interlocked.CompareExchange(ref _dataSignal, fresh, null) ?? fresh;
            }

            if (LogEndOffset > offset)
            {
                return true;
            }

            if (_closed)
            {
                return false;
            }

            var remaining = deadline == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Min(deadline - Environment.TickCount64, int.MaxValue - 1));
            if (remaining != Timeout.InfiniteTimeSpan && remaining <= TimeSpan.Zero)
            {
                return false;
            }

            await ((Task)signal.Task).WaitAsync(remaining, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
            if (!signal.Task.IsCompleted)
            {
                return LogEndOffset > offset;
            }
        }
    }

    /// <summary>
    /// The first offset whose record timestamp is at or after <paramref name="timestamp"/> (ms since the epoch), with that
    /// record's timestamp; null when no record is that new.
    /// </summary>
    public (long Offset, long Timestamp)? FindOffsetByTimestamp(long timestamp)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            var segments = Volatile.Read(ref _segments);
            var retry = false;
            foreach (var segment in segments)
            {
                if (segment.MaxTimestamp < timestamp)
                {
                    continue;
                }

                if (!segment.TryAcquire())
                {
                    retry = true;
                    break;
                }

                try
                {
                    if (segment.FindByTimestamp(timestamp) is { } found)
                    {
                        return found;
                    }
                }
                finally
                {
                    segment.Release();
                }
            }

            if (!retry)
            {
                return null;
            }
        }
    }

    /// <summary>Forces every appended byte to stable storage.</summary>
    public void Flush() => FlushCore();

    private void FlushCore()
    {
        Volatile.Write(ref _flushRequestPending, 0);
        long target;
        LogSegment[] toFlush;
        lock (_appendLock)
        {
            target = _writtenBytes;
            toFlush = [.. _unflushed, _segments[^1]];
            if (!_closed)
            {
                toFlush[^1].PersistIndexes();
            }
        }

        if (Interlocked.Exchange(ref _directoryDirty, 0) != 0)
        {
            try
            {
                DirectorySync.Flush(Directory);
            }
            catch
            {
                Volatile.Write(ref _directoryDirty, 1);
                throw;
            }
        }

        Interlocked.Increment(ref _flushCount);
        foreach (var segment in toFlush)
        {
            if (segment.TryAcquire())
            {
                try
                {
                    _options.Faults?.BeforeFlush();
                    segment.Flush();
                }
                finally
                {
                    segment.Release();
                }
            }
        }

        if (toFlush.Length > 1)
        {
            lock (_appendLock)
            {
                for (var i = 0; i < toFlush.Length - 1; i++)
                {
                    _unflushed.Remove(toFlush[i]);
                }

                if (!_closed)
                {
                    var recoveryPoint = _unflushed.Count > 0 ? _unflushed[0].BaseOffset : toFlush[^1].BaseOffset;
                    new PartitionCheckpoint(recoveryPoint, CleanShutdown: false).Write(Directory, durable: false);
                }
            }
        }

        lock (_flushLock)
        {
            if (target > _durableBytes)
            {
                Volatile.Write(ref _durableBytes, target);
            }
        }
    }

    /// <summary>Waits until the bytes appended up to <paramref name="target"/> are fsynced; concurrent callers share one fsync.</summary>
    private async ValueTask WaitDurableAsync(long target)
    {
        while (true)
        {
            TaskCompletionSource? inFlight;
            var lead = false;
            lock (_flushLock)
            {
                if (_durableBytes >= target)
                {
                    return;
                }

                inFlight = _flushInFlight;
                if (inFlight is null)
                {
                    inFlight = _flushInFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    lead = true;
                }
            }

            if (!lead)
            {
                await inFlight.Task.ConfigureAwait(false);
                continue;
            }

            try
            {
                // Off the caller's thread: the connection that appended goes on reading (its next Produce is appended
                // meanwhile and joins the next fsync), and a Produce to several partitions fsyncs them side by side —
                // on threads of their own, not the pool's (see FsyncThreads).
                await FsyncThreads.RunAsync(_flushCore).ConfigureAwait(false);
            }
            finally
            {
                lock (_flushLock)
                {
                    _flushInFlight = null;
                }

                inFlight.TrySetResult();
            }
        }
    }

    /// <summary>Flushes when anything is unflushed (the group-commit flusher calls this).</summary>
    internal void FlushIfDirty()
    {
        if (!_closed && UnflushedBytes > 0)
        {
            FlushCore();
        }
    }

    private static int FindSegment(LogSegment[] segments, long offset)
    {
        int lo = 0, hi = segments.Length - 1, found = 0;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            if (segments[mid].BaseOffset <= offset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    public void Dispose() => Close(clean: true);

    /// <summary>Closes the files without flushing, snapshotting or a checkpoint: what a crash leaves behind (for tests).</summary>
    internal void Abandon() => Close(clean: false);

    private void Close(bool clean)
    {
        lock (_appendLock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
        }

        Interlocked.Exchange(ref _dataSignal, null)?.TrySetResult(false);
        if (clean)
        {
            try
            {
                FlushCore();
                var active = _segments[^1];
                active.Seal();
                WriteProducerSnapshot(LogEndOffset, durable: true);
                new PartitionCheckpoint(active.BaseOffset, CleanShutdown: true).Write(Directory, durable: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                StorageLog.FlushFailed(_logger, $"closing {Topic}-{Partition}: {e.Message}", e);
            }
        }

        foreach (var segment in _segments)
        {
            segment.Close(delete: false);
        }
    }
}
