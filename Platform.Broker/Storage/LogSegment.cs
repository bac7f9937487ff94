using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Platform.Broker.Storage;

/// <summary>
/// One segment of a partition: "BASE.log" (record batches exactly as appended, no header, like Kafka's), "BASE.index"
/// (sparse offset → position) and "BASE.timeindex" (sparse max timestamp → offset), BASE the 20-digit base offset.
/// One appender (under the partition's lock) and concurrent readers: the committed size and next offset are
/// published only after the bytes are written, so a reader never sees a partial batch. Readers hold a reference
/// (<see cref="TryAcquire"/>) so that retention can delete the segment while they read: its files close when the
/// last reference goes.
/// </summary>
internal sealed class LogSegment
{
    public const string LogExtension = ".log";
    public const string OffsetIndexExtension = ".index";
    public const string TimeIndexExtension = ".timeindex";

    private readonly SafeFileHandle _log;
    private readonly IndexFile<OffsetIndexEntry> _offsetIndex;
    private readonly IndexFile<TimeIndexEntry> _timeIndex;
    private long _size;
    private long _nextOffset;
    private long _maxTimestamp = -1;
    private long _maxTimestampBatchOffset;
    private int _bytesSinceIndexEntry;
    private int _references = 1;
    private volatile bool _deleteWhenReleased;

    private LogSegment(string directory, long baseOffset, SafeFileHandle log, IndexFile<OffsetIndexEntry> offsetIndex, IndexFile<TimeIndexEntry> timeIndex)
    {
        Directory = directory;
        BaseOffset = baseOffset;
        _log = log;
        _offsetIndex = offsetIndex;
        _timeIndex = timeIndex;
        _nextOffset = baseOffset;
    }

    public string Directory { get; }

    public long BaseOffset { get; }

    /// <summary>Committed bytes (whole batches only).</summary>
    public long Size => Volatile.Read(ref _size);

    /// <summary>The offset after the last committed batch (= <see cref="BaseOffset"/> when empty).</summary>
    public long NextOffset => Volatile.Read(ref _nextOffset);

    /// <summary>The largest batch max-timestamp in the segment; -1 when none.</summary>
    public long MaxTimestamp => Volatile.Read(ref _maxTimestamp);

    /// <summary>When the segment's age starts, in ms since the epoch (first append, or its first batch when reopened); -1 while empty.</summary>
    public long RollBaseTime { get; private set; } = -1;

    public string LogPath => PathFor(Directory, BaseOffset, LogExtension);

    internal IndexFile<OffsetIndexEntry> OffsetIndex => _offsetIndex;

    internal IndexFile<TimeIndexEntry> TimeIndex => _timeIndex;

    internal SafeFileHandle Handle => _log;

    public static string PathFor(string directory, long baseOffset, string extension) =>
        Path.Combine(directory, baseOffset.ToString("D20", CultureInfo.InvariantCulture) + extension);

