using System.Diagnostics;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Google.Protobuf;
using Platform.Telemetry;
using Platform.Telemetry.Decoding;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Services;

/// <summary>The lines of a time range read back from the log, and whether the read stopped before the range's end.</summary>
public sealed record LogHistory(IReadOnlyList<LogLine> Lines, long Scanned, bool Truncated);

/// <summary>
/// Reads the log lines of a time range back from the <c>logs</c> topic (not only the live tail): finds each
/// partition's offsets for the range by timestamp (ListOffsets), reads up to the range's end and keeps the lines that
/// pass the filter, at most <see cref="MaxLines"/> (the newest ones). Given one host, it reads only the partition the
/// host's key goes to (agents key <c>logs</c> by host id, as <c>metrics</c>; <see cref="KeyPartitioner"/>), and every
/// partition only when that one holds none of the host's records (the partition count changed since). It waits for one
/// of the <see cref="DashboardOptions.MaxConcurrentHistoryReads"/> slots it shares with <see cref="HistoryReader"/>.
/// </summary>
public sealed partial class LogHistoryReader(DashboardOptions options, ILogger<LogHistoryReader> logger, HistoryReader? shared = null) : IDisposable
{
    private readonly SemaphoreSlim? _ownScans = shared is null ? new SemaphoreSlim(options.MaxConcurrentHistoryReads, options.MaxConcurrentHistoryReads) : null;

    /// <summary>Records (batches) produced this long before the range may still hold lines of it (agents spool while the broker is away).</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromMinutes(2);

    public int MaxLines { get; init; } = 2000;

    public long MaxRecords { get; init; } = 500_000;

    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromSeconds(20);

    private SemaphoreSlim Scans => shared?.Scans ?? _ownScans!;

    public void Dispose() => _ownScans?.Dispose();

    /// <summary>The lines of [<paramref name="from"/>, <paramref name="to"/>] that pass <paramref name="filter"/>; with
    /// <paramref name="host"/> (an exact host id) only that host's partition is read, the filter still applies.</summary>
    /// <exception cref="ArgumentException">The range is empty or reversed.</exception>
    public async Task<LogHistory> ReadAsync(DateTimeOffset from, DateTimeOffset to, Func<LogLine, bool> filter, CancellationToken cancellationToken, string? host = null)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (to <= from)
        {
            throw new ArgumentException($"The time range must end after it starts (from {from:O}, to {to:O}).", nameof(to));
        }

        await Scans.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() => Read(from, to, filter, string.IsNullOrEmpty(host) ? null : host, cancellationToken), cancellationToken);
        }
        finally
        {
            Scans.Release();
        }
    }

    private LogHistory Read(DateTimeOffset from, DateTimeOffset to, Func<LogLine, bool> filter, string? host, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var fromMs = from.ToUnixTimeMilliseconds();
        var toMs = to.ToUnixTimeMilliseconds();
        var lines = new List<LogLine>();
        long sequence = 0;
        var key = host is null ? null : TelemetryCodec.EncodeKey(host);
        var hostRecords = 0L;
        var positions = new Dictionary<string, DeliveryPosition>(StringComparer.Ordinal); // per host: repeats left out

        using var consumer = TopicRangeScan.CreateConsumer(options, "platform-dashboard-log-history", LogClient);
        void Take(ConsumeResult<byte[], byte[]> result)
        {
            if (result.Message.Value is not { } value
                || (key is not null && (result.Message.Key is null || !key.AsSpan().SequenceEqual(result.Message.Key))))
            {
                return;
            }

            hostRecords++;

            try
            {
                var batch = LogBatch.Parser.ParseFrom(value);
                ref var position = ref CollectionsMarshal.GetValueRefOrAddDefault(positions, batch.HostId, out _);
                if (!position.Advance(batch.AgentRunId, batch.Sequence))
                {
                    return;
                }

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

        // Records (batches) produced a little before or after the range may still hold lines of it.
        List<TopicPartition>? only = null;
        var partitions = key is null ? [] : TopicRangeScan.Partitions(consumer, Topics.Logs);
        if (key is not null && partitions.Count > 1)
        {
            only = [KeyPartitioner.PartitionOf(partitions, key)];
        }

        var (scanned, truncated) = TopicRangeScan.Run(consumer, Topics.Logs, from - Slack, to + Slack, MaxRecords, MaxDuration, Take, cancellationToken, only);
        if (only is not null && hostRecords == 0 && !truncated)
        {
            // None of the host's records where its key goes now: written under another partition count, read everything.
            var (all, allTruncated) = TopicRangeScan.Run(consumer, Topics.Logs, from - Slack, to + Slack, MaxRecords - scanned, MaxDuration - clock.Elapsed, Take, cancellationToken);
            scanned += all;
            truncated = allTruncated;
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
