using System.Globalization;
using Microsoft.Extensions.Logging;
using Platform.Broker.Security;
using Platform.Broker.Storage;

namespace Platform.Broker.Protocol;

internal sealed partial class RequestDispatcher
{
    private const sbyte TopicResource = 2;
    private const sbyte BrokerResource = 4;

    /// <summary>Kafka's ConfigSource values (DescribeConfigs v1+).</summary>
    private const sbyte DynamicTopicConfig = 1;
    private const sbyte StaticBrokerConfig = 4;
    private const sbyte DefaultConfig = 5;

    private const sbyte SetOperation = 0;
    private const sbyte DeleteOperation = 1;

    /// <summary>The broker-level name of each topic setting (Kafka's synonyms), for DescribeConfigs of a broker and synonyms.</summary>
    private static readonly Dictionary<string, string> BrokerSynonyms = new(StringComparer.Ordinal)
    {
        [TopicConfig.RetentionMsKey] = "log.retention.ms",
        [TopicConfig.RetentionBytesKey] = "log.retention.bytes",
        [TopicConfig.SegmentBytesKey] = "log.segment.bytes",
        [TopicConfig.SegmentMsKey] = "log.roll.ms",
        [TopicConfig.MaxMessageBytesKey] = "message.max.bytes",
        [TopicConfig.IndexIntervalBytesKey] = "log.index.interval.bytes",
        [TopicConfig.MessageTimestampTypeKey] = "log.message.timestamp.type",
    };

    private readonly record struct ConfigEntry(string Name, string? Value, bool ReadOnly, sbyte Source, string? SynonymName = null, string? SynonymValue = null, sbyte SynonymSource = DefaultConfig);

    /// <summary>
    /// DescribeConfigs (Kafka's DescribeConfigsRequest/Response.json) v0–2, non-flexible. Request: resources [resource_type
    /// i8, resource_name, configuration_keys nullable [string]], include_synonyms bool (v1+). Response: throttle, results
    /// [error, error_message nullable, resource_type, resource_name, configs [name, value nullable, read_only,
    /// is_default (v0) | config_source i8 (v1+), is_sensitive, synonyms (v1+) [name, value nullable, source i8]]].
    /// Topics (type 2) list every topic setting with its value in force and where it comes from (the topic itself, the
    /// broker's settings or the built-in default); a broker (type 4, named by its node id or "") lists its defaults.
    /// </summary>
    private ResponseBuffer DescribeConfigs(RequestContext ctx)
    {
        var version = ctx.Version;
        var reader = ctx.BodyReader();
        var count = reader.ReadArrayCount(1 + 2 + 4);
        var resources = new List<(sbyte Type, string Name, List<string>? Keys)>(count);
        for (var i = 0; i < count; i++)
        {
            var type = reader.ReadInt8();
            var name = reader.ReadString();
            var keyCount = reader.ReadArrayCount(2, nullable: true);
            List<string>? keys = null;
            if (keyCount >= 0)
            {
                keys = new List<string>(keyCount);
                for (var k = 0; k < keyCount; k++)
                {
                    keys.Add(reader.ReadString());
                }
            }

            resources.Add((type, name, keys));
        }

        var includeSynonyms = version >= 1 && reader.ReadBool();
        EndOfBody(ref reader, ctx);

        var w = ctx.NewResponse(512);
        w.WriteInt32(0);
        w.WriteInt32(resources.Count);
        foreach (var (type, name, keys) in resources)
        {
            var (error, message, entries) = DescribeResource(ctx, type, name);
            w.WriteInt16(error);
            w.WriteString(message);
            w.WriteInt8(type);
            w.WriteString(name);
            var countAt = w.ReserveInt32();
            var written = 0;
            foreach (var e in entries)
            {
                if (keys is not null && !keys.Contains(e.Name))
                {
                    continue;
                }

                written++;
                w.WriteString(e.Name);
                w.WriteString(e.Value);
                w.WriteBool(e.ReadOnly);
                if (version == 0)
                {
                    w.WriteBool(e.Source == DefaultConfig);
                }
                else
                {
                    w.WriteInt8(e.Source);
                }

                w.WriteBool(false); // is_sensitive
                if (version >= 1)
                {
                    WriteSynonyms(w, e, includeSynonyms);
                }
            }

            w.PatchInt32(countAt, written);
        }

        return w;
    }

