using Platform.Broker.Security;
using Platform.Broker.Storage;

namespace Platform.Broker;

/// <summary>
/// Settings of one broker. From the command line (<c>--listen</c>, <c>--data-dir</c>, ...), configuration keys
/// (<c>Broker:Listen</c>, ...) or environment variables (<c>BROKER__LISTEN</c>, ...); see the README.
/// </summary>
public sealed class BrokerOptions
{
    /// <summary>host:port of the Kafka listener; port 0 picks a free one.</summary>
    public string Listen { get; set; } = "127.0.0.1:9092";

    /// <summary>
    /// host:port that Metadata and FindCoordinator hand to clients (Kafka's advertised.listeners), for a broker behind
    /// NAT, in a container or listening on 0.0.0.0; null advertises the address each client dialled (the connection's
    /// local address).
    /// </summary>
    public string? AdvertisedListen { get; set; }

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

    /// <summary>
    /// Largest request frame accepted (checked from the 4-byte size header); larger ones close the connection. Kafka's
    /// socket.request.max.bytes (100 MiB), so a client tuned for Kafka is never refused here; the memory all connections
    /// can hold is bounded by <see cref="MaxQueuedRequestBytes"/>, not by this × connections × in-flight requests.
    /// </summary>
    public int MaxFrameBytes { get; set; } = 100 * 1024 * 1024;

    public int MaxConnections { get; set; } = 1024;

    /// <summary>Requests read from one connection and not yet answered; the connection stops reading at this bound.</summary>
    public int MaxInFlightRequestsPerConnection { get; set; } = 64;

    /// <summary>
    /// Broker-wide bytes of requests read and not yet answered (Kafka's queued.max.request.bytes): a connection reserves
    /// a frame's size before reading its body and pauses while the budget is spent. A single frame is always admitted
    /// when nothing else is queued. 0 or less: no limit.
    /// </summary>
    public long MaxQueuedRequestBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// A connection with no request in flight, no partial frame and no bytes received for this long is closed
    /// (Kafka's connections.max.idle.ms, 10 minutes). A connection whose request is parked (a long poll, a JoinGroup)
    /// is not idle.
    /// </summary>
    public TimeSpan ConnectionIdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The longest a client may take to send the rest of a frame it has started; a connection trickling a frame (or
    /// stopping in the middle of one) is closed after this, with a logged reason.
    /// </summary>
    public TimeSpan FrameTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The most record bytes one Fetch answer carries, whatever max_bytes the client asks for (Kafka's fetch.max.bytes,
    /// 55 MiB); an answer still holds at least one whole batch.
    /// </summary>
    public int MaxFetchBytes { get; set; } = 55 * 1024 * 1024;

    /// <summary>
    /// Broker-wide bytes of Fetch answers built and not yet sent: a Fetch with records to return reserves its answer's
    /// cap (the smaller of its max_bytes and <see cref="MaxFetchBytes"/>) before reading them and waits while the budget
    /// is spent, so clients that stop reading their answers hold at most this much memory, however many connect. One
    /// answer is always admitted when none is held. 0 or less: no limit.
    /// </summary>
    public long MaxQueuedFetchBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// The longest a Fetch parks, whatever max_wait it asks for (a broker may answer a long poll early; clients fetch
    /// again). Bounds how long a connection's in-order answers can be held up by one request.
    /// </summary>
    public TimeSpan MaxFetchWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the coordinator waits for more members before completing the first rebalance of an empty group.</summary>
    public TimeSpan GroupInitialRebalanceDelay { get; set; } = TimeSpan.FromMilliseconds(300);

    public int GroupMinSessionTimeoutMs { get; set; } = 1000;

    public int GroupMaxSessionTimeoutMs { get; set; } = 30 * 60 * 1000;

    /// <summary>
    /// How long the committed offsets of a group with no members are kept after the group went empty (Kafka's
    /// offsets.retention.minutes, 7 days); the group itself is forgotten once it has neither members nor offsets.
    /// </summary>
    public TimeSpan OffsetsRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Storage: when appends are forced to disk.</summary>
    public FlushMode FlushMode { get; set; } = FlushMode.Strict;

    /// <summary>Group commit: fsync at least this often.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Group commit: fsync as soon as this many bytes are written and not yet flushed.</summary>
    public long FlushBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How often retention (time and size) is enforced on every partition.</summary>
    public TimeSpan RetentionCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    public long RetentionMs { get; set; } = TopicConfig.Default.RetentionMs!.Value;

    public long RetentionBytes { get; set; } = TopicConfig.Default.RetentionBytes!.Value;

    public int SegmentBytes { get; set; } = TopicConfig.Default.SegmentBytes!.Value;

    public int MaxMessageBytes { get; set; } = TopicConfig.Default.MaxMessageBytes!.Value;

    /// <summary>Roll a new segment when the active one is older than this (topic default of segment.ms).</summary>
    public long SegmentMs { get; set; } = TopicConfig.Default.SegmentMs!.Value;

    /// <summary>Bytes between two offset-index entries (topic default of index.interval.bytes).</summary>
    public int IndexIntervalBytes { get; set; } = TopicConfig.Default.IndexIntervalBytes!.Value;

    /// <summary>SASL authentication, TLS and ACLs of the Kafka listener (<c>Broker:Security:...</c>); off by default.</summary>
    public SecurityOptions Security { get; set; } = new();

    internal LogOptions ToLogOptions() => new()
    {
        DataDirectory = Path.GetFullPath(DataDirectory),
        FlushMode = FlushMode,
        FlushInterval = FlushInterval,
        FlushBytes = FlushBytes,
        RetentionCheckInterval = RetentionCheckInterval,
        Defaults = TopicConfig.Default with
        {
            RetentionMs = RetentionMs,
            RetentionBytes = RetentionBytes,
            SegmentBytes = SegmentBytes,
            MaxMessageBytes = MaxMessageBytes,
            SegmentMs = SegmentMs,
            IndexIntervalBytes = IndexIntervalBytes,
        },
    };
}
