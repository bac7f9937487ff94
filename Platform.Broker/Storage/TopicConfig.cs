namespace Platform.Broker.Storage;

/// <summary>
/// Per-topic settings, by Kafka's config names: retention.ms, retention.bytes, segment.bytes, segment.ms,
/// max.message.bytes, index.interval.bytes, message.timestamp.type. A null property means "the broker default".
/// </summary>
public sealed record TopicConfig
{
    public static TopicConfig Default { get; } = new()
    {
        RetentionMs = 7L * 24 * 3600 * 1000,
        RetentionBytes = -1,
        SegmentBytes = 128 * 1024 * 1024,
        SegmentMs = 7L * 24 * 3600 * 1000,
        MaxMessageBytes = 8 * 1024 * 1024,
        IndexIntervalBytes = 4096,
    };

    /// <summary>Delete whole segments whose newest record is older than this; -1 keeps forever.</summary>
    public long? RetentionMs { get; init; }

    /// <summary>Delete the oldest segments while the partition is larger than this; -1 means no limit.</summary>
    public long? RetentionBytes { get; init; }

    public int? SegmentBytes { get; init; }

    public long? SegmentMs { get; init; }

    public int? MaxMessageBytes { get; init; }

    public int? IndexIntervalBytes { get; init; }

    /// <summary>Kafka config entries of this topic (only the ones set), for DescribeConfigs-like views and the topic's metadata file.</summary>
    public IReadOnlyDictionary<string, string> ToEntries() => throw new NotImplementedException();

    /// <summary>
    /// Parses Kafka config entries (as CreateTopics carries them). Throws <see cref="ArgumentException"/> naming the key
    /// for an unknown key or a bad value.
    /// </summary>
    public static TopicConfig Parse(IEnumerable<KeyValuePair<string, string?>> entries) => throw new NotImplementedException();

    /// <summary>This config with every null filled from <paramref name="defaults"/>.</summary>
    public TopicConfig WithDefaults(TopicConfig defaults) => throw new NotImplementedException();
}