    /// <summary>The entry itself, then (for a topic setting) the broker-level setting it falls back to.</summary>
    private static void WriteSynonyms(ResponseBuffer w, ConfigEntry e, bool include)
    {
        if (!include)
        {
            w.WriteInt32(0);
            return;
        }

        var fallback = e.SynonymName is not null && e.Source == DynamicTopicConfig;
        w.WriteInt32(fallback ? 2 : 1);
        w.WriteString(e.Name);
        w.WriteString(e.Value);
        w.WriteInt8(e.Source);
        if (fallback)
        {
            w.WriteString(e.SynonymName);
            w.WriteString(e.SynonymValue);
            w.WriteInt8(e.SynonymSource);
        }
    }

    private (ErrorCode Error, string? Message, List<ConfigEntry> Entries) DescribeResource(RequestContext ctx, sbyte type, string name)
    {
        switch (type)
        {
            case TopicResource:
                if (!Authorize(ctx, AclResourceType.Topic, name, AclOperation.Describe))
                {
                    return (ErrorCode.TopicAuthorizationFailed, $"not authorized to describe topic {name}", []);
                }

                return _log.TryGetTopic(name, out var topic)
                    ? (ErrorCode.None, null, TopicEntries(topic))
                    : (ErrorCode.UnknownTopicOrPartition, $"topic '{name}' does not exist", []);
            case BrokerResource:
                if (name.Length != 0 && name != _options.NodeId.ToString(CultureInfo.InvariantCulture))
                {
                    return (ErrorCode.InvalidRequest, $"broker '{name}' is not this broker (node {_options.NodeId})", []);
                }

                if (!Authorize(ctx, AclResourceType.Cluster, ConnectionSession.ClusterName, AclOperation.Describe))
                {
                    return (ErrorCode.ClusterAuthorizationFailed, "not authorized to describe the broker", []);
                }

                return (ErrorCode.None, null, BrokerEntries());
            default:
                return (ErrorCode.InvalidRequest, $"resource type {type} is not supported (topics: 2, brokers: 4)", []);
        }
    }

    /// <summary>
    /// Each topic setting's broker-wide value (the broker's settings over the built-in defaults) and where it comes from;
    /// a topic without a value of its own has this one.
    /// </summary>
    private List<(string Key, string Value, sbyte Source)> BrokerDefaults()
    {
        var defaults = _log.Options.Defaults.WithDefaults(TopicConfig.Default).ToEntries();
        var builtIn = TopicConfig.Default.ToEntries();
        var list = new List<(string, string, sbyte)>(TopicConfig.Keys.Count);
        foreach (var key in TopicConfig.Keys)
        {
            list.Add((key, defaults[key], defaults[key] == builtIn[key] ? DefaultConfig : StaticBrokerConfig));
        }

        return list;
    }

    private List<ConfigEntry> TopicEntries(TopicLog topic)
    {
        var own = topic.Config.ToEntries();
        var list = new List<ConfigEntry>(TopicConfig.Keys.Count + 2)
        {
            new(TopicConfig.CleanupPolicyKey, "delete", ReadOnly: true, DefaultConfig),
            new(TopicConfig.CompressionTypeKey, "producer", ReadOnly: true, DefaultConfig),
        };
        foreach (var (key, brokerValue, brokerSource) in BrokerDefaults())
        {
            var isOwn = own.TryGetValue(key, out var value);
            list.Add(new ConfigEntry(key, isOwn ? value : brokerValue, ReadOnly: false, isOwn ? DynamicTopicConfig : brokerSource,
                BrokerSynonyms[key], brokerValue, brokerSource));
        }

        return list;
    }

