namespace Platform.Alerting;

/// <summary>Settings of the alerting service (<see cref="AlertingServiceCollectionExtensions.AddPlatformAlerting"/>).</summary>
public sealed class AlertingOptions
{
    /// <summary>host:port of the broker (or a comma-separated list).</summary>
    public string Bootstrap { get; set; } = "127.0.0.1:9092";

    /// <summary>
    /// Extra librdkafka settings applied to every producer, consumer and admin client alerting builds (configuration
    /// keys <c>Kafka:security.protocol</c>, <c>Kafka:sasl.username</c>, ...): how it authenticates to a secured broker or
    /// Kafka cluster.
    /// </summary>
    public IDictionary<string, string> KafkaProperties { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The consumer group on <c>metrics</c> and <c>logs</c>; instances in one group split the hosts.</summary>
    public string GroupId { get; set; } = "platform-alerting";

    /// <summary>Where the instance keeps its delivery logs and its notification outbox (notifications not yet final on
    /// every channel, resumed at the next start). Give a restarted instance the same directory. The instance's id is
    /// not kept here: it is <see cref="InstanceId"/>, or new at each start.</summary>
    public string StateDirectory { get; set; } = "alerting-state";

    /// <summary>Name written into the records this instance publishes; null = host name + a random suffix.</summary>
    public string? InstanceId { get; set; }

    /// <summary>A YAML or JSON file of rules published to <c>alert-rules</c> at start (rules kept in git).</summary>
    public string? RulesFile { get; set; }

    /// <summary>Seed the default rules (CPU, memory, filesystem, host silent) when absent and never deleted.</summary>
    public bool SeedDefaultRules { get; set; } = true;

    /// <summary>How often time-driven checks run (for, absence, repeats, escalation).</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Re-send interval for rules that set none; zero = never.</summary>
    public TimeSpan RepeatInterval { get; set; } = TimeSpan.FromHours(4);

    /// <summary>How long a first notification waits for more alerts of its group.</summary>
    public TimeSpan GroupWait { get; set; } = TimeSpan.Zero;

    /// <summary>A series with no sample for this long is forgotten and its alerts resolve.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Delivery attempts per notification and channel (first try included).</summary>
    public int DeliveryAttempts { get; set; } = 5;

    /// <summary>First retry delay; doubled per attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of one HTTP or SMTP delivery attempt.</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long start-up waits for the broker before failing.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A new consumer group starts this far back in <c>metrics</c> and <c>logs</c> (committed offsets win).</summary>
    public TimeSpan StartLookback { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Max wait of the broker for metrics and logs to arrive before answering a fetch (latency).</summary>
    public int FetchWaitMaxMs { get; set; } = 20;
}
