using Confluent.Kafka;
using Platform.Telemetry;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Service;

/// <summary>Which records of <c>alerts</c> a history query wants.</summary>
internal sealed record AlertHistoryQuery
{
    public AlertState? State { get; init; }

    public string? RuleId { get; init; }

    public string? Host { get; init; }

    /// <summary>Label equalities every record must have.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = [];

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public int Limit { get; init; } = 200;

    public bool Matches(AlertTransition record)
    {
        if (State is { } state && record.State != state
            || RuleId is { } rule && !string.Equals(record.RuleId, rule, StringComparison.Ordinal)
            || Host is { } host && !string.Equals(record.Labels.GetValueOrDefault("host"), host, StringComparison.Ordinal)
            || From is { } from && record.At < from
            || To is { } to && record.At > to)
        {
            return false;
        }

        foreach (var (name, value) in Labels)
        {
            if (!string.Equals(record.Labels.GetValueOrDefault(name), value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// Every record of the <c>alerts</c> topic (each transition, notification, acknowledgement and escalation), read back
/// on demand, newest first. At most <see cref="MaxScan"/> records are read per partition and query, and they are the
/// newest of the range: per partition the scan ends at the first record after <see cref="AlertHistoryQuery.To"/> (ListOffsets
/// by timestamp; the partition's end without To) and starts <see cref="MaxScan"/> records before that, but not before
/// the first record at or after <see cref="AlertHistoryQuery.From"/>.
/// </summary>
internal static class AlertHistory
{
    public const int MaxScan = 100_000;

    /// <summary>
    /// How far after To a record's broker timestamp (its produce time) may be while its own time is still within To: a
    /// record produced later than that (replayed after a longer outage) is missed by a query whose range ends at To.
    /// </summary>
    private static readonly TimeSpan ProduceDelay = TimeSpan.FromMinutes(5);

    public static List<AlertTransition> Read(AlertingOptions options, AlertHistoryQuery query, TimeSpan timeout, CancellationToken cancellationToken, int maxScan = MaxScan)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxScan);
        using var reader = new ConsumerBuilder<string, byte[]>(KafkaConfig.Reader(options, "history")).Build();
        var wait = TimeSpan.FromSeconds(5);
        var metadataPartitions = Partitions(options, wait);
        var ends = new Dictionary<int, long>();
        var assign = new List<TopicPartitionOffset>();
        var byTime = query.From is { } from
            ? reader.OffsetsForTimes(metadataPartitions.Select(p => new TopicPartitionTimestamp(new TopicPartition(Topics.Alerts, p), new Timestamp(from.UtcDateTime))), wait)
            : [];
        var untilTime = query.To is { } until
            ? reader.OffsetsForTimes(metadataPartitions.Select(p => new TopicPartitionTimestamp(new TopicPartition(Topics.Alerts, p), new Timestamp((until + ProduceDelay).UtcDateTime))), wait)
            : [];
        foreach (var partition in metadataPartitions)
        {
            var tp = new TopicPartition(Topics.Alerts, partition);
            var marks = reader.QueryWatermarkOffsets(tp, wait);

            // The scan budget goes to the newest records of the range: a busy range is cut at its old end, never its new one.
            var end = marks.High.Value;
            if (untilTime.FirstOrDefault(t => t.Partition.Value == partition) is { Offset.Value: >= 0 } cut)
            {
                end = Math.Min(end, cut.Offset.Value);
            }

            var begin = Math.Max(marks.Low.Value, end - maxScan);
            if (byTime.FirstOrDefault(t => t.Partition.Value == partition) is { } found)
            {
                // No record at or after From: nothing to read in this partition.
                begin = found.Offset.Value < 0 ? end : Math.Max(begin, found.Offset.Value);
            }

            if (begin < end)
            {
                ends[partition] = end;
                assign.Add(new TopicPartitionOffset(tp, begin));
            }
        }

        var result = new List<AlertTransition>();
        if (assign.Count == 0)
        {
            return result;
        }

        reader.Assign(assign);
        var deadline = DateTime.UtcNow + timeout;
        while (ends.Count > 0 && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            var consumed = reader.Consume(TimeSpan.FromMilliseconds(200));
            if (consumed?.Message is null || !ends.TryGetValue(consumed.Partition.Value, out var end))
            {
                continue;
            }

            if (consumed.Offset.Value < end && consumed.Message.Value is { } value)
            {
                try
                {
                    var record = AlertCodec.DecodeAlert(value);
                    if (query.To is { } to && record.At > to && query.From is not null)
                    {
                        // Records are written in time order per partition: past To, the rest is later still.
                        ends.Remove(consumed.Partition.Value);
                        continue;
                    }

                    if (query.Matches(record))
                    {
                        result.Add(record);
                    }
                }
                catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or InvalidOperationException or NotSupportedException)
                {
                    // A malformed record is not history anybody can read.
                }
            }

            if (consumed.Offset.Value + 1 >= end)
            {
                ends.Remove(consumed.Partition.Value);
            }
        }

        reader.Close();
        return [.. result.OrderByDescending(r => r.At).Take(query.Limit)];
    }

    private static List<int> Partitions(AlertingOptions options, TimeSpan wait)
    {
        using var admin = new AdminClientBuilder(KafkaConfig.Admin(options)).Build();
        var metadata = admin.GetMetadata(Topics.Alerts, wait);
        return [.. metadata.Topics.SingleOrDefault(t => t.Topic == Topics.Alerts)?.Partitions.Select(p => p.PartitionId) ?? []];
    }
}
