namespace Platform.Broker.Storage;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Deletes the oldest whole segments past the topic's retention: by age (a segment whose newest record is older than
    /// retention.ms; an expired active segment is rolled first) and by size (while the partition would still hold at
    /// least retention.bytes without the segment; never the active one). Returns the number of segments deleted.
    /// </summary>
    internal int EnforceRetention()
    {
        var config = _topic.EffectiveConfig;
        var retentionMs = config.RetentionMs!.Value;
        var retentionBytes = config.RetentionBytes!.Value;
        var now = _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        LogSegment[] doomed;
        lock (_appendLock)
        {
            if (_closed)
            {
                return 0;
            }

            var segments = _segments;
            var count = 0;
            if (retentionMs >= 0)
            {
                while (count < segments.Length && segments[count].Size > 0 && now - NewestTimestamp(segments[count]) > retentionMs)
                {
                    count++;
                }
            }

            if (retentionBytes >= 0)
            {
                long excess = -retentionBytes;
                foreach (var segment in segments)
                {
                    excess += segment.Size;
                }

                for (var i = 0; i < segments.Length - 1; i++)
                {
                    if (i < count)
                    {
                        excess -= segments[i].Size;
                    }
                    else if (excess - segments[i].Size >= 0)
                    {
                        excess -= segments[i].Size;
                        count = i + 1;
                    }
                    else
                    {
                        break;
                    }
                }
            }

            if (count == 0)
            {
                return 0;
            }

            if (count == segments.Length)
            {
                try
                {
                    Roll(LogEndOffset);
                }
                catch (IOException)
                {
                    count--;
                    if (count == 0)
                    {
                        return 0;
                    }
                }

                segments = _segments;
            }

            doomed = segments[..count];
            Volatile.Write(ref _segments, segments[count..]);
            foreach (var segment in doomed)
            {
                _unflushed.Remove(segment);
            }

            _producers.RemoveBefore(segments[count].BaseOffset);
        }

        foreach (var segment in doomed)
        {
            segment.Close(delete: true);
        }

        StorageLog.RetentionDeleted(_logger, Topic, Partition, doomed.Length, LogStartOffset);
        return doomed.Length;
    }

    private static long NewestTimestamp(LogSegment segment)
    {
        var newest = segment.MaxTimestamp;
        if (newest >= 0)
        {
            return newest;
        }

        try
        {
            return new DateTimeOffset(File.GetLastWriteTimeUtc(segment.LogPath)).ToUnixTimeMilliseconds();
        }
        catch (IOException)
        {
            return long.MaxValue;
        }
    }
}
