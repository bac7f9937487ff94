using Platform.Alerting.Evaluation;
using Platform.Alerting.Notifications;
using Platform.Telemetry.Alerts;
using Platform.Telemetry.V1;

namespace Platform.Alerting.Tests.Evaluation;

/// <summary>An engine on a manual clock, with helpers to feed samples and collect what it decides.</summary>
internal sealed class EngineFixture
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero); // a Monday

    public EngineFixture(TimeSpan? groupWait = null, TimeSpan? repeat = null, string instance = "test", TimeSpan? staleAfter = null,
        int maxSeries = 1 << 20)
    {
        Engine = new AlertEngine(Clock, new AlertEngineOptions
        {
            Instance = instance,
            GroupWait = groupWait ?? TimeSpan.Zero,
            RepeatInterval = repeat ?? TimeSpan.FromHours(4),
            StaleAfter = staleAfter ?? TimeSpan.FromDays(1),
            MaxSeries = maxSeries,
            SeriesSeen = SeriesSeen.Add,
        });
        Engine.UpsertChannel(new NotificationChannel { Id = "ops", Name = "ops", Type = ChannelType.Webhook, Url = new Uri("http://127.0.0.1/"), IsDefault = true });
    }

    public ManualClock Clock { get; } = new(Start);

    public AlertEngine Engine { get; }

    public List<AlertTransition> Records { get; } = [];

    public List<Notification> Notifications { get; } = [];

    /// <summary>The descriptors the engine reported as new, in order.</summary>
    public List<Platform.Telemetry.Decoding.SeriesDescriptor> SeriesSeen { get; } = [];

    public void Metric(string host, string name, double value, params (string Name, string Value)[] labels)
    {
        var batch = new MetricBatch { HostId = host, TimestampUnixMs = Clock.Now.ToUnixTimeMilliseconds(), SchemaVersion = 1 };
        var sample = new Sample { Name = name, Value = value, Unit = "1" };
        foreach (var (n, v) in labels)
        {
            sample.Labels.Add(new Label { Name = n, Value = v });
        }

        batch.Samples.Add(sample);
        Engine.Ingest(batch);
        Drain();
    }

    /// <summary>One batch of several samples: (name, value, labels as "name=value").</summary>
    public void Batch(string host, params (string Name, double Value, string[] Labels)[] samples)
    {
        var batch = new MetricBatch { HostId = host, TimestampUnixMs = Clock.Now.ToUnixTimeMilliseconds(), SchemaVersion = 1 };
        foreach (var (name, value, labels) in samples)
        {
            var sample = new Sample { Name = name, Value = value, Unit = "1" };
            foreach (var label in labels)
            {
                var eq = label.IndexOf('=', StringComparison.Ordinal);
                sample.Labels.Add(new Label { Name = label[..eq], Value = label[(eq + 1)..] });
            }

            batch.Samples.Add(sample);
        }

        Engine.Ingest(batch);
        Drain();
    }

    /// <summary>A batch read back after a restart or hand-over (<see cref="AlertEngine.Replay(Platform.Telemetry.Decoding.DecodedMetricBatch)"/>),
    /// timestamped <paramref name="at"/>.</summary>
    public void ReplayMetric(string host, string name, double value, DateTimeOffset at)
    {
        var batch = new MetricBatch { HostId = host, TimestampUnixMs = at.ToUnixTimeMilliseconds(), SchemaVersion = 1 };
        batch.Samples.Add(new Sample { Name = name, Value = value, Unit = "1" });
        Engine.Replay(Engine.Decoder.Decode(Google.Protobuf.MessageExtensions.ToByteArray(batch)));
        Drain();
    }

    public void Log(string host, params string[] lines)
    {
        var batch = new LogBatch { HostId = host, TimestampUnixMs = Clock.Now.ToUnixTimeMilliseconds() };
        foreach (var line in lines)
        {
            batch.Records.Add(new LogRecord { Message = line, Source = "/var/log/app.log", TimestampUnixMs = Clock.Now.ToUnixTimeMilliseconds() });
        }

        Engine.Ingest(batch);
        Drain();
    }

    public void Tick(TimeSpan advance)
    {
        Clock.Advance(advance);
        Engine.Tick();
        Drain();
    }

    public void Drain()
    {
        Records.AddRange(Engine.Records);
        Engine.Records.Clear();
        Notifications.AddRange(Engine.Notifications);
        Engine.Notifications.Clear();
    }

    public List<AlertState> StatesOf(string ruleId) =>
        Records.Where(r => r.RuleId == ruleId && r.Event == AlertEvent.Transition).Select(r => r.State).ToList();

    public static AlertRule CpuRule(double forSeconds = 0, double? recovery = null, Aggregation aggregation = Aggregation.Last,
        double window = 0, double threshold = 0.9) => new()
    {
        Id = "cpu",
        Name = "HighCpu",
        Kind = RuleKind.Metric,
        Metric = new MetricCondition
        {
            Name = "system.cpu.utilization",
            Aggregation = aggregation,
            WindowSeconds = window,
            Comparison = Comparison.GreaterThan,
            Threshold = threshold,
            RecoveryThreshold = recovery,
        },
        ForSeconds = forSeconds,
        Annotations = new Dictionary<string, string> { ["summary"] = "CPU on {{host}} at {{value|percent}}" },
    };
}
