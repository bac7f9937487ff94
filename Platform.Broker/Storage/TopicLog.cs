namespace Platform.Broker.Storage;

/// <summary>A topic: its partitions (ids contiguous from 0) and its settings.</summary>
public sealed class TopicLog
{
    private PartitionLog[] _partitions = [];

    internal TopicLog(string name, Guid topicId, TopicConfig config, TopicConfig defaults)
    {
        Name = name;
        TopicId = topicId;
        Config = config;
        EffectiveConfig = config.WithDefaults(defaults).WithDefaults(TopicConfig.Default);
    }

    public string Name { get; }

    /// <summary>A stable id, kept in the topic's metadata on disk.</summary>
    public Guid TopicId { get; }

    public IReadOnlyList<PartitionLog> Partitions => _partitions;

    /// <summary>The topic's own settings (nulls are broker defaults).</summary>
    public TopicConfig Config { get; }

    /// <summary>The settings in force: the topic's own over the broker defaults.</summary>
    public TopicConfig EffectiveConfig { get; }

    internal void SetPartitions(PartitionLog[] partitions) => _partitions = partitions;

    internal static string PartitionDirectoryName(string topic, int partition) => $"{topic}-{partition}";
}