    /// <summary>The broker's settings under Kafka's broker config names (all read-only: they are set at start).</summary>
    private List<ConfigEntry> BrokerEntries()
    {
        var list = new List<ConfigEntry>(32);
        foreach (var (key, value, source) in BrokerDefaults())
        {
            list.Add(new ConfigEntry(BrokerSynonyms[key], value, ReadOnly: true, source));
        }

        void Add(string name, long value) => list.Add(new ConfigEntry(name, value.ToString(CultureInfo.InvariantCulture), ReadOnly: true, StaticBrokerConfig));
        list.Add(new ConfigEntry("log.cleanup.policy", "delete", ReadOnly: true, DefaultConfig));
        list.Add(new ConfigEntry("compression.type", "producer", ReadOnly: true, DefaultConfig));
        Add("broker.id", _options.NodeId);
        Add("num.partitions", _options.DefaultPartitions);
        list.Add(new ConfigEntry("auto.create.topics.enable", _options.AutoCreateTopics ? "true" : "false", ReadOnly: true, StaticBrokerConfig));
        Add("log.retention.check.interval.ms", (long)_log.Options.RetentionCheckInterval.TotalMilliseconds);
        Add("log.flush.interval.ms", _log.Options.FlushMode == FlushMode.Strict ? 0 : (long)_log.Options.FlushInterval.TotalMilliseconds);
        Add("log.flush.interval.bytes", _log.Options.FlushMode == FlushMode.Strict ? 1 : _log.Options.FlushBytes);
        Add("offsets.retention.minutes", (long)_options.OffsetsRetention.TotalMinutes);
        Add("socket.request.max.bytes", _options.MaxFrameBytes);
        Add("queued.max.request.bytes", _options.MaxQueuedRequestBytes);
        Add("connections.max.idle.ms", (long)_options.ConnectionIdleTimeout.TotalMilliseconds);
        Add("max.connections", _options.MaxConnections);
        Add("fetch.max.bytes", _options.MaxFetchBytes);
        Add("group.min.session.timeout.ms", _options.GroupMinSessionTimeoutMs);
        Add("group.max.session.timeout.ms", _options.GroupMaxSessionTimeoutMs);
        Add("group.initial.rebalance.delay.ms", (long)_options.GroupInitialRebalanceDelay.TotalMilliseconds);
        return list;
    }

    /// <summary>
    /// IncrementalAlterConfigs (Kafka's IncrementalAlterConfigsRequest/Response.json) v0, non-flexible. Request: resources
    /// [resource_type i8, resource_name, configs [name, config_operation i8, value nullable]], validate_only. Response:
    /// throttle, responses [error, error_message nullable, resource_type, resource_name]. Topics only: SET (0) and DELETE
    /// (1, back to the broker default) of retention.*, segment.*, max.message.bytes, index.interval.bytes and
    /// message.timestamp.type, persisted in the partitions' metadata and in force from the next append and retention pass.
    /// </summary>
    private ResponseBuffer IncrementalAlterConfigs(RequestContext ctx) => AlterConfigs(ctx, incremental: true);

    /// <summary>
    /// AlterConfigs (Kafka's AlterConfigsRequest/Response.json) v0–1, non-flexible: as IncrementalAlterConfigs, but each
    /// config is [name, value nullable] and the topic's own settings become exactly the ones given (any other goes back
    /// to the broker default). Response as IncrementalAlterConfigs'.
    /// </summary>
    private ResponseBuffer AlterConfigs(RequestContext ctx) => AlterConfigs(ctx, incremental: false);