    public static bool TryParseBaseOffset(string fileName, out long baseOffset)
    {
        baseOffset = -1;
        return fileName.Length == 20 + LogExtension.Length && fileName.EndsWith(LogExtension, StringComparison.Ordinal)
            && long.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset);
    }

    /// <summary>Creates an empty segment (replacing any files of that base offset).</summary>
    public static LogSegment Create(string directory, long baseOffset)
    {
        var log = File.OpenHandle(PathFor(directory, baseOffset, LogExtension), FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        IndexFile<OffsetIndexEntry>? offsetIndex = null;
        try
        {
            offsetIndex = IndexFile<OffsetIndexEntry>.Create(PathFor(directory, baseOffset, OffsetIndexExtension), baseOffset);
            var timeIndex = IndexFile<TimeIndexEntry>.Create(PathFor(directory, baseOffset, TimeIndexExtension), baseOffset);
            return new LogSegment(directory, baseOffset, log, offsetIndex, timeIndex);
        }
        catch
        {
            offsetIndex?.Dispose();
            log.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens an existing segment. With <paramref name="recover"/> every batch is validated (framing, offsets, CRC-32C),
    /// a torn or corrupt tail is cut off and both indexes are rebuilt. Otherwise the segment is trusted: its indexes are
    /// loaded and checked against the .log file (rebuilt when missing, stale or damaged) and only the tail after the
    /// last index entry is walked. <see cref="SegmentOpenReport"/> says what was done.
    /// </summary>
    public static LogSegment Open(string directory, long baseOffset, bool recover, int indexInterval, long nowMs, out SegmentOpenReport report)
    {
        var log = File.OpenHandle(PathFor(directory, baseOffset, LogExtension), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            var fileSize = RandomAccess.GetLength(log);
            string? offsetProblem = "rebuilt during recovery", timeProblem = "rebuilt during recovery";
            IndexFile<OffsetIndexEntry>? offsetIndex = null;
            IndexFile<TimeIndexEntry>? timeIndex = null;
            if (!recover)
            {
                offsetIndex = IndexFile<OffsetIndexEntry>.TryLoad(PathFor(directory, baseOffset, OffsetIndexExtension), baseOffset, out offsetProblem);
                timeIndex = IndexFile<TimeIndexEntry>.TryLoad(PathFor(directory, baseOffset, TimeIndexExtension), baseOffset, out timeProblem);
            }

            offsetIndex ??= IndexFile<OffsetIndexEntry>.Create(PathFor(directory, baseOffset, OffsetIndexExtension), baseOffset);
            timeIndex ??= IndexFile<TimeIndexEntry>.Create(PathFor(directory, baseOffset, TimeIndexExtension), baseOffset);
            var segment = new LogSegment(directory, baseOffset, log, offsetIndex, timeIndex);
            report = segment.Load(fileSize, recover, indexInterval, nowMs, offsetProblem, timeProblem);
            return segment;
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    private SegmentOpenReport Load(long fileSize, bool recover, int indexInterval, long nowMs, string? offsetProblem, string? timeProblem)
    {
        var rebuild = recover || offsetProblem is not null || timeProblem is not null;
        if (!rebuild)
        {
            offsetProblem = CheckIndexes(fileSize);
            rebuild = offsetProblem is not null;
        }

        if (!rebuild)
        {
            // Trusted and indexed: walk only the tail after the last offset-index entry.
            var last = _offsetIndex.Last;
            var start = last?.Position ?? 0;
            var startOffset = BaseOffset + (last?.RelativeOffset ?? 0);
            _maxTimestamp = _timeIndex.Last?.Timestamp ?? -1;
            _maxTimestampBatchOffset = BaseOffset + (_timeIndex.Last?.RelativeOffset ?? 0);
            var tail = SegmentScanner.Scan(_log, fileSize, start, startOffset, verifyCrc: false, (long _, in RecordBatchHeader h, ReadOnlySpan<byte> _) => Track(h));
            if (tail.Problem is null)
            {
                Publish(fileSize, tail.NextOffset, tail.Batches > 0 || start > 0, nowMs);
                return new SegmentOpenReport(null, null, null);
            }

            offsetProblem = $"the tail after the last index entry is damaged: {tail.Problem}";
            recover = true;
        }

        // Rebuild both indexes by scanning the whole segment (validating CRCs when recovering).
        _offsetIndex.Clear();
        _timeIndex.Clear();
        _maxTimestamp = -1;
        _bytesSinceIndexEntry = 0;
        var scan = SegmentScanner.Scan(_log, fileSize, 0, BaseOffset, recover, (long position, in RecordBatchHeader h, ReadOnlySpan<byte> _) => IndexBatch(position, h, indexInterval));
        string? truncated = null;
        if (scan.Problem is not null)
        {
            truncated = $"{scan.Problem}; truncated from {fileSize} to {scan.ValidEnd} bytes";
            RandomAccess.SetLength(_log, scan.ValidEnd);
            RandomAccess.FlushToDisk(_log);
        }

        _offsetIndex.Persist();
        _timeIndex.Persist();
        Publish(scan.ValidEnd, scan.NextOffset, scan.Batches > 0, nowMs);
        return new SegmentOpenReport(offsetProblem ?? timeProblem, truncated, scan.Problem is null ? null : scan.ValidEnd);
    }

    private void Publish(long size, long nextOffset, bool hasData, long now)
    {
        if (hasData && RollBaseTime < 0)
        {
            Span<byte> header = stackalloc byte[RecordBatchHeader.Size];
            RandomAccess.Read(_log, header, 0);
            var first = new RecordBatchHeader(header).MaxTimestamp;
            RollBaseTime = first > 0 && first <= now ? first : now;
        }

        Volatile.Write(ref _nextOffset, nextOffset);
        Volatile.Write(ref _size, size);
    }

    /// <summary>Checks a loaded offset index against the .log file; null when consistent.</summary>
    private string? CheckIndexes(long fileSize)
    {
        var previousPosition = -1;
        for (var i = 0; i < _offsetIndex.Count; i++)
        {
            var e = _offsetIndex[i];
            if (e.Position <= previousPosition || e.Position + RecordBatchHeader.Size > fileSize || e.RelativeOffset < 0)
            {
                return $"offset index entry {i} ({e}) is out of order or past the end of the {fileSize}-byte segment";
            }

            previousPosition = e.Position;
        }

        if (_offsetIndex.Last is { } last)
        {
            Span<byte> bytes = stackalloc byte[RecordBatchHeader.Size];
            RandomAccess.Read(_log, bytes, last.Position);
            var header = new RecordBatchHeader(bytes);
            if (header.BaseOffset != BaseOffset + last.RelativeOffset || header.Magic != RecordBatchHeader.CurrentMagic)
            {
                return $"the last offset index entry ({last}) does not point at the batch of that offset";
            }
        }

        if (_timeIndex.Last is { } lastTime && _offsetIndex.Last is { } lastOffset && lastTime.RelativeOffset > lastOffset.RelativeOffset)
        {
            return $"the last time index entry ({lastTime}) lies past the last offset index entry";
        }

        if (_timeIndex.Count > 0 && _offsetIndex.Count == 0)
        {
            return "the time index has entries but the offset index has none";
        }

        return null;
    }

    /// <summary>Adds index entries for a batch written at <paramref name="position"/> (every <paramref name="indexInterval"/> bytes).</summary>
    private void IndexBatch(long position, in RecordBatchHeader header, int indexInterval)
    {
        if (_bytesSinceIndexEntry >= indexInterval && (position > 0 || indexInterval == 0))
        {
            _offsetIndex.Append(new OffsetIndexEntry((int)(header.BaseOffset - BaseOffset), (int)position));
            if (_maxTimestamp >= 0 && (_timeIndex.Last is not { } lastTime || _maxTimestamp > lastTime.Timestamp))
            {
                _timeIndex.Append(new TimeIndexEntry(_maxTimestamp, (int)(_maxTimestampBatchOffset - BaseOffset)));
            }

            _bytesSinceIndexEntry = 0;
        }

        _bytesSinceIndexEntry += (int)Math.Min(int.MaxValue, header.TotalSize);
        Track(header);
    }

    private void Track(in RecordBatchHeader header)
    {
        if (header.MaxTimestamp > _maxTimestamp)
        {
            Volatile.Write(ref _maxTimestamp, header.MaxTimestamp);
            _maxTimestampBatchOffset = header.BaseOffset;
        }
    }

    /// <summary>
    /// Appends whole batches whose offsets are already assigned and continue this segment. On an IO error the file is
    /// cut back to the committed size and the error rethrown; nothing becomes visible.
    /// </summary>
    public void Append(ReadOnlySpan<byte> batches, int indexInterval, long nowMs, IStorageFaults? faults = null)
    {
        var position = _size;
        try
        {
            faults?.BeforeSegmentWrite(_log, batches, position);
            RandomAccess.Write(_log, batches, position);
        }
        catch (IOException)
        {
            try
            {
                RandomAccess.SetLength(_log, position);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // The caller checks the file length and takes the partition offline for appends if the cut failed.
            }

            throw;
        }

        long next = NextOffset;
        var p = 0;
        while (p < batches.Length)
        {
            var header = new RecordBatchHeader(batches[p..]);
            IndexBatch(position + p, header, indexInterval);
            next = header.LastOffset + 1;
            p += (int)header.TotalSize;
        }

        if (RollBaseTime < 0)
        {
            RollBaseTime = nowMs;
        }

        Volatile.Write(ref _nextOffset, next);
        Volatile.Write(ref _size, position + batches.Length);
    }

    /// <summary>The position of the batch that contains <paramref name="offset"/>, or -1 when this segment has none.</summary>
    public long FindPosition(long offset)
    {
        var size = Size;
        var i = _offsetIndex.FindLastAtOrBelow(offset - BaseOffset);
        long position = i < 0 ? 0 : _offsetIndex[i].Position;
        if (position >= size)
        {
            position = 0;
        }

        Span<byte> header = stackalloc byte[RecordBatchHeader.LastOffsetDeltaAt + 4];
        while (position + RecordBatchHeader.Size <= size)
        {
            ReadExactly(header, position);
            var baseOffset = BinaryPrimitives.ReadInt64BigEndian(header);
            var lastOffset = baseOffset + BinaryPrimitives.ReadInt32BigEndian(header[RecordBatchHeader.LastOffsetDeltaAt..]);
            if (lastOffset >= offset)
            {
                return position;
            }

            position += RecordBatchHeader.LogOverhead + (long)BinaryPrimitives.ReadInt32BigEndian(header[RecordBatchHeader.LengthAt..]);
        }

        return -1;
    }

    /// <summary>
    /// Copies whole batches from <paramref name="position"/> into <paramref name="output"/>, up to
    /// <paramref name="maxBytes"/> but at least the first batch. Returns the bytes written.
    /// </summary>
    public int ReadInto(long position, int maxBytes, IBufferWriter<byte> output)
    {
        var size = Size;
        var available = size - position;
        if (available < RecordBatchHeader.Size)
        {
            return 0;
        }

        Span<byte> lengthBytes = stackalloc byte[RecordBatchHeader.LogOverhead];
        ReadExactly(lengthBytes, position);
        var first = RecordBatchHeader.LogOverhead + BinaryPrimitives.ReadInt32BigEndian(lengthBytes[RecordBatchHeader.LengthAt..]);
        var want = (int)Math.Min(available, Math.Max(first, maxBytes));
        var span = output.GetSpan(want)[..want];
        ReadExactly(span, position);
        var whole = 0;
        while (whole + RecordBatchHeader.LogOverhead <= want)
        {
            var total = RecordBatchHeader.LogOverhead + BinaryPrimitives.ReadInt32BigEndian(span[(whole + RecordBatchHeader.LengthAt)..]);
            if (whole + total > want)
            {
                break;
            }

            whole += total;
        }

        output.Advance(whole);
        return whole;
    }

    /// <summary>Reads the whole batch at <paramref name="position"/> into a pooled buffer (the caller returns it).</summary>
    public byte[] RentBatch(long position, out int length)
    {
        Span<byte> lengthBytes = stackalloc byte[RecordBatchHeader.LogOverhead];
        ReadExactly(lengthBytes, position);
        length = RecordBatchHeader.LogOverhead + BinaryPrimitives.ReadInt32BigEndian(lengthBytes[RecordBatchHeader.LengthAt..]);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        ReadExactly(buffer.AsSpan(0, length), position);
        return buffer;
    }

    /// <summary>
    /// The first (offset, timestamp) at or after <paramref name="timestamp"/> in this segment, or null. Records of
    /// create-time batches are decoded (compressed ones inflated first) for the exact record; for a log-append-time
    /// batch (one time for all its records) the batch's base offset and max timestamp are the answer.
    /// </summary>
    public (long Offset, long Timestamp)? FindByTimestamp(long timestamp)
    {
        if (MaxTimestamp < timestamp)
        {
            return null;
        }

        var size = Size;
        var t = _timeIndex.FindLastAtOrBelow(timestamp - 1);
        var position = t < 0 ? 0 : FindPosition(BaseOffset + _timeIndex[t].RelativeOffset);
        if (position < 0)
        {
            position = 0;
        }

        Span<byte> headerBytes = stackalloc byte[RecordBatchHeader.Size];
        while (position + RecordBatchHeader.Size <= size)
        {
            ReadExactly(headerBytes, position);
            var header = new RecordBatchHeader(headerBytes);
            if (header.MaxTimestamp >= timestamp)
            {
                if (header.IsLogAppendTime)
                {
                    // Every record of the batch carries the time the broker stamped on it.
                    return (header.BaseOffset, header.MaxTimestamp);
                }

                var buffer = RentBatch(position, out var length);
                try
                {
                    if (header.Compression != 0)
                    {
                        // Inflate the records (this path only; produce and fetch keep batches compressed).
                        var inflated = BatchDecompressor.Decompress(buffer.AsSpan(0, length), out length);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = inflated;
                    }

                    var reader = new RecordReader(buffer.AsSpan(0, length));
                    while (reader.TryRead(out var record))
                    {
                        if (record.Timestamp >= timestamp)
                        {
                            return (record.Offset, record.Timestamp);
                        }
                    }
                }
                catch (InvalidDataException)
                {
                    // Records that cannot be decoded (or inflated): the batch as a whole is the best answer.
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                return (header.BaseOffset, header.MaxTimestamp);
            }

            position += header.TotalSize;
        }

        return null;
    }

    /// <summary>
    /// Records the final time-index entry and writes both indexes out (when the segment stops being active). They are
    /// not fsynced: an index lost or cut short by a power cut is found stale at the next open and rebuilt.
    /// </summary>
    public void Seal()
    {
        if (_maxTimestamp >= 0 && (_timeIndex.Last is not { } lastTime || _maxTimestamp > lastTime.Timestamp)
            && (_offsetIndex.Last is not { } lastOffset || _maxTimestampBatchOffset - BaseOffset <= lastOffset.RelativeOffset))
        {
            _timeIndex.Append(new TimeIndexEntry(_maxTimestamp, (int)(_maxTimestampBatchOffset - BaseOffset)));
        }

        PersistIndexes();
    }

    /// <summary>Forces the .log file to stable storage.</summary>
    public void Flush() => RandomAccess.FlushToDisk(_log);

    /// <summary>Writes index entries kept in memory to the index files (by the appender or under its lock).</summary>
    public void PersistIndexes()
    {
        _offsetIndex.Persist();
        _timeIndex.Persist();
    }

    /// <summary>Takes a read reference; false once the segment is being deleted or closed.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var current = Volatile.Read(ref _references);
            if (current <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            CloseFiles();
        }
    }

    /// <summary>Drops the owner's reference: the files close (and, when <paramref name="delete"/>, are deleted) after the last reader.</summary>
    public void Close(bool delete)
    {
        _deleteWhenReleased = delete;
        Release();
    }

    private void CloseFiles()
    {
        _offsetIndex.Dispose();
        _timeIndex.Dispose();
        _log.Dispose();
        if (_deleteWhenReleased)
        {
            DeleteFiles(Directory, BaseOffset);
        }
    }

    public static void DeleteFiles(string directory, long baseOffset)
    {
        File.Delete(PathFor(directory, baseOffset, LogExtension));
        File.Delete(PathFor(directory, baseOffset, OffsetIndexExtension));
        File.Delete(PathFor(directory, baseOffset, TimeIndexExtension));
    }

    private void ReadExactly(Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            var n = RandomAccess.Read(_log, buffer, offset);
            if (n == 0)
            {
                throw new EndOfStreamException($"Segment {LogPath} ended at byte {offset}.");
            }

            buffer = buffer[n..];
            offset += n;
        }
    }
}

/// <summary>What opening a segment found: an index that had to be rebuilt (why), a tail that was cut off (why, and the new size).</summary>
internal readonly record struct SegmentOpenReport(string? IndexRebuilt, string? Truncated, long? TruncatedTo);
