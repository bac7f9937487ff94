using Microsoft.Extensions.Logging;

namespace Platform.Broker.Storage;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Opens (creating when new) the partition in <paramref name="directory"/> and recovers it: segments from the
    /// checkpoint's recovery point on (all of them without a checkpoint, always the active one) are validated batch by
    /// batch and a torn or corrupt tail is cut off (segments after a damaged one are deleted); indexes are rebuilt when
    /// missing, stale or damaged; the producer state is loaded from its snapshot and replayed from the log after it.
    /// </summary>
    internal static PartitionLog Open(TopicLog topic, int partition, string directory, LogOptions options, ILogger logger, Action<PartitionLog>? flushRequested)
    {
        System.IO.Directory.CreateDirectory(directory);
        var indexInterval = topic.EffectiveConfig.IndexIntervalBytes!.Value;
        var bases = new List<long>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(path);
            if (name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                File.Delete(path);
            }
            else if (LogSegment.TryParseBaseOffset(name, out var baseOffset))
            {
                bases.Add(baseOffset);
            }
        }

        bases.Sort();
        DeleteOrphanIndexes(directory, bases);
        var checkpoint = PartitionCheckpoint.TryRead(directory, out _);
        var segments = new List<LogSegment>();
        try
        {
            for (var i = 0; i < bases.Count; i++)
            {
                var isLast = i == bases.Count - 1;
                var recover = isLast || checkpoint is null || bases[i + 1] > checkpoint.Value.RecoveryPoint;
                var segment = LogSegment.Open(directory, bases[i], recover, indexInterval, options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds(), out var report);
                if (report.IndexRebuilt is not null && !recover)
                {
                    StorageLog.IndexRebuilt(logger, topic.Name, partition, bases[i], report.IndexRebuilt);
                }

                if (segments.Count > 0 && segment.BaseOffset != segments[^1].NextOffset)
                {
                    // Offsets are contiguous across segments. A gap means the segment before lost its tail (cut at a
                    // batch boundary); an overlap means this one is stale. Either way the log ends where the segment
                    // before ends: this and later ones go.
                    StorageLog.SegmentTruncated(logger, topic.Name, partition, bases[i], $"starts at offset {bases[i]} but the segment before ends at {segments[^1].NextOffset}");
                    segment.Close(delete: true);
                    DropFrom(directory, bases, i + 1, logger, topic.Name, partition);
                    break;
                }

                segments.Add(segment);
                if (report.Truncated is not null)
                {
                    StorageLog.SegmentTruncated(logger, topic.Name, partition, bases[i], report.Truncated);
                    if (!isLast)
                    {
                        DropFrom(directory, bases, i + 1, logger, topic.Name, partition);
                        break;
                    }
                }
            }

            if (segments.Count == 0)
            {
                segments.Add(LogSegment.Create(directory, 0));
            }
        }
        catch
        {
            foreach (var segment in segments)
            {
                segment.Close(delete: false);
            }

            throw;
        }

        var log = new PartitionLog(topic, partition, directory, options, logger, flushRequested, [.. segments]);
        try
        {
            log.RecoverProducerState();

            // What recovery validated is made durable, so the next recovery can start at the active segment.
            foreach (var segment in segments)
            {
                segment.Flush();
            }

            new PartitionCheckpoint(segments[^1].BaseOffset, CleanShutdown: false).Write(directory, durable: true);
            DirectorySync.Flush(directory);
        }
        catch
        {
            log.Close(clean: false);
            throw;
        }

        StorageLog.PartitionOpened(logger, topic.Name, partition, log.LogStartOffset, log.LogEndOffset, segments.Count, log._producers.Count,
            bases.Count == 0 ? "new partition" : checkpoint is { CleanShutdown: true } ? "after a clean shutdown" : "after an unclean shutdown: tail validated");
        return log;
    }

    private static void DeleteOrphanIndexes(string directory, List<long> bases)
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(path);
            var stem = Path.GetFileNameWithoutExtension(name);
            var extension = Path.GetExtension(name);
            if ((extension == LogSegment.OffsetIndexExtension || extension == LogSegment.TimeIndexExtension)
                && LogSegment.TryParseBaseOffset(stem + LogSegment.LogExtension, out var baseOffset) && bases.BinarySearch(baseOffset) < 0)
            {
                File.Delete(path);
            }
        }
    }

    private static void DropFrom(string directory, List<long> bases, int from, ILogger logger, string topic, int partition)
    {
        if (from >= bases.Count)
        {
            return;
        }

        StorageLog.SegmentDroppedAfterDamage(logger, topic, partition, bases[from]);
        for (var j = from; j < bases.Count; j++)
        {
            LogSegment.DeleteFiles(directory, bases[j]);
        }
    }

    /// <summary>Loads the producer snapshot and replays the batches after it (or the whole log when it is unusable).</summary>
    private void RecoverProducerState()
    {
        var from = LogStartOffset;
        var bytes = MetadataFile.TryReadAll(Path.Combine(Directory, ProducerStateManager.SnapshotFileName));
        if (bytes is not null)
        {
            try
            {
                var covered = _producers.LoadSnapshot(bytes);
                if (covered > LogEndOffset)
                {
                    _producers.Clear();
                    StorageLog.ProducerSnapshotIgnored(_logger, Topic, Partition, $"snapshot at offset {covered} is ahead of the recovered log end {LogEndOffset}");
                }
                else
                {
                    from = Math.Max(covered, from);
                }
            }
            catch (InvalidDataException e)
            {
                _producers.Clear();
                StorageLog.ProducerSnapshotIgnored(_logger, Topic, Partition, e.Message);
            }
        }

        Span<byte> first = stackalloc byte[8];
        foreach (var segment in _segments)
        {
            if (segment.NextOffset <= from)
            {
                continue;
            }

            var position = segment.BaseOffset >= from ? 0 : segment.FindPosition(from);
            if (position < 0)
            {
                continue;
            }

            RandomAccess.Read(segment.Handle, first, position);
            var scan = SegmentScanner.Scan(segment.Handle, segment.Size, position, RecordBatchHeader.ReadBaseOffset(first), verifyCrc: false,
                (long _, in RecordBatchHeader h, ReadOnlySpan<byte> _) =>
                {
                    if (h.ProducerId >= 0 && h.BaseOffset >= from)
                    {
                        _producers.Update(h);
                    }
                });
            if (scan.Problem is not null)
            {
                throw new InvalidDataException($"Segment {segment.LogPath} changed during recovery: {scan.Problem}.");
            }
        }
    }
}