    private ResponseBuffer AlterConfigs(RequestContext ctx, bool incremental)
    {
        var reader = ctx.BodyReader();
        var count = reader.ReadArrayCount(1 + 2 + 4);
        var resources = new List<(sbyte Type, string Name, List<(string Key, sbyte Operation, string? Value)> Configs)>(count);
        for (var i = 0; i < count; i++)
        {
            var type = reader.ReadInt8();
            var name = reader.ReadString();
            var configCount = reader.ReadArrayCount(incremental ? 2 + 1 + 2 : 2 + 2);
            var configs = new List<(string, sbyte, string?)>(configCount);
            for (var c = 0; c < configCount; c++)
            {
                var key = reader.ReadString();
                var operation = incremental ? reader.ReadInt8() : SetOperation;
                configs.Add((key, operation, reader.ReadNullableString()));
            }

            resources.Add((type, name, configs));
        }

        var validateOnly = reader.ReadBool();
        EndOfBody(ref reader, ctx);

        var w = ctx.NewResponse(64 + (resources.Count * 64));
        w.WriteInt32(0);
        w.WriteInt32(resources.Count);
        foreach (var (type, name, configs) in resources)
        {
            var (error, message) = type switch
            {
                TopicResource => AuthorizeCreate(ctx, name)
                    ? AlterTopicConfig(name, configs, validateOnly, replace: !incremental)
                    : (ErrorCode.TopicAuthorizationFailed, $"not authorized to alter topic {name}"),
                BrokerResource => (ErrorCode.InvalidRequest, "broker settings are fixed at start (Broker:* settings); alter a topic's instead"),
                _ => (ErrorCode.InvalidRequest, $"resource type {type} is not supported (topics: 2)"),
            };
            w.WriteInt16(error);
            w.WriteString(message);
            w.WriteInt8(type);
            w.WriteString(name);
        }

        return w;
    }

    private (ErrorCode Error, string? Message) AlterTopicConfig(string name, List<(string Key, sbyte Operation, string? Value)> changes, bool validateOnly, bool replace)
    {
        if (!_log.TryGetTopic(name, out var topic))
        {
            return (ErrorCode.UnknownTopicOrPartition, $"topic '{name}' does not exist");
        }

        var entries = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (!replace)
        {
            foreach (var (key, value) in topic.Config.ToEntries())
            {
                entries[key] = value;
            }
        }

        foreach (var (key, operation, value) in changes)
        {
            switch (operation)
            {
                case SetOperation:
                    entries[key] = value;
                    break;
                case DeleteOperation:
                    entries.Remove(key);
                    break;
                default:
                    return (ErrorCode.InvalidConfig, $"operation {operation} on {key}: only SET (0) and DELETE (1) apply to these settings");
            }
        }

        if (ParseTopicConfig(name, entries, out var config) is { } invalid)
        {
            return (ErrorCode.InvalidConfig, invalid);
        }

        if (!validateOnly)
        {
            try
            {
                if (!_log.AlterTopicConfig(name, config))
                {
                    return (ErrorCode.UnknownTopicOrPartition, $"topic '{name}' does not exist");
                }
            }
            catch (IOException ex)
            {
                return (ErrorCode.KafkaStorageError, $"could not persist the new settings: {ex.Message}");
            }
        }

        return (ErrorCode.None, null);
    }

    /// <summary>
    /// Parses a topic's config entries (CreateTopics, AlterConfigs): null, or why they are invalid. Kafka settings that
    /// do not apply to this broker are accepted and logged as ignored.
    /// </summary>
    private string? ParseTopicConfig(string topic, IEnumerable<KeyValuePair<string, string?>> entries, out TopicConfig config)
    {
        var ignored = new List<string>();
        try
        {
            config = TopicConfig.Parse(entries, ignored);
        }
        catch (ArgumentException ex)
        {
            config = TopicConfig.Default;
            return ex.Message;
        }

        if (ignored.Count > 0)
        {
            LogConfigsIgnored(_logger, topic, ignored);
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Topic {Topic}: configs that do not apply to this broker were accepted and ignored: {Keys}")]
    private static partial void LogConfigsIgnored(ILogger logger, string topic, IEnumerable<string> keys);
}
