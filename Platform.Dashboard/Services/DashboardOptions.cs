namespace Platform.Dashboard.Services;

/// <summary>How the dashboard reads the fleet from the broker and how much it keeps in memory.</summary>
public sealed class DashboardOptions
{
    /// <summary>The Kafka bootstrap servers ("host:port[,host:port]").</summary>
    public string Bootstrap { get; set; } = "127.0.0.1:9092";

    /// <summary>
    /// The consumer group id the dashboard's consumers present. The dashboard assigns partitions itself and
    /// never commits offsets, so the group only names the client in the broker's views.
    /// </summary>
    public string GroupId { get; set; } = "platform-dashboard";

    /// <summary>
    /// Extra librdkafka settings applied to every consumer and admin client the dashboard builds (security.protocol,
    /// sasl.mechanism, sasl.username, sasl.password, ssl.ca.location, ...), e.g. from <c>--kafka KEY=VALUE</c>.
    /// </summary>
    public IDictionary<string, string> KafkaProperties { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How far back the live view reads when the dashboard starts (the series fill from there).</summary>
    public TimeSpan Backfill { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The number of points each in-memory series keeps (5 minutes at 1 s plus slack by default).</summary>
    public int RingCapacity { get; set; } = 360;

    /// <summary>The most series kept for one host; further series are counted and dropped.</summary>
    public int MaxSeriesPerHost { get; set; } = 1024;

    /// <summary>A host is silent after this many of its collection intervals without a batch.</summary>
    public int SilentAfterIntervals { get; set; } = 3;

    /// <summary>The interval assumed for a host that has not said its own.</summary>
    public TimeSpan DefaultInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A host silent for longer than this is forgotten (its memory freed).</summary>
    public TimeSpan ForgetAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The alerting REST API the dashboard's actions call (acknowledge, silence, rules, channels), e.g.
    /// "http://alerting-1:8080/". The all-in-one sets it to its own loopback address once it listens; null with
    /// <c>--bootstrap</c> and no <c>--alerting-url</c>: the operating pages are read-only and say why.</summary>
    public string? AlertingUrl { get; set; }

    /// <summary>
    /// Whether <see cref="AlertingUrl"/> is alerting in this very process (the all-in-one sets it). With security on, the
    /// dashboard calls alerting with a sign-in ticket that only this process accepts, so a separate alerting host cannot
    /// be acted on: the operating pages are then read-only and say why.
    /// </summary>
    public bool AlertingInProcess { get; set; }

    /// <summary>How long an action waits for the alerting API before it reports the API as not answering.</summary>
    public TimeSpan AlertingTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a backtest waits: longer than the backtester's own budget (120 s), so its answer arrives.</summary>
    public TimeSpan BacktestTimeout { get; set; } = TimeSpan.FromSeconds(150);

    /// <summary>How long a resolved alert stays in the dashboard's alert table (its records stay in the history).</summary>
    public TimeSpan ResolvedRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The most history scans (host ranges read back from the log) that run at once; others wait.</summary>
    public int MaxConcurrentHistoryReads { get; set; } = 2;

    /// <summary>The display rate: live pushes per host and page refreshes happen at most this often.</summary>
    public TimeSpan PushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The most points a chart read back from the log is downsampled to.</summary>
    public int HistoryPoints { get; set; } = 300;

    /// <summary>Validates the options; throws with a message naming the bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Bootstrap))
        {
            throw new ArgumentException("Dashboard: Bootstrap must name at least one broker (host:port).");
        }

        if (RingCapacity < 2)
        {
            throw new ArgumentException($"Dashboard: RingCapacity must be at least 2 (was {RingCapacity}).");
        }

        if (MaxSeriesPerHost < 1)
        {
            throw new ArgumentException($"Dashboard: MaxSeriesPerHost must be positive (was {MaxSeriesPerHost}).");
        }

        if (SilentAfterIntervals < 1)
        {
            throw new ArgumentException($"Dashboard: SilentAfterIntervals must be positive (was {SilentAfterIntervals}).");
        }

        if (PushInterval <= TimeSpan.Zero || Backfill < TimeSpan.Zero || DefaultInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("Dashboard: PushInterval and DefaultInterval must be positive and Backfill not negative.");
        }

        if (AlertingUrl is not null && !Uri.TryCreate(AlertingUrl, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"Dashboard: AlertingUrl '{AlertingUrl}' is not an absolute URL (http://host:port/).");
        }

        if (AlertingTimeout <= TimeSpan.Zero || BacktestTimeout <= TimeSpan.Zero || ResolvedRetention < TimeSpan.Zero || MaxConcurrentHistoryReads < 1)
        {
            throw new ArgumentException("Dashboard: AlertingTimeout, BacktestTimeout and MaxConcurrentHistoryReads must be positive and ResolvedRetention not negative.");
        }

        if (HistoryPoints < 2)
        {
            throw new ArgumentException($"Dashboard: HistoryPoints must be at least 2 (was {HistoryPoints}).");
        }
    }
}
