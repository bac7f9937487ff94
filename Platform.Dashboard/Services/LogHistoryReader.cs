using System.Diagnostics;
using Confluent.Kafka;
using Google.Protobuf;
using Platform.Telemetry;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Services;

/// <summary>The lines of a time range read back from the log, and whether the read stopped before the range's end.</summary>
public sealed record LogHistory(IReadOnlyList<LogLine> Lines, long Scanned, bool Truncated);

/// <summary>
/// Reads the log lines of a time range back from the <c>logs</c> topic (not only the live tail): finds each
/// partition's offsets for the range by timestamp (ListOffsets), reads up to the range's end and keeps the lines that
/// pass the filter, at most <see cref="MaxLines"/> (the newest ones).
/// </summary>
public sealed partial class LogHistoryReader(DashboardOptions options, ILogger<LogHistoryReader> logger)
{
    /// <summary>Records (batches) produced this long before the range may still hold lines of it (agents spool while the broker is away).</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromMinutes(2);

    public int MaxLines { get; init; } = 2000;

    public long MaxRecords { get; init; } = 500_000;

    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromSeconds(20);

    /// <exception cref="ArgumentException">The range is empty or reversed.</exception>
    public Task<LogHistory> ReadAsync(DateTimeOffset from, DateTimeOffset to, Func<LogLine, bool> filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (to <= from)
        {
            throw new ArgumentException($"The time range must end after it starts (from {from:O}, to {to:O}).", nameof(to));
        }

        return Task.Run(() => Read(from, to, filter, cancellationToken), cancellationToken);
    }

    private LogHistory Read(DateTimeOffset from, DateTimeOffset to, Func<LogLine, bool> filter, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var fromMs = from.ToUnixTimeMilliseconds();
        var toMs = to.ToUnixTimeMilliseconds();
        var lines = new List<LogLine>();
        long scanned = 0;
        long sequence = 0;
        var truncated = false;

        var config = KafkaConfig.Consumer(options, options.GroupId, "platform-dashboard-log-history");
        config.FetchWaitMaxMs = 50;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, m) => LogClient(m.Level, m.Message))
            .SetErrorHandler((_, e) => LogClient(SyslogLevel.Error, e.Reason))
            .Build();

        List<TopicPartition> partitions;
        using (var admin = new DependentAdminClientBuilder(consumer.Handle).Build())
        {
            var topic = admin.GetMetadata(Topics.Logs, TimeSpan.FromSeconds(10)).Topics.FirstOrDefault(t => t.Topic == Topics.Logs);
            partitions = topic is null || topic.Error.IsError
                ? []
                : topic.Partitions.Select(p => new TopicPartition(Topics.Logs, new Partition(p.PartitionId))).ToList();
        }

        if (partitions.Count == 0)
        {
            return new LogHistory([], 0, false);
        }

        var starts = consumer.OffsetsForTimes(
            partitions.Select(p => new TopicPartitionTimestamp(p, new Timestamp((from - Slack).UtcDateTime))).ToList(), TimeSpan.FromSeconds(10));
        var ends = consumer.OffsetsForTimes(
            partitions.Select(p => new TopicPartitionTimestamp(p, new Timestamp((to + Slack).UtcDateTime))).ToList(), TimeSpan.FromSeconds(10))
            .ToDictionary(e => e.Partition, e => e.Offset.Value);
        var remaining = new Dictionary<Partition, long>();
        var assignment = new List<TopicPartitionOffset>();
        foreach (var start in starts)
        {
            var end = ends.TryGetValue(start.Partition, out var e) && e >= 0
                ? e
                : consumer.QueryWatermarkOffsets(start.TopicPartition, TimeSpan.FromSeconds(10)).High.Value;
            if (start.Offset.Value < 0 || start.Offset.Value >= end)
            {
                continue;
            }

            remaining[start.Partition] = end;
            assignment.Add(start);
        }

        consumer.Assign(assignment);
        while (remaining.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (scanned >= MaxRecords || clock.Elapsed > MaxDuration)
            {
                truncated = true;
                break;
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

            if (!remaining.TryGetValue(result.Partition, out var end))
            {
                continue;
            }

            scanned++;
            if (result.Offset.Value + 1 >= end)
            {
                remaining.Remove(result.Partition);
                consumer.IncrementalUnassign([result.TopicPartition]);
            }

            if (result.Message.Value is not { } value)
            {
                continue;
            }

            try
            {
                var batch = LogBatch.Parser.ParseFrom(value);
                foreach (var record in batch.Records)
                {
                    var atMs = record.TimestampUnixMs == 0 ? batch.TimestampUnixMs : record.TimestampUnixMs;
                    if (atMs < fromMs || atMs > toMs)
                    {
                        continue;
                    }

                    var line = new LogLine(sequence++, batch.HostId, DateTimeOffset.FromUnixTimeMilliseconds(atMs), record.Source, record.Severity, record.Message);
                    if (filter(line))
                    {
                        lines.Add(line);
                    }
                }
            }
            catch (InvalidProtocolBufferException ex)
            {
                LogBadRecord(result.Partition.Value, result.Offset.Value, ex.Message);
            }
        }

        // Partitions interleave: order by time, keep the newest.
        var ordered = lines.OrderBy(l => l.At).ThenBy(l => l.Sequence).ToList();
        if (ordered.Count > MaxLines)
        {
            ordered = ordered[^MaxLines..];
            truncated = true;
        }

        LogRead(ordered.Count, scanned, clock.ElapsedMilliseconds);
        return new LogHistory(ordered, scanned, truncated);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Kafka client ({Level}): {Message}")]
    private partial void LogClient(SyslogLevel level, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unreadable logs record at [{Partition}]@{Offset} skipped: {Reason}")]
    private partial void LogBadRecord(int partition, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Log history: {Lines} lines from {Records} records in {Milliseconds} ms")]
    private partial void LogRead(int lines, long records, long milliseconds);
}
