using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Alerting.Evaluation;
using Platform.Telemetry;
using Platform.Telemetry.Alerts;
using Platform.Telemetry.V1;

namespace Platform.Alerting.Service;

/// <summary>
/// The evaluation loop: one thread owns the <see cref="AlertEngine"/>, consumes <c>metrics</c> and <c>logs</c> in the
/// consumer group (instances split the partitions and so the hosts), applies rule, silence, channel and alert changes
/// from the contract topics, ticks the clock, publishes every alert record and dispatches notifications.
/// </summary>
internal sealed partial class AlertingService(AlertingRuntime runtime, ILogger<AlertingService> logger) : BackgroundService
{
    private readonly ConcurrentQueue<Action<AlertEngine>> _commands = new();
    private readonly Dictionary<string, int> _hostPartitions = new(StringComparer.Ordinal);
    private AlertEngine? _engine;

    /// <summary>Partitions of <c>metrics</c> and <c>logs</c> this instance evaluates (for diagnostics and tests).</summary>
    public IReadOnlyList<TopicPartition> Assignment { get; private set; } = [];

    /// <summary>Samples and log batches taken so far.</summary>
    public long BatchesEvaluated => Interlocked.Read(ref _batches);

    private long _batches;

    /// <summary>Batches dropped as repeats of one already applied (live or read back at assignment).</summary>
    public long DuplicateBatches => Interlocked.Read(ref _duplicates);

    private long _duplicates;

