using System.Globalization;

namespace Platform.Broker.Storage;

/// <summary>
/// Per-topic settings, by Kafka's config names: retention.ms, retention.bytes, segment.bytes, segment.ms,
/// max.message.bytes, index.interval.bytes, message.timestamp.type. A null property means "the broker default".
/// </summary>
public sealed record TopicConfig
{
    public const string RetentionMsKey = "retention.ms";
    public const string RetentionBytesKey = "retention.bytes";
    public const string SegmentBytesKey = "segment.bytes";
    public const string SegmentMsKey = "segment.ms";
    public const string MaxMessageBytesKey = "max.message.bytes";
    public const string IndexIntervalBytesKey = "index.interval.bytes";
    public const string MessageTimestampTypeKey = "message.timestamp.type";

    /// <summary>Accepted for compatibility with clients that always send it; only "delete" is supported.</summary>
    public const string CleanupPolicyKey = "cleanup.policy";

    /// <summary>Accepted with its default "producer" only: batches are stored as the producer compressed them.</summary>
    public const string CompressionTypeKey = "compression.type";

    /// <summary>The keys a topic can set here, in the order DescribeConfigs lists them.</summary>
    public static IReadOnlyList<string> Keys { get; } =
        [RetentionMsKey, RetentionBytesKey, SegmentBytesKey, SegmentMsKey, MaxMessageBytesKey, IndexIntervalBytesKey, MessageTimestampTypeKey];

    /// <summary>
    /// Kafka topic configs that have no meaning for a single-node log without compaction or tiered storage (replication,
    /// leader election, down-conversion, preallocation, flush-per-topic, compaction tuning): tools send them routinely, so
    /// they are accepted when their value is well-formed, and ignored.
    /// </summary>
    private static readonly Dictionary<string, Func<string?, bool>> IgnoredKeys = new(StringComparer.Ordinal)
    {
        ["min.insync.replicas"] = v => IsLong(v, 1),
        ["unclean.leader.election.enable"] = IsBool,
        ["message.downconversion.enable"] = IsBool,
        ["preallocate"] = IsBool,
        ["message.format.version"] = v => !string.IsNullOrEmpty(v),
        ["flush.messages"] = v => IsLong(v, 1),
        ["flush.ms"] = v => IsLong(v, 0),
        ["delete.retention.ms"] = v => IsLong(v, 0),
        ["file.delete.delay.ms"] = v => IsLong(v, 0),
        ["segment.index.bytes"] = v => IsLong(v, 4),
        ["segment.jitter.ms"] = v => IsLong(v, 0),
        ["min.cleanable.dirty.ratio"] = v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d is >= 0 and <= 1,
        ["min.compaction.lag.ms"] = v => IsLong(v, 0),
        ["max.compaction.lag.ms"] = v => IsLong(v, 1),
        ["message.timestamp.difference.max.ms"] = v => IsLong(v, 0),
        ["message.timestamp.before.max.ms"] = v => IsLong(v, 0),
        ["message.timestamp.after.max.ms"] = v => IsLong(v, 0),
        ["follower.replication.throttled.replicas"] = _ => true,
        ["leader.replication.throttled.replicas"] = _ => true,
        ["local.retention.ms"] = v => IsLong(v, -2),
        ["local.retention.bytes"] = v => IsLong(v, -2),
        ["remote.storage.enable"] = v => v == "false",
    };

    /// <summary>The smallest segment.bytes accepted (small values are useful in tests; Kafka's minimum is 14).</summary>
    public const int MinSegmentBytes = 128;

    public static TopicConfig Default { get; } = new()
    {
        RetentionMs = 7L * 24 * 3600 * 1000,
        RetentionBytes = -1,
        SegmentBytes = 128 * 1024 * 1024,
        SegmentMs = 7L * 24 * 3600 * 1000,
        MaxMessageBytes = 8 * 1024 * 1024,
        IndexIntervalBytes = 4096,
        MessageTimestampType = TimestampType.CreateTime,
    };

    /// <summary>Delete whole segments whose newest record is older than this; -1 keeps forever.</summary>
    public long? RetentionMs { get; init; }

    /// <summary>Delete the oldest segments while the partition is larger than this; -1 means no limit.</summary>
    public long? RetentionBytes { get; init; }

    public int? SegmentBytes { get; init; }

    public long? SegmentMs { get; init; }

    public int? MaxMessageBytes { get; init; }

    public int? IndexIntervalBytes { get; init; }

    /// <summary>message.timestamp.type: CreateTime (as sent) or LogAppendTime (stamped by the broker).</summary>
    public TimestampType? MessageTimestampType { get; init; }

    /// <summary>Kafka config entries of this topic (only the ones set), for DescribeConfigs-like views and the topic's metadata file.</summary>
    public IReadOnlyDictionary<string, string> ToEntries()
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        Put(entries, RetentionMsKey, RetentionMs);
        Put(entries, RetentionBytesKey, RetentionBytes);
        Put(entries, SegmentBytesKey, SegmentBytes);
        Put(entries, SegmentMsKey, SegmentMs);
        Put(entries, MaxMessageBytesKey, MaxMessageBytes);
        Put(entries, IndexIntervalBytesKey, IndexIntervalBytes);
        if (MessageTimestampType is { } type)
        {
            entries[MessageTimestampTypeKey] = type.ToString();
        }

