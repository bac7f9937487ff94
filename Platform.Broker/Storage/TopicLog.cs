namespace Platform.Broker.Storage;

/// <summary>A topic: its partitions (ids contiguous from 0) and its settings.</summary>
public sealed class TopicLog
{
    private PartitionLog[] _partitions = [];
    private volatile Settings _settings;

    /// <summary>The topic's own settings and the ones in force, swapped together when the topic is reconfigured.</summary>
    private sealed record Settings(TopicConfig Own, TopicConfig Effective);

    internal TopicLog(string name, Guid topicId, TopicConfig config, TopicConfig defaults)
    {
        Name = name;
        TopicId = topicId;
        _settings = new Settings(config, config.WithDefaults(defaults).WithDefaults(TopicConfig.Default));
    }

    public string Name { get; }

    /// <summary>A stable id, kept in the topic's metadata on disk.</summary>
    public Guid TopicId { get; }

    public IReadOnlyList<PartitionLog> Partitions => _partitions;

    /// <summary>The topic's own settings (nulls are broker defaults).</summary>
    public TopicConfig Config => _settings.Own;

    /// <summary>The settings in force: the topic's own over the broker defaults (read afresh by each append and retention pass).</summary>
    public TopicConfig EffectiveConfig => _settings.Effective;

    internal void Reconfigure(TopicConfig config, TopicConfig defaults) =>
        _settings = new Settings(config, config.WithDefaults(defaults).WithDefaults(TopicConfig.Default));

    internal void SetPartitions(PartitionLog[] partitions) => _partitions = partitions;

    internal static string PartitionDirectoryName(string topic, int partition) => $"{topic}-{partition}";
}
