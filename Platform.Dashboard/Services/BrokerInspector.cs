using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Platform.Broker.Storage;

namespace Platform.Dashboard.Services;

public sealed record PartitionView(int Partition, int Leader, long LowOffset, long HighOffset, long? SizeBytes);

/// <summary>A topic: its partitions, and its retention by time and by size when the broker says (null = not known).</summary>
public sealed record TopicView(string Name, IReadOnlyList<PartitionView> Partitions, long? RetentionMs, long? RetentionBytes = null)
{
    public long Messages => Partitions.Sum(p => Math.Max(0, p.HighOffset - p.LowOffset));

    public long? SizeBytes => Partitions.All(p => p.SizeBytes is not null) ? Partitions.Sum(p => p.SizeBytes!.Value) : null;
}

public sealed record GroupMemberView(string MemberId, string ClientId, string Host, IReadOnlyList<string> Assignment);

public sealed record GroupLagView(string Topic, int Partition, long? Committed, long HighOffset)
{
    /// <summary>Records not consumed yet: the end offset minus the committed one (all of it when nothing is committed).</summary>
    public long Lag => Math.Max(0, HighOffset - (Committed ?? 0));
}

public sealed record GroupView(string GroupId, string State, IReadOnlyList<GroupMemberView> Members, IReadOnlyList<GroupLagView> Lags)
{
    public long TotalLag => Lags.Sum(l => l.Lag);
}

public sealed record BrokerSnapshot(DateTimeOffset At, IReadOnlyList<TopicView> Topics, IReadOnlyList<GroupView> Groups, string? Error);

