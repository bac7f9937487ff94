using System.Text.Json;
using Confluent.Kafka;
using Google.Protobuf;
using Platform.Telemetry;
using Platform.Telemetry.Alerts;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Services;

/// <summary>
/// Reads the <c>metrics</c> and <c>logs</c> topics from a short backfill before now, and the <c>alert-rules</c> and
/// <c>alerts</c> topics from their beginning, into the <see cref="FleetModel"/>. The consumer assigns
/// every partition itself (no group membership, no commits): each dashboard instance sees everything.
/// </summary>
public sealed partial class TelemetryConsumerService : BackgroundService
{
    private static readonly TimeSpan MetadataRefresh = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LogBackfill = TimeSpan.FromMinutes(1);
    private readonly FleetModel _model;
    private readonly LogTail _logs;
    private readonly DashboardOptions _options;
    private readonly ILogger<TelemetryConsumerService> _logger;

    public TelemetryConsumerService(FleetModel model, LogTail logs, DashboardOptions options, ILogger<TelemetryConsumerService> logger)
    {
        _model = model;
        _logs = logs;
        _options = options;
        _logger = logger;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stoppingToken)
    {
        // Metric batches are decoded and applied on one thread per core (a host always on the same one), so
        // this thread only fetches; the other topics are light and stay here.
        using var ingest = new MetricsIngest(_model, MetricsIngest.DefaultWorkers(Environment.ProcessorCount), _logger);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                ConsumeUntilFailure(ingest, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (KafkaException ex)
            {
                _model.FeedConnected = false;
                _model.FeedError = ex.Message;
                LogConsumerFailed(ex.Message);
                stoppingToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(2));
            }
        }