        return entries;
    }

    /// <summary>
    /// Parses Kafka config entries (as CreateTopics carries them). Throws <see cref="ArgumentException"/> naming the key
    /// for an unknown key or a bad value.
    /// </summary>
    public static TopicConfig Parse(IEnumerable<KeyValuePair<string, string?>> entries) => Parse(entries, ignored: null);

    /// <summary>
    /// Parses Kafka config entries; a known Kafka topic key that does not apply to this log is accepted when its value is
    /// well-formed and added to <paramref name="ignored"/>. Throws <see cref="ArgumentException"/> naming the key for an
    /// unknown key or a bad value.
    /// </summary>
    public static TopicConfig Parse(IEnumerable<KeyValuePair<string, string?>> entries, ICollection<string>? ignored)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var config = new TopicConfig();
        foreach (var (key, value) in entries)
        {
            if (IgnoredKeys.TryGetValue(key, out var isValid))
            {
                if (!isValid(value))
                {
                    throw new ArgumentException($"Config {key}=\"{value}\" is not a valid value.", nameof(entries));
                }

                ignored?.Add(key);
                continue;
            }

            config = key switch
            {
                RetentionMsKey => config with { RetentionMs = ParseLong(key, value, -1) },
                RetentionBytesKey => config with { RetentionBytes = ParseLong(key, value, -1) },
                SegmentBytesKey => config with { SegmentBytes = (int)ParseLong(key, value, MinSegmentBytes, int.MaxValue) },
                SegmentMsKey => config with { SegmentMs = ParseLong(key, value, 1) },
                MaxMessageBytesKey => config with { MaxMessageBytes = (int)ParseLong(key, value, RecordBatchHeader.Size, int.MaxValue) },
                IndexIntervalBytesKey => config with { IndexIntervalBytes = (int)ParseLong(key, value, 0, int.MaxValue) },
                MessageTimestampTypeKey => config with { MessageTimestampType = ParseTimestampType(value) },
                CleanupPolicyKey => value == "delete"
                    ? config
                    : throw new ArgumentException($"Config {key}={value} is not supported: only \"delete\" (log compaction is not implemented).", nameof(entries)),
                CompressionTypeKey => value == "producer"
                    ? config
                    : throw new ArgumentException($"Config {key}={value} is not supported: only \"producer\" (batches are stored as the producer compressed them).", nameof(entries)),
                _ => throw new ArgumentException($"Unknown topic config \"{key}\"; known are {RetentionMsKey}, {RetentionBytesKey}, {SegmentBytesKey}, {SegmentMsKey}, {MaxMessageBytesKey}, {IndexIntervalBytesKey}, {MessageTimestampTypeKey}, {CleanupPolicyKey}, {CompressionTypeKey} (and Kafka's replication and compaction settings, accepted and ignored).", nameof(entries)),
            };
        }

        return config;
    }

    /// <summary>This config with every null filled from <paramref name="defaults"/>.</summary>
    public TopicConfig WithDefaults(TopicConfig defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        return new TopicConfig
        {
            RetentionMs = RetentionMs ?? defaults.RetentionMs,
            RetentionBytes = RetentionBytes ?? defaults.RetentionBytes,
            SegmentBytes = SegmentBytes ?? defaults.SegmentBytes,
            SegmentMs = SegmentMs ?? defaults.SegmentMs,
            MaxMessageBytes = MaxMessageBytes ?? defaults.MaxMessageBytes,
            IndexIntervalBytes = IndexIntervalBytes ?? defaults.IndexIntervalBytes,
            MessageTimestampType = MessageTimestampType ?? defaults.MessageTimestampType,
        };
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting when a value set here is out of range.</summary>
    internal void Validate()
    {
        Check(RetentionMsKey, RetentionMs, -1, long.MaxValue);
        Check(RetentionBytesKey, RetentionBytes, -1, long.MaxValue);
        Check(SegmentBytesKey, SegmentBytes, MinSegmentBytes, int.MaxValue);
        Check(SegmentMsKey, SegmentMs, 1, long.MaxValue);
        Check(MaxMessageBytesKey, MaxMessageBytes, RecordBatchHeader.Size, int.MaxValue);
        Check(IndexIntervalBytesKey, IndexIntervalBytes, 0, int.MaxValue);
        if (MessageTimestampType is { } type && !Enum.IsDefined(type))
        {
            throw new ArgumentException($"Config {MessageTimestampTypeKey} has an unknown value {(int)type}.");
        }
    }

    private static void Check(string key, long? value, long min, long max)
    {
        if (value is { } v && (v < min || v > max))
        {
            throw new ArgumentException($"Config {key}={v} is out of range [{min}, {max}].");
        }
    }

    private static void Put(Dictionary<string, string> entries, string key, long? value)
    {
        if (value is { } v)
        {
            entries[key] = v.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static bool IsBool(string? value) => value is "true" or "false";

    private static bool IsLong(string? value, long min) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && v >= min;

    private static long ParseLong(string key, string? value, long min, long max = long.MaxValue)
    {
        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
        {
            throw new ArgumentException($"Config {key}=\"{value}\" is not an integer.");
        }

        if (v < min || v > max)
        {
            throw new ArgumentException($"Config {key}={v} is out of range [{min}, {max}].");
        }

        return v;
    }

    private static TimestampType ParseTimestampType(string? value) => value switch
    {
        "CreateTime" => TimestampType.CreateTime,
        "LogAppendTime" => TimestampType.LogAppendTime,
        _ => throw new ArgumentException($"Config {MessageTimestampTypeKey}=\"{value}\" must be CreateTime or LogAppendTime."),
    };
}
