using Confluent.Kafka;
using Platform.Alerting.Evaluation;
using Platform.Telemetry;
using Platform.Telemetry.Alerts;
using Platform.Telemetry.Decoding;

namespace Platform.Alerting.Service;

/// <summary>A backtest request: a rule (saved or not) and the period of retained metrics to replay.</summary>
public sealed record BacktestRequest
{
    public required AlertRule Rule { get; init; }

    public required DateTimeOffset From { get; init; }

    /// <summary>Null = now.</summary>
    public DateTimeOffset? To { get; init; }
}

/// <summary>One period during which the rule would have fired for one series.</summary>
public sealed record BacktestEpisode
{
    public required string Fingerprint { get; init; }

    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    public DateTimeOffset? PendingAt { get; init; }

    public required DateTimeOffset FiredAt { get; init; }

    /// <summary>Null when still firing at the end of the period.</summary>
    public DateTimeOffset? ResolvedAt { get; init; }

    public double? Value { get; init; }
}

public sealed record BacktestResult
{
    public required string RuleId { get; init; }

    public required DateTimeOffset From { get; init; }

    public required DateTimeOffset To { get; init; }

    public long Batches { get; init; }

    public long Samples { get; init; }

    public int Hosts { get; init; }

    public required IReadOnlyList<BacktestEpisode> Episodes { get; init; }
}

/// <summary>
/// Replays the retained <c>metrics</c> over a period through a fresh engine with a replay clock (the batches'
/// timestamps): a consumer outside any group seeks every partition to the period's start with offsets-by-timestamp
/// and reads up to the high watermark taken at the start.
/// </summary>
internal sealed class Backtester(AlertingOptions options)
{
    public async Task<BacktestResult> RunAsync(BacktestRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var to = request.To ?? DateTimeOffset.UtcNow;
        return await Task.Run(() => Run(request.Rule with { Enabled = true }, request.From, to, timeout, cancellationToken), cancellationToken);
    }

    private BacktestResult Run(AlertRule rule, DateTimeOffset from, DateTimeOffset to, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var config = KafkaConfig.Reader(options, "backtest");
        using var consumer = new ConsumerBuilder<string, byte[]>(config).Build();
        using var admin = new AdminClientBuilder(KafkaConfig.Admin(options)).Build();
        var metadata = admin.GetMetadata(Topics.Metrics, TimeSpan.FromSeconds(10));
        var partitions = metadata.Topics.SingleOrDefault(t => t.Topic == Topics.Metrics && t.Error.Code == ErrorCode.NoError)?.Partitions
            .Select(p => new TopicPartition(Topics.Metrics, p.PartitionId)).ToList() ?? [];
        var clock = new ReplayClock(from);
        var engine = new AlertEngine(clock, new AlertEngineOptions { Instance = "backtest", RepeatInterval = TimeSpan.Zero });
        engine.UpsertRule(rule);
        var episodes = new Dictionary<string, List<BacktestEpisode>>(StringComparer.Ordinal);
        var pendingSince = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        long batches = 0, samples = 0;
        var hosts = new HashSet<string>(StringComparer.Ordinal);

        // One partition at a time: a partition holds whole hosts, in time order per host, so the replay clock only
        // moves forward; the engine is reset between partitions.
        foreach (var partition in partitions)
        {
            var start = consumer.OffsetsForTimes([new TopicPartitionTimestamp(partition, new Timestamp(from.UtcDateTime))], TimeSpan.FromSeconds(10))[0];
            var end = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High.Value;
            if (start.Offset.Value < 0 || start.Offset.Value >= end)
            {
                continue;
            }

            clock.Now = from;
            engine = new AlertEngine(clock, new AlertEngineOptions { Instance = "backtest", RepeatInterval = TimeSpan.Zero });
            engine.UpsertRule(rule);
            consumer.Assign(start);
            var lastTick = from;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"backtest did not finish within {timeout.TotalSeconds:0} s");
                }

                var result = consumer.Consume(TimeSpan.FromMilliseconds(500));
                if (result is null)
                {
                    if (consumer.Position(partition).Value >= end)
                    {
                        break;
                    }

                    continue;
                }

                if (result.Message.Value is { } value)
                {
                    DecodedMetricBatch batch;
                    try
                    {
                        batch = engine.Decoder.Decode(value);
                    }
                    catch (InvalidDataException)
                    {
                        continue;
                    }

                    var at = DateTimeOffset.FromUnixTimeMilliseconds(batch.TimestampUnixMs != 0 ? batch.TimestampUnixMs : result.Message.Timestamp.UnixTimestampMs);
                    if (at > to)
                    {
                        break;
                    }

                    lastTick = Advance(engine, clock, lastTick, at);
                    // A repeat of a batch already replayed (the agent's crash replay) changes nothing and is not counted.
                    if (engine.Ingest(batch))
                    {
                        batches++;
                        samples += batch.Samples.Length;
                        hosts.Add(batch.HostId);
                        Collect(engine, episodes, pendingSince);
                    }
                }

                if (result.Offset.Value + 1 >= end)
                {
                    break;
                }
            }

            Advance(engine, clock, lastTick, to < DateTimeOffset.UtcNow ? to : DateTimeOffset.UtcNow);
            Collect(engine, episodes, pendingSince);
        }

        return new BacktestResult
        {
            RuleId = rule.Id,
            From = from,
            To = to,
            Batches = batches,
            Samples = samples,
            Hosts = hosts.Count,
            Episodes = [.. episodes.Values.SelectMany(e => e).OrderBy(e => e.FiredAt)],
        };
    }

    /// <summary>Moves the replay clock to <paramref name="at"/>, ticking once per second on the way (for, absence).</summary>
    private static DateTimeOffset Advance(AlertEngine engine, ReplayClock clock, DateTimeOffset lastTick, DateTimeOffset at)
    {
        while (lastTick + TimeSpan.FromSeconds(1) <= at)
        {
            lastTick += TimeSpan.FromSeconds(1);
            clock.Now = lastTick;
            engine.Tick();
        }

        if (at > clock.Now)
        {
            clock.Now = at;
        }

        return lastTick;
    }

    private static void Collect(AlertEngine engine, Dictionary<string, List<BacktestEpisode>> episodes, Dictionary<string, DateTimeOffset> pendingSince)
    {
        foreach (var record in engine.Records)
        {
            if (record.Event != AlertEvent.Transition)
            {
                continue;
            }

            if (!episodes.TryGetValue(record.Fingerprint, out var list))
            {
                episodes[record.Fingerprint] = list = [];
            }

            switch (record.State)
            {
                case AlertState.Pending:
                    pendingSince[record.Fingerprint] = record.At;
                    break;
                case AlertState.Firing:
                    list.Add(new BacktestEpisode
                    {
                        Fingerprint = record.Fingerprint,
                        Labels = record.Labels,
                        PendingAt = record.ActiveSince,
                        FiredAt = record.FiredAt ?? record.At,
                        Value = record.Value,
                    });
                    break;
                case AlertState.Resolved when list.Count > 0 && list[^1].ResolvedAt is null:
                    list[^1] = list[^1] with { ResolvedAt = record.ResolvedAt ?? record.At };
                    break;
                default:
                    break;
            }
        }

        engine.Records.Clear();
        engine.Notifications.Clear();
    }

    private sealed class ReplayClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