        _model.FeedConnected = false;
    }

    private void ConsumeUntilFailure(MetricsIngest ingest, CancellationToken stoppingToken)
    {
        var config = KafkaConfig.Consumer(_options, _options.GroupId, "platform-dashboard");

        // Only the topic is read of each record's metadata: no headers or timestamp marshalled per record.
        config.ConsumeResultFields = "topic";

        // Under load, fetches of at least 64 KiB (a few ms of a large fleet) rather than one per few records; a quiet
        // fleet waits at most FetchWaitMaxMs (100 ms) more, well within the 1 s display interval.
        config.FetchMinBytes = 64 * 1024;
        using var admin = new AdminClientBuilder(KafkaConfig.Admin(_options, "platform-dashboard-admin"))
            .SetLogHandler((_, m) => LogClient(m.Level, m.Message))
            .Build();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) =>
            {
                _model.FeedError = e.Reason;
                LogClient(SyslogLevel.Error, e.Reason);
            })
            .SetLogHandler((_, m) => LogClient(m.Level, m.Message))
            .Build();

        var assigned = new HashSet<TopicPartition>();
        var nextRefresh = DateTime.UtcNow;
        var nextForget = DateTime.UtcNow.AddMinutes(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            if (DateTime.UtcNow >= nextRefresh)
            {
                AssignNewPartitions(admin, consumer, assigned);
                // Until the metrics topic exists (the first agent creates it), look again every second.
                nextRefresh = DateTime.UtcNow + (_model.FeedConnected ? MetadataRefresh : TimeSpan.FromSeconds(1));
            }

            if (assigned.Count == 0)
            {
                stoppingToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
                continue;
            }

            ConsumeResult<byte[], byte[]>? result;
            try
            {
                // Hand the metric records read so far to the ingest threads whenever nothing more is ready at once.
                result = consumer.Consume(TimeSpan.Zero);
                if (result is null)
                {
                    ingest.Flush(stoppingToken);
                    result = consumer.Consume(TimeSpan.FromMilliseconds(250));
                }
            }
            catch (ConsumeException ex) when (!ex.Error.IsFatal)
            {
                _model.FeedError = ex.Error.Reason;
                LogConsumeError(ex.Error.Reason);
                continue;
            }

            if (result is { IsPartitionEOF: false, Message: not null })
            {
                Dispatch(result, ingest, stoppingToken);
                _model.FeedError = null;
            }

            if (DateTime.UtcNow >= nextForget)
            {
                var forgotten = _model.ForgetLongSilent();
                if (forgotten > 0)
                {
                    LogForgotten(forgotten);
                }

                nextForget = DateTime.UtcNow.AddMinutes(1);
            }
        }
    }

    private void AssignNewPartitions(IAdminClient admin, IConsumer<byte[], byte[]> consumer, HashSet<TopicPartition> assigned)
    {
        var fresh = new List<TopicPartitionOffset>();
        Metadata metadata;
        try
        {
            // One request for every topic: an unreachable broker costs one timeout, not one per topic.
            metadata = admin.GetMetadata(TimeSpan.FromSeconds(3));
        }
        catch (KafkaException ex)
        {
            _model.FeedError = ex.Message;
            LogMetadataFailed(ex.Message);
            _model.FeedConnected = false;
            return;
        }

        foreach (var topic in new[] { Topics.Metrics, Topics.Logs, Topics.AlertRules, Topics.Alerts })
        {
            var topicMetadata = metadata.Topics.FirstOrDefault(t => t.Topic == topic);
            if (topicMetadata is null || topicMetadata.Error.IsError || topicMetadata.Partitions.Count == 0)
            {
                continue;
            }

            var newPartitions = topicMetadata.Partitions
                .Select(p => new TopicPartition(topic, new Partition(p.PartitionId)))
                .Where(tp => !assigned.Contains(tp))
                .ToList();
            if (newPartitions.Count == 0)
            {
                continue;
            }

            if (topic is Topics.Metrics or Topics.Logs && !assigned.Any(tp => tp.Topic == topic))
            {
                var backfill = topic == Topics.Metrics ? _options.Backfill : LogBackfill;
                fresh.AddRange(StartOffsets(consumer, newPartitions, _model.Time.GetUtcNow() - backfill));
            }
            else
            {
                // Rules and alerts are read whole (the newest record per key is the state); a partition
                // that appears later on a topic already read is new, so it is read whole too.
                fresh.AddRange(newPartitions.Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));
            }
        }

        if (fresh.Count > 0)
        {
            consumer.IncrementalAssign(fresh);
            foreach (var tpo in fresh)
            {
                assigned.Add(tpo.TopicPartition);
            }

            if (_logger.IsEnabled(LogLevel.Information))
            {
                var partitions = string.Join(", ", fresh.Select(f => $"{f.Topic}[{f.Partition.Value}]@{f.Offset}"));
                LogAssigned(fresh.Count, partitions);
            }
        }

        _model.FeedConnected = assigned.Any(tp => tp.Topic == Topics.Metrics);
        if (_model.FeedConnected && _model.FeedError is not null && fresh.Count > 0)
        {
            _model.FeedError = null;
        }
    }

    private IEnumerable<TopicPartitionOffset> StartOffsets(IConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions, DateTimeOffset from)
    {
        try
        {
            var query = partitions.Select(tp => new TopicPartitionTimestamp(tp, new Timestamp(from.UtcDateTime))).ToList();
            return consumer.OffsetsForTimes(query, TimeSpan.FromSeconds(10))
                .Select(r => new TopicPartitionOffset(r.TopicPartition, r.Offset.Value < 0 ? Offset.End : r.Offset));
        }
        catch (KafkaException ex)
        {
            // Without offsets by time, start at the end: the live view fills from now on.
            LogOffsetsForTimesFailed(ex.Message);
            return partitions.Select(tp => new TopicPartitionOffset(tp, Offset.End));
        }
    }

    private void Dispatch(ConsumeResult<byte[], byte[]> result, MetricsIngest ingest, CancellationToken stoppingToken)
    {
        var message = result.Message;
        try
        {
            switch (result.Topic)
            {
                case Topics.Metrics:
                    if (message.Value is null)
                    {
                        _model.CountRejected();
                        return;
                    }

                    ingest.Post(message.Key, message.Value, result.Partition.Value, result.Offset.Value, stoppingToken);
                    break;
                case Topics.Logs:
                    if (message.Value is not null)
                    {
                        _logs.Apply(LogBatch.Parser.ParseFrom(message.Value));
                    }

                    break;
                case Topics.AlertRules:
                    var ruleId = message.Key is null ? null : System.Text.Encoding.UTF8.GetString(message.Key);
                    if (message.Value is null)
                    {
                        if (!string.IsNullOrEmpty(ruleId))
                        {
                            _model.Alerts.ApplyRule(ruleId, null);
                        }

                        return;
                    }

                    var rule = AlertCodec.DecodeRule(message.Value);
                    _model.Alerts.ApplyRule(string.IsNullOrEmpty(ruleId) ? rule.Id : ruleId, rule);
                    break;
                case Topics.Alerts:
                    if (message.Value is not null)
                    {
                        _model.Alerts.ApplyAlert(AlertCodec.DecodeAlert(message.Value));
                    }

                    break;
            }
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidDataException or JsonException)
        {
            if (result.Topic == Topics.Metrics)
            {
                _model.CountRejected();
            }

            LogBadRecord(result.Topic, result.Partition.Value, result.Offset.Value, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dashboard consumer failed, reconnecting: {Reason}")]
    private partial void LogConsumerFailed(string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dashboard consume error: {Reason}")]
    private partial void LogConsumeError(string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Kafka client ({Level}): {Message}")]
    private partial void LogClient(SyslogLevel level, string message);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No metadata from the broker yet: {Reason}")]
    private partial void LogMetadataFailed(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dashboard reads {Count} partitions: {Partitions}")]
    private partial void LogAssigned(int count, string partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Offsets by time unavailable, the live view starts at the end: {Reason}")]
    private partial void LogOffsetsForTimesFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unreadable record on {Topic}[{Partition}]@{Offset} skipped: {Reason}")]
    private partial void LogBadRecord(string topic, int partition, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Forgot {Count} hosts silent for too long")]
    private partial void LogForgotten(int count);
}