    /// <summary>Clock ticks run so far.</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    private long _ticks;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => RunAsync(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            await runtime.StartAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            LogStartFailed(logger, runtime.Options.Bootstrap, e);
            throw;
        }

        var options = runtime.Options;
        var engine = _engine = new AlertEngine(runtime.Time, new AlertEngineOptions
        {
            Instance = runtime.Instance,
            RepeatInterval = options.RepeatInterval,
            GroupWait = options.GroupWait,
            StaleAfter = options.StaleAfter,
            SeriesSeen = descriptor => runtime.Catalog.Observe(descriptor.Name),
        });

        runtime.Rules.Changed += (id, rule) => _commands.Enqueue(e => ApplyRule(e, id, rule));
        runtime.Silences.Changed += (id, silence) => _commands.Enqueue(e =>
        {
            if (silence is null)
            {
                e.RemoveSilence(id);
            }
            else
            {
                e.UpsertSilence(silence);
            }
        });
        runtime.Channels.Changed += (id, channel) => _commands.Enqueue(e =>
        {
            if (channel is null)
            {
                e.RemoveChannel(id);
            }
            else
            {
                e.UpsertChannel(channel);
            }
        });
        runtime.Alerts.Changed += (_, alert) =>
        {
            // This instance's own records describe state it already has; acknowledgements come from anybody.
            if (alert is not null && (alert.Instance != runtime.Instance || alert.Event == AlertEvent.Acknowledged))
            {
                _commands.Enqueue(e => e.Observe(alert));
            }
        };

        foreach (var (id, rule) in runtime.Rules.Items)
        {
            ApplyRule(engine, id, rule);
        }

        foreach (var silence in runtime.Silences.Items.Values)
        {
            engine.UpsertSilence(silence);
        }

        foreach (var channel in runtime.Channels.Items.Values)
        {
            engine.UpsertChannel(channel);
        }

        foreach (var alert in runtime.Alerts.Items.Values)
        {
            engine.Observe(alert);
        }

        Drain(engine);
        // Keys are not read (the batch names its host); values are decoded by the engine's decoder inside Consume.
        using var consumer = new ConsumerBuilder<Ignore, TelemetryRecord?>(KafkaConfig.Group(options, runtime.Instance))
            .SetValueDeserializer(new TelemetryRecord.Deserializer(engine.Decoder))
            .SetPartitionsAssignedHandler((c, partitions) => OnAssigned(c, engine, partitions))
            .SetPartitionsRevokedHandler((c, partitions) => OnRevoked(engine, partitions.Select(p => p.TopicPartition)))
            .SetPartitionsLostHandler((c, partitions) => OnRevoked(engine, partitions.Select(p => p.TopicPartition)))
            .SetErrorHandler((_, error) => LogConsumerError(logger, error.Reason))
            .Build();
        consumer.Subscribe([Topics.Metrics, Topics.Logs]);
        LogStarted(logger, runtime.Instance, options.GroupId, options.Bootstrap);
        var nextTick = runtime.Time.GetUtcNow() + options.TickInterval;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ConsumeResult<Ignore, TelemetryRecord?>? result = null;
                try
                {
                    result = consumer.Consume(TimeSpan.FromMilliseconds(50));
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    LogConsumerError(logger, e.Error.Reason);
                }

                while (_commands.TryDequeue(out var command))
                {
                    Run(engine, command);
                }

                if (result?.Message?.Value is { } record)
                {
                    Ingest(engine, result.Topic, result.Partition.Value, record);
                }

                var now = runtime.Time.GetUtcNow();
                if (now >= nextTick)
                {
                    engine.Tick();
                    Interlocked.Increment(ref _ticks);
                    nextTick = now + options.TickInterval;
                }

                Drain(engine);
            }
        }
        finally
        {
            // Groups still in their group wait are sent now rather than lost with the process.
            engine.FlushGroups();
            Drain(engine);
            runtime.Flush(TimeSpan.FromSeconds(5));
            try
            {
                consumer.Close();
            }
            catch (KafkaException e)
            {
                LogConsumerError(logger, e.Error.Reason);
            }
        }
    }

    private void ApplyRule(AlertEngine engine, string id, AlertRule? rule)
    {
        if (rule is null)
        {
            engine.RemoveRule(id);
            return;
        }

        var errors = runtime.Validator.Validate(rule);
        // Unknown metric names are accepted from the topic: another instance may have seen them first.
        errors.Remove("metric.name");
        errors.Remove("absence.metricName");
        if (errors.Count > 0)
        {
            LogInvalidRule(logger, id, string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
            engine.RemoveRule(id);
            return;
        }

        engine.UpsertRule(rule);
    }

    private void Ingest(AlertEngine engine, string topic, int partition, TelemetryRecord record)
    {
        if (record.Error is { } error)
        {
            LogBadBatch(logger, topic, partition, error);
            return;
        }

        if (record.Metrics is { } batch)
        {
            ref var hostPartition = ref CollectionsMarshal.GetValueRefOrAddDefault(_hostPartitions, batch.HostId, out _);
            hostPartition = partition;
            if (!engine.Ingest(batch))
            {
                AlertingMetrics.DuplicateMetricBatches.Inc();
                Interlocked.Increment(ref _duplicates);
                return;
            }

            AlertingMetrics.EvaluationLag.Observe(Math.Max(0, runtime.Time.GetUtcNow().ToUnixTimeMilliseconds() - batch.TimestampUnixMs) / 1000.0);
            AlertingMetrics.MetricBatches.Inc();
        }
        else if (record.Logs is { } logs)
        {
            // The host's log partition has the same number as its metrics partition (same key, same partitioner),
            // and the range assignor gives both to the same instance.
            if (!engine.Ingest(logs))
            {
                AlertingMetrics.DuplicateLogBatches.Inc();
                Interlocked.Increment(ref _duplicates);
                return;
            }

            AlertingMetrics.LogBatches.Inc();
        }
        else
        {
            return;
        }

        Interlocked.Increment(ref _batches);
    }

    private void Run(AlertEngine engine, Action<AlertEngine> command)
    {
        try
        {
            command(engine);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            LogCommandFailed(logger, e);
        }
    }

    /// <summary>Hands the engine's decisions on: notifications first (each lands in the outbox on disk before it is
    /// queued), then the records that say they were sent, so a record never claims a notification that a crash lost.</summary>
    private void Drain(AlertEngine engine)
    {
        if (engine.Notifications.Count > 0)
        {
            foreach (var notification in engine.Notifications)
            {
                runtime.Dispatcher.Dispatch(notification);
                AlertingMetrics.Notifications.WithLabels(Lower(notification.Reason.ToString())).Inc();
            }

            engine.Notifications.Clear();
        }

        if (engine.Records.Count > 0)
        {
            foreach (var record in engine.Records)
            {
                runtime.Publish(WithPartition(record));
                AlertingMetrics.Records.WithLabels(Lower(record.Event.ToString()), Lower(record.State.ToString())).Inc();
            }

            engine.Records.Clear();
        }
    }

    /// <summary>The record with the <c>metrics</c> partition of its host: whoever owns that partition next adopts the
    /// alert at assignment, before the host sends again (a silent host's alert keeps its repeats and escalation).</summary>
    private AlertTransition WithPartition(AlertTransition record) =>
        record.Labels.TryGetValue("host", out var host) && _hostPartitions.TryGetValue(host, out var partition)
            ? record with { Partition = partition }
            : record;

    private List<TopicPartitionOffset> OnAssigned(IConsumer<Ignore, TelemetryRecord?> consumer, AlertEngine engine, List<TopicPartition> partitions)
    {
        // Take over from the previous owner: its last records must be read before the hosts are evaluated here.
        try
        {
            runtime.Alerts.WaitCaughtUpAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        }
        catch (TimeoutException e)
        {
            LogConsumerError(logger, e.Message);
        }

        while (_commands.TryDequeue(out var command))
        {
            Run(engine, command);
        }

        var offsets = StartOffsets(consumer, partitions);
        var metricPartitions = partitions.Where(p => p.Topic == Topics.Metrics).Select(p => p.Partition.Value).ToHashSet();
        ReadBack(engine, offsets);
        // What the read-back did not meet has been silent at least since its horizon began.
        engine.AdoptPartitions(metricPartitions.Contains, runtime.Time.GetUtcNow() - runtime.Options.StartLookback);
        Assignment = [.. Assignment.Concat(partitions).Distinct()];
        if (logger.IsEnabled(LogLevel.Information))
        {
            var text = string.Join(", ", offsets.Select(p => $"{p.Topic}[{p.Partition.Value}]@{p.Offset}"));
            LogAssigned(logger, runtime.Instance, text);
        }

        return offsets;
    }

    /// <summary>Where to start each assigned partition: the group's committed offset, else the first record of the
    /// last <see cref="AlertingOptions.StartLookback"/> (a new group evaluates the recent past instead of waiting for
    /// the next batch, and a record produced while the assignment resolves is not skipped).</summary>
    private List<TopicPartitionOffset> StartOffsets(IConsumer<Ignore, TelemetryRecord?> consumer, List<TopicPartition> partitions)
    {
        var timeout = TimeSpan.FromSeconds(10);
        try
        {
            var committed = consumer.Committed(partitions, timeout);
            var since = new Timestamp((runtime.Time.GetUtcNow() - runtime.Options.StartLookback).UtcDateTime);
            var missing = committed.Where(c => c.Offset.Value < 0).Select(c => new TopicPartitionTimestamp(c.TopicPartition, since)).ToList();
            var byTime = missing.Count == 0 ? [] : consumer.OffsetsForTimes(missing, timeout);
            var result = new List<TopicPartitionOffset>(partitions.Count);
            foreach (var c in committed)
            {
                if (c.Offset.Value >= 0)
                {
                    result.Add(c);
                    continue;
                }

                var found = byTime.FirstOrDefault(t => t.TopicPartition == c.TopicPartition);
                var offset = found is not null && found.Offset.Value >= 0
                    ? found.Offset
                    : consumer.QueryWatermarkOffsets(c.TopicPartition, timeout).High;
                result.Add(new TopicPartitionOffset(c.TopicPartition, offset));
            }

            return result;
        }
        catch (KafkaException e)
        {
            LogConsumerError(logger, "start offsets: " + e.Error.Reason);
            return [.. partitions.Select(p => new TopicPartitionOffset(p, Offset.Unset))];
        }
    }

    /// <summary>Reads back, before the committed offsets of the assigned partitions, the last
    /// <see cref="AlertingOptions.StartLookback"/> or the longest rule window (metric or log), whichever is longer, of
    /// <c>metrics</c> and <c>logs</c>: the hosts become known with the time they last sent (a host that fell silent
    /// just before a restart or hand-over still raises its absence alert), and the windows and log counts fill up
    /// without any alert being stepped (a firing alert taken over is evaluated next on its whole window).</summary>
    private void ReadBack(AlertEngine engine, List<TopicPartitionOffset> starts)
    {
        var targets = starts.Where(s => s.Topic is Topics.Metrics or Topics.Logs && s.Offset.Value > 0).ToList();
        if (targets.Count == 0)
        {
            return;
        }

        var longest = engine.Rules.Select(r => r.WindowMs).DefaultIfEmpty(0).Max();
        var horizon = TimeSpan.FromMilliseconds(Math.Max(runtime.Options.StartLookback.TotalMilliseconds, longest));
        var timeout = TimeSpan.FromSeconds(5);
        try
        {
            using var reader = new ConsumerBuilder<Ignore, byte[]>(KafkaConfig.Reader(runtime.Options, "read-back")).Build();
            var since = new Timestamp((runtime.Time.GetUtcNow() - horizon).UtcDateTime);
            var from = reader.OffsetsForTimes(targets.Select(t => new TopicPartitionTimestamp(t.TopicPartition, since)), timeout);
            var ends = new Dictionary<TopicPartition, long>();
            var assign = new List<TopicPartitionOffset>();
            foreach (var target in targets)
            {
                var begin = from.FirstOrDefault(f => f.TopicPartition == target.TopicPartition)?.Offset.Value ?? -1;
                if (begin >= 0 && begin < target.Offset.Value)
                {
                    ends[target.TopicPartition] = target.Offset.Value;
                    assign.Add(new TopicPartitionOffset(target.TopicPartition, begin));
                }
            }

            if (assign.Count == 0)
            {
                return;
            }

            reader.Assign(assign);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            long replayed = 0;
            while (ends.Count > 0 && DateTime.UtcNow < deadline)
            {
                var result = reader.Consume(TimeSpan.FromMilliseconds(200));
                if (result?.Message is null || !ends.TryGetValue(result.TopicPartition, out var end))
                {
                    continue;
                }

                if (result.Offset.Value < end && result.Message.Value is { } value)
                {
                    try
                    {
                        if (result.Topic == Topics.Metrics)
                        {
                            var batch = engine.Decoder.Decode(value);
                            _hostPartitions[batch.HostId] = result.Partition.Value;
                            if (!engine.Replay(batch))
                            {
                                AlertingMetrics.DuplicateMetricBatches.Inc();
                                Interlocked.Increment(ref _duplicates);
                            }
                        }
                        else if (!engine.Replay(LogBatch.Parser.ParseFrom(value)))
                        {
                            AlertingMetrics.DuplicateLogBatches.Inc();
                            Interlocked.Increment(ref _duplicates);
                        }

                        replayed++;
                    }
                    catch (Exception e) when (e is InvalidDataException or Google.Protobuf.InvalidProtocolBufferException)
                    {
                        LogBadBatch(logger, result.Topic, result.Partition.Value, e.Message);
                    }
                }

                if (result.Offset.Value + 1 >= end)
                {
                    ends.Remove(result.TopicPartition);
                }
            }

            if (ends.Count > 0)
            {
                LogConsumerError(logger, $"read-back stopped after {replayed} batches: {ends.Count} partitions not read to their committed offset in time");
            }

            reader.Close();
        }
        catch (KafkaException e)
        {
            LogConsumerError(logger, "read-back: " + e.Message);
        }
    }

    private static string Lower(string s) => s.ToLowerInvariant();

    private void OnRevoked(AlertEngine engine, IEnumerable<TopicPartition> revoked)
    {
        var list = revoked.ToList();
        var gone = new HashSet<int>();
        foreach (var tp in list)
        {
            if (tp.Topic == Topics.Metrics)
            {
                gone.Add(tp.Partition.Value);
            }
        }

        foreach (var (host, partition) in _hostPartitions.ToList())
        {
            if (gone.Contains(partition))
            {
                engine.DropHost(host);
                _hostPartitions.Remove(host);
            }
        }

        Drain(engine);
        runtime.Flush(TimeSpan.FromSeconds(5));
        Assignment = [.. Assignment.Except(list)];
        if (logger.IsEnabled(LogLevel.Information))
        {
            var text = string.Join(", ", list.Select(p => $"{p.Topic}[{p.Partition.Value}]"));
            LogRevoked(logger, runtime.Instance, text);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alerting {Instance} evaluating in group {GroupId} on {Bootstrap}")]
    private static partial void LogStarted(ILogger logger, string instance, string groupId, string bootstrap);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Alerting could not start against {Bootstrap}")]
    private static partial void LogStartFailed(ILogger logger, string bootstrap, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer: {Reason}")]
    private static partial void LogConsumerError(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipping a malformed batch on {Topic}[{Partition}]: {Reason}")]
    private static partial void LogBadBatch(ILogger logger, string topic, int partition, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rule {RuleId} on the topic is invalid and not evaluated: {Errors}")]
    private static partial void LogInvalidRule(ILogger logger, string ruleId, string errors);

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying a change failed")]
    private static partial void LogCommandFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Instance} assigned {Partitions}")]
    private static partial void LogAssigned(ILogger logger, string instance, string partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Instance} revoked {Partitions}")]
    private static partial void LogRevoked(ILogger logger, string instance, string partitions);
}
