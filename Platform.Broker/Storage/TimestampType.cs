namespace Platform.Broker.Storage;

/// <summary>Which timestamp a topic keeps (Kafka's message.timestamp.type).</summary>
public enum TimestampType
{
    /// <summary>The producer's timestamps, as sent.</summary>
    CreateTime,

    /// <summary>The broker stamps each batch with its append time (Kafka's LogAppendTime).</summary>
    LogAppendTime,
}
