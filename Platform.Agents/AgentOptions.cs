using Confluent.Kafka;

namespace Platform.Agents;

/// <summary>Everything the agent is told: from the command line, the config file, or the embedding host.</summary>
public sealed class AgentOptions
{
    /// <summary>Kafka bootstrap servers, HOST:PORT[,HOST:PORT...]. Required unless <see cref="Output"/> is <see cref="AgentOutput.Null"/>.</summary>
    public string Bootstrap { get; set; } = "";

    /// <summary>The collection interval; one metrics batch per interval. Between 100 ms and 1 hour.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The host id (record key); null = the host name.</summary>
    public string? HostId { get; set; }

    /// <summary>Labels sent in the host inventory, e.g. env=prod, rack=r12.</summary>
    public IDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Log files and globs to tail (* and ? within a path segment, ** for any depth).</summary>
    public IList<string> LogPaths { get; init; } = [];

    /// <summary>Spool and log positions. Created when missing.</summary>
    public string StateDirectory { get; set; } = "/var/lib/platform-agent";

    /// <summary>Where batches go: the broker (default) or nowhere (dry run, still encoded and spooled).</summary>
    public AgentOutput Output { get; set; } = AgentOutput.Kafka;

    /// <summary>Batch compression: lz4 (default), zstd, gzip, snappy or none.</summary>
    public CompressionType Compression { get; set; } = CompressionType.Lz4;

    /// <summary>
    /// How long the Kafka client tries one batch before reporting it failed (the spool then sends it again).
    /// Zero (the default) = never give up: the idempotent producer keeps retrying in order, so an outage of any
    /// length neither reorders nor duplicates. With a finite timeout, batches that time out are sent again
    /// after batches queued behind them that did get through (consumers can reorder by sequence).
    /// </summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.Zero;

    /// <summary>The spool's bound on disk; past it the oldest data is dropped and counted.</summary>
    public long SpoolMaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>HOST:PORT for the agent's own Prometheus /metrics; null = off.</summary>
    public string? MetricsListen { get; set; }

    /// <summary>Collect host metrics (default on).</summary>
    public bool CollectHost { get; set; } = true;

    /// <summary>Collect container metrics from cgroups (default on).</summary>
    public bool CollectContainers { get; set; } = true;

    /// <summary>procfs root.</summary>
    public string ProcRoot { get; set; } = "/proc";

    /// <summary>sysfs root. The default missing is a warning at start; a configured one missing is an error.</summary>
    public string SysRoot { get; set; } = DefaultSysRoot;

    /// <summary>The host's root filesystem (mount usage and os-release are looked up under it); must exist.</summary>
    public string RootFs { get; set; } = "/";

    /// <summary>The cgroup filesystem root. The default missing turns container metrics off with a warning at start; a configured one missing is an error.</summary>
    public string CgroupRoot { get; set; } = DefaultCgroupRoot;

    /// <summary>The Docker Engine API socket; used for container names when it exists. Empty = no names from Docker; a configured (non-default) path that does not exist is an error.</summary>
    public string DockerSocket { get; set; } = DefaultDockerSocket;

    /// <summary>Report network filesystems (nfs, cifs, ceph, fuse.sshfs, ...) too; their statvfs then runs with a timeout. Default off.</summary>
    public bool NetworkFilesystems { get; set; }

    internal const string DefaultSysRoot = "/sys";
    internal const string DefaultCgroupRoot = "/sys/fs/cgroup";
    internal const string DefaultDockerSocket = "/var/run/docker.sock";

    /// <summary>Prometheus text-format endpoints to scrape every interval (http://HOST:PORT/metrics).</summary>
    public IList<string> ScrapeTargets { get; init; } = [];

    /// <summary>A regular expression that starts a log record; lines that do not match join the previous one. Null = every line is a record.</summary>
    public string? MultilineStart { get; set; }

    /// <summary>Read files present at the agent's first start from their beginning (default: from their end, like tail -F).</summary>
    public bool LogsFromBeginning { get; set; }

    /// <summary>How often the host inventory (HostInfo) rides along a metrics batch; it is always in the first.</summary>
    public TimeSpan InventoryInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Extra librdkafka producer settings (e.g. security.protocol, sasl.*), applied last.</summary>
    public IDictionary<string, string> KafkaSettings { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// The same dictionary as <see cref="KafkaSettings"/> under the name every component uses for its librdkafka
    /// settings (security.protocol, sasl.mechanism, sasl.username, sasl.password, ssl.ca.location, ...).
    /// </summary>
    public IDictionary<string, string> KafkaProperties => KafkaSettings;

    /// <summary>Checks the options; throws with every problem listed.</summary>
    /// <exception cref="AgentConfigurationException">One or more settings are invalid.</exception>
    public void Validate() => OptionsValidator.Validate(this);
}

/// <summary>Where the agent sends its batches.</summary>
public enum AgentOutput
{
    /// <summary>To the broker through the Kafka protocol.</summary>
    Kafka,
    /// <summary>Nowhere: batches are encoded and spooled, then counted as delivered (dry run, cost measurement).</summary>
    Null,
}

/// <summary>A configuration the agent cannot run with; the message says what and where.</summary>
public sealed class AgentConfigurationException : Exception
{
    public AgentConfigurationException()
    {
    }

    public AgentConfigurationException(string message)
        : base(message)
    {
    }

    public AgentConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
