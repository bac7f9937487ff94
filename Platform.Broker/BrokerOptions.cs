using Platform.Broker.Security;
using Platform.Broker.Storage;

namespace Platform.Broker;

/// <summary>
/// Settings of one broker. From the command line (<c>--listen</c>, <c>--data-dir</c>, ...), configuration keys
/// (<c>Broker:Listen</c>, ...) or environment variables (<c>BROKER__LISTEN</c>, ...); see the README.
/// </summary>
public sealed class BrokerOptions
{
    /// <summary>host:port of the Kafka listener; port 0 picks a free one. The host is also what Metadata advertises.</summary>
    public string Listen { get; set; } = "127.0.0.1:9092";

    public string DataDirectory { get; set; } = "./data";

    /// <summary>host:port of the HTTP listener for /metrics and /health; null turns it off.</summary>
    public string? MetricsListen { get; set; }

    /// <summary>Create a topic when Metadata asks for an unknown one (and the client allows it).</summary>
    public bool AutoCreateTopics { get; set; } = true;

    /// <summary>Partitions of an auto-created topic, and of CreateTopics asking for -1.</summary>
    public int DefaultPartitions { get; set; } = 3;

    /// <summary>This broker's node id in Metadata and FindCoordinator.</summary>
    public int NodeId { get; set; } = 1;

    public string ClusterId { get; set; } = "platform-broker";

    /// <summary>Largest request frame accepted (checked from the 4-byte size header); larger ones close the connection.</summary>
    public int MaxFrameBytes { get; set; } = 100 * 1024 * 1024;

    public int MaxConnections { get; set; } = 1024;

    /// <summary>Requests read from one connection and not yet answered; the connection stops reading at this bound.</summary>
    public int MaxInFlightRequestsPerConnection { get; set; } = 64;

    /// <summary>
    /// The longest a Fetch parks, whatever max_wait it asks for (a broker may answer a long poll early; clients fetch
    /// again). Bounds how long a connection's in-order answers can be held up by one request.
    /// </summary>
    public TimeSpan MaxFetchWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the coordinator waits for more members before completing the first rebalance of an empty group.</summary>
    public TimeSpan GroupInitialRebalanceDelay { get; set; } = TimeSpan.FromMilliseconds(300);

    public int GroupMinSessionTimeoutMs { get; set; } = 1000;

    public int GroupMaxSessionTimeoutMs { get; set; } = 30 * 60 * 1000;

    /// <summary>Storage: when appends are forced to disk.</summary>
    public FlushMode FlushMode { get; set; } = FlushMode.Strict;

    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    public long RetentionMs { get; set; } = TopicConfig.Default.RetentionMs!.Value;

    public long RetentionBytes { get; set; } = TopicConfig.Default.RetentionBytes!.Value;

    public int SegmentBytes { get; set; } = TopicConfig.Default.SegmentBytes!.Value;

    public int MaxMessageBytes { get; set; } = TopicConfig.Default.MaxMessageBytes!.Value;

    /// <summary>SASL authentication, TLS and ACLs of the Kafka listener (<c>Broker:Security:...</c>); off by default.</summary>
    public SecurityOptions Security { get; set; } = new();

    internal LogOptions ToLogOptions() => new()
    {
        DataDirectory = Path.GetFullPath(DataDirectory),
        FlushMode = FlushMode,
        FlushInterval = FlushInterval,
        Defaults = TopicConfig.Default with
        {
            RetentionMs = RetentionMs,
            RetentionBytes = RetentionBytes,
            SegmentBytes = SegmentBytes,
            MaxMessageBytes = MaxMessageBytes,
        },
    };
}
