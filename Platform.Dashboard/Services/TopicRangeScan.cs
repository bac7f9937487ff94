using System.Diagnostics;
using Confluent.Kafka;

namespace Platform.Dashboard.Services;

/// <summary>
/// Reads a time range of one topic back from the log: finds each partition's offsets for the range's start and end by
/// timestamp (ListOffsets; a partition with no record after the end is read to its end now), assigns the consumer there,
/// and hands every record up to the end to the caller. Stops early, saying so, after a number of records or a duration.
/// </summary>
internal static class TopicRangeScan
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A consumer for one scan: the dashboard's client settings, short fetch waits, its client's log and
    /// errors sent to <paramref name="log"/>.</summary>
    public static IConsumer<byte[], byte[]> CreateConsumer(DashboardOptions options, string clientId, Action<SyslogLevel, string> log)
    {
        var config = KafkaConfig.Consumer(options, options.GroupId, clientId);
        config.FetchWaitMaxMs = 50;
        return new ConsumerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, m) => log(m.Level, m.Message))
            .SetErrorHandler((_, e) => log(SyslogLevel.Error, e.Reason))
            .Build();
    }

    /// <summary>Scans <paramref name="topic"/> from the first record at or after <paramref name="startAt"/> up to the first
    /// at or after <paramref name="endAt"/>, calling <paramref name="onRecord"/> for each.</summary>
    /// <returns>How many records were read, and whether the scan stopped before the range's end.</returns>
    public static (long Scanned, bool Truncated) Run(
        IConsumer<byte[], byte[]> consumer,
        string topic,
        DateTimeOffset startAt,
        DateTimeOffset endAt,
        long maxRecords,
        TimeSpan maxDuration,
        Action<ConsumeResult<byte[], byte[]>> onRecord,
        CancellationToken cancellationToken,
        IReadOnlyList<TopicPartition>? only = null)
    {
        var clock = Stopwatch.StartNew();
        var partitions = only ?? Partitions(consumer, topic);
        if (partitions.Count == 0)
        {
            return (0, false);
        }

        var starts = consumer.OffsetsForTimes(
            partitions.Select(p => new TopicPartitionTimestamp(p, new Timestamp(startAt.UtcDateTime))).ToList(), RequestTimeout);
        var ends = consumer.OffsetsForTimes(
            partitions.Select(p => new TopicPartitionTimestamp(p, new Timestamp(endAt.UtcDateTime))).ToList(), RequestTimeout)
            .ToDictionary(e => e.Partition, e => e.Offset.Value);
        var remaining = new Dictionary<Partition, long>();
        var assignment = new List<TopicPartitionOffset>();
        foreach (var start in starts)
        {
            var end = ends.TryGetValue(start.Partition, out var e) && e >= 0
                ? e
                : consumer.QueryWatermarkOffsets(start.TopicPartition, RequestTimeout).High.Value;
            if (start.Offset.Value < 0 || start.Offset.Value >= end)
            {
                continue;
            }

            remaining[start.Partition] = end;
            assignment.Add(start);
        }

        consumer.Assign(assignment);
        long scanned = 0;
        while (remaining.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (scanned >= maxRecords || clock.Elapsed > maxDuration)
            {
                return (scanned, true);
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                remaining.Remove(result.Partition);
                continue;
            }

            if (!remaining.TryGetValue(result.Partition, out var last))
            {
                continue;
            }

            scanned++;
            if (result.Offset.Value + 1 >= last)
            {
                remaining.Remove(result.Partition);
                consumer.IncrementalUnassign([result.TopicPartition]);
            }

            onRecord(result);
        }

        return (scanned, false);
    }

    /// <summary>The first offset at or after <paramref name="at"/> in one partition, or its end now when no record is that new.</summary>
    public static long OffsetAt(IConsumer<byte[], byte[]> consumer, TopicPartition partition, DateTimeOffset at)
    {
        var offset = consumer.OffsetsForTimes([new TopicPartitionTimestamp(partition, new Timestamp(at.UtcDateTime))], RequestTimeout)[0].Offset.Value;
        return offset >= 0 ? offset : consumer.QueryWatermarkOffsets(partition, RequestTimeout).High.Value;
    }

    /// <summary>
    /// Samples one partition over a range instead of reading all of it: splits the range into <paramref name="buckets"/>,
    /// finds each bucket's first offset by timestamp and reads from there until <paramref name="onRecord"/> has accepted
    /// <paramref name="perBucket"/> records or the bucket ends. A long range of a busy partition so costs about
    /// buckets × perBucket × (records per accepted record) reads, whatever its length.
    /// </summary>
    /// <returns>How many records were read, and whether the scan stopped before the range's end.</returns>
    public static (long Scanned, bool Truncated) RunSampled(
        IConsumer<byte[], byte[]> consumer,
        TopicPartition partition,
        DateTimeOffset startAt,
        DateTimeOffset endAt,
        int buckets,
        int perBucket,
        TimeSpan maxDuration,
        Func<ConsumeResult<byte[], byte[]>, bool> onRecord,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var width = (endAt - startAt) / buckets;
        var next = OffsetAt(consumer, partition, startAt);
        long scanned = 0;
        for (var i = 0; i < buckets; i++)
        {
            var start = next;
            next = OffsetAt(consumer, partition, i == buckets - 1 ? endAt : startAt + (width * (i + 1)));
            if (start >= next)
            {
                continue;
            }

            consumer.Assign([new TopicPartitionOffset(partition, start)]);
            var accepted = 0;
            while (accepted < perBucket)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (clock.Elapsed > maxDuration)
                {
                    return (scanned, true);
                }

                var result = consumer.Consume(TimeSpan.FromMilliseconds(500));
                if (result is null)
                {
                    continue;
                }

                if (result.IsPartitionEOF)
                {
                    break;
                }

                scanned++;
                if (onRecord(result))
                {
                    accepted++;
                }

                if (result.Offset.Value + 1 >= next)
                {
                    break;
                }
            }
        }

        consumer.Unassign();
        return (scanned, false);
    }

    public static List<TopicPartition> Partitions(IConsumer<byte[], byte[]> consumer, string topic)
    {
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var metadata = admin.GetMetadata(topic, RequestTimeout).Topics.FirstOrDefault(t => t.Topic == topic);
        return metadata is null || metadata.Error.IsError
            ? []
            : metadata.Partitions.Select(p => new TopicPartition(topic, new Partition(p.PartitionId))).ToList();
    }
}
