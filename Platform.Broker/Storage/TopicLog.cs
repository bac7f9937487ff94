namespace Platform.Broker.Storage;

/// <summary>A topic: its partitions (ids contiguous from 0) and its settings.</summary>
public sealed class TopicLog
{
    public string Name => throw new NotImplementedException();

    /// <summary>A stable id, kept in the topic's metadata on disk.</summary>
    public Guid TopicId => throw new NotImplementedException();

    public IReadOnlyList<PartitionLog> Partitions => throw new NotImplementedException();

    /// <summary>The topic's own settings (nulls are broker defaults).</summary>
    public TopicConfig Config => throw new NotImplementedException();

    /// <summary>The settings in force: the topic's own over the broker defaults.</summary>
    public TopicConfig EffectiveConfig => throw new NotImplementedException();
}
