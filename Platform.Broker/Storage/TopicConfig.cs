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
    public static TopicConfig Parse(IEnumerable<KeyValuePair<string, string?>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var config = new TopicConfig();
        foreach (var (key, value) in entries)
        {
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
                _ => throw new ArgumentException($"Unknown topic config \"{key}\"; known are {RetentionMsKey}, {RetentionBytesKey}, {SegmentBytesKey}, {SegmentMsKey}, {MaxMessageBytesKey}, {IndexIntervalBytesKey}, {MessageTimestampTypeKey}, {CleanupPolicyKey}.", nameof(entries)),
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