/// <summary>
/// Reads the broker's state through the Kafka admin API (works against the embedded broker and a real Kafka
/// cluster alike): topics, partitions and watermarks (metadata, ListOffsets), consumer groups with members
/// (ListGroups, DescribeGroups) and committed offsets (OffsetFetch), hence lag per partition, and each topic's
/// <c>retention.ms</c> and <c>retention.bytes</c> (DescribeConfigs; left unknown when the broker does not support it).
/// Sizes on disk come from the embedded broker's log when it runs in this process. <c>GET /api/broker</c> answers the
/// same snapshot the page shows.
/// </summary>
public sealed class BrokerInspector(DashboardOptions options) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IAdminClient? _admin;
    private IConsumer<byte[], byte[]>? _consumer;
    /// <summary>How long a broker that refused DescribeConfigs is not asked again (it may be upgraded meanwhile).</summary>
    internal static readonly TimeSpan RetentionRetry = TimeSpan.FromMinutes(5);
    private long _retentionRetryAt;

    /// <summary>The embedded broker's log (set by the all-in-one host), for sizes and retention.</summary>
    public LogManager? EmbeddedLog { get; set; }

    public BrokerSnapshot? Last { get; private set; }

    /// <summary>Reads a fresh snapshot (one at a time: a caller arriving during a read gets that read's result).</summary>
    public async Task<BrokerSnapshot> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (!await _gate.WaitAsync(0, cancellationToken))
        {
            await _gate.WaitAsync(cancellationToken);
            _gate.Release();
            return Last ?? new BrokerSnapshot(DateTimeOffset.UtcNow, [], [], null);
        }

        try
        {
            Last = await Task.Run(ReadCoreAsync, cancellationToken);
            return Last;
        }
        catch (KafkaException ex)
        {
            Last = (Last ?? new BrokerSnapshot(DateTimeOffset.UtcNow, [], [], null)) with { Error = ex.Message };
            return Last;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<BrokerSnapshot> ReadCoreAsync()
    {
        _admin ??= new AdminClientBuilder(KafkaConfig.Admin(options, "platform-dashboard-broker-view")).SetLogHandler((_, _) => { }).Build();
        _consumer ??= new ConsumerBuilder<byte[], byte[]>(KafkaConfig.Consumer(options, options.GroupId + "-broker-view", "platform-dashboard-broker-view")).SetLogHandler((_, _) => { }).Build();
        var metadata = _admin.GetMetadata(Timeout);
        var high = new Dictionary<(string, int), long>();
        var topics = new List<TopicView>();
        foreach (var topic in metadata.Topics.Where(t => !t.Error.IsError).OrderBy(t => t.Topic, StringComparer.Ordinal))
        {
            TopicLog? log = null;
            EmbeddedLog?.TryGetTopic(topic.Topic, out log);
            var partitions = new List<PartitionView>();
            foreach (var p in topic.Partitions.OrderBy(p => p.PartitionId))
            {
                var marks = _consumer.QueryWatermarkOffsets(new TopicPartition(topic.Topic, p.PartitionId), Timeout);
                high[(topic.Topic, p.PartitionId)] = marks.High.Value;
                var size = log is not null && p.PartitionId < log.Partitions.Count ? log.Partitions[p.PartitionId].SizeInBytes : (long?)null;
                partitions.Add(new PartitionView(p.PartitionId, p.Leader, marks.Low.Value, marks.High.Value, size));
            }

            topics.Add(new TopicView(topic.Topic, partitions, log?.EffectiveConfig.RetentionMs));
        }

        var retention = await RetentionAsync(topics.Select(t => t.Name).ToList());
        for (var i = 0; i < topics.Count; i++)
        {
            if (retention.TryGetValue(topics[i].Name, out var r))
            {
                topics[i] = topics[i] with { RetentionMs = r.Ms ?? topics[i].RetentionMs, RetentionBytes = r.Bytes };
            }
        }

        var listed = await _admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { RequestTimeout = Timeout });
        var ids = listed.Valid.Select(g => g.GroupId).OrderBy(g => g, StringComparer.Ordinal).ToList();
        var groups = new List<GroupView>();
        if (ids.Count > 0)
        {
            var described = await _admin.DescribeConsumerGroupsAsync(ids, new DescribeConsumerGroupsOptions { RequestTimeout = Timeout });
            foreach (var group in described.ConsumerGroupDescriptions)
            {
                var offsets = await _admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group.GroupId, null)], new ListConsumerGroupOffsetsOptions { RequestTimeout = Timeout });
                var lags = offsets.SelectMany(o => o.Partitions)
                    .Where(p => high.ContainsKey((p.Topic, p.Partition.Value)))
                    .Select(p => new GroupLagView(p.Topic, p.Partition.Value, p.Offset.Value >= 0 ? p.Offset.Value : null, high[(p.Topic, p.Partition.Value)]))
                    .OrderBy(l => l.Topic, StringComparer.Ordinal).ThenBy(l => l.Partition)
                    .ToList();
                var members = group.Members
                    .Select(m => new GroupMemberView(m.ConsumerId, m.ClientId, m.Host, m.Assignment?.TopicPartitions.Select(tp => $"{tp.Topic}[{tp.Partition.Value}]").ToList() ?? []))
                    .ToList();
                groups.Add(new GroupView(group.GroupId, group.State.ToString(), members, lags));
            }
        }

        return new BrokerSnapshot(DateTimeOffset.UtcNow, topics, groups, null);
    }

    /// <summary>
    /// Each topic's <c>retention.ms</c> and <c>retention.bytes</c> (-1 = unlimited) through DescribeConfigs; a broker that
    /// does not support it, or a topic it fails on, leaves them unknown rather than failing the snapshot; a broker that
    /// does not support it is asked again after <see cref="RetentionRetry"/>.
    /// </summary>
    private async Task<Dictionary<string, (long? Ms, long? Bytes)>> RetentionAsync(List<string> topics)
    {
        var result = new Dictionary<string, (long? Ms, long? Bytes)>(StringComparer.Ordinal);
        if (topics.Count == 0 || Environment.TickCount64 < Volatile.Read(ref _retentionRetryAt))
        {
            return result;
        }

        List<DescribeConfigsResult> described;
        try
        {
            described = await _admin!.DescribeConfigsAsync(
                topics.Select(t => new ConfigResource { Type = ResourceType.Topic, Name = t }),
                new DescribeConfigsOptions { RequestTimeout = Timeout });
        }
        catch (DescribeConfigsException ex)
        {
            described = ex.Results.Where(r => !r.Error.IsError).Select(r => new DescribeConfigsResult { ConfigResource = r.ConfigResource, Entries = r.Entries }).ToList();
        }
        catch (KafkaException ex) when (ex.Error.Code is ErrorCode.UnsupportedVersion or ErrorCode.Local_UnsupportedFeature or ErrorCode.InvalidRequest)
        {
            Volatile.Write(ref _retentionRetryAt, Environment.TickCount64 + (long)RetentionRetry.TotalMilliseconds);
            return result;
        }

        foreach (var topic in described)
        {
            result[topic.ConfigResource.Name] = (Number(topic.Entries, "retention.ms"), Number(topic.Entries, "retention.bytes"));
        }

        return result;
    }

    private static long? Number(Dictionary<string, ConfigEntryResult>? entries, string name) =>
        entries is not null && entries.TryGetValue(name, out var entry)
            && long.TryParse(entry.Value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    public void Dispose()
    {
        _admin?.Dispose();
        _consumer?.Dispose();
        _gate.Dispose();
    }
}
