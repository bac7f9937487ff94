using System.Text.Json.Serialization;

namespace Platform.Telemetry.Alerts;

/// <summary>What a rule watches.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RuleKind>))]
public enum RuleKind
{
    /// <summary>A threshold on an aggregate of a metric over a window (<see cref="AlertRule.Metric"/>).</summary>
    [JsonStringEnumMemberName("metric")] Metric,

    /// <summary>A host or series that sends nothing for a while (<see cref="AlertRule.Absence"/>).</summary>
    [JsonStringEnumMemberName("absence")] Absence,

    /// <summary>Log lines matching a pattern counted over a window, per host (<see cref="AlertRule.Log"/>).</summary>
    [JsonStringEnumMemberName("log")] Log,
}

[JsonConverter(typeof(JsonStringEnumConverter<AlertSeverity>))]
public enum AlertSeverity
{
    [JsonStringEnumMemberName("info")] Info,
    [JsonStringEnumMemberName("warning")] Warning,
    [JsonStringEnumMemberName("critical")] Critical,
}

/// <summary>The comparison of an aggregate with the threshold: the condition is met when <c>value OP threshold</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Comparison>))]
public enum Comparison
{
    [JsonStringEnumMemberName(">")] GreaterThan,
    [JsonStringEnumMemberName(">=")] GreaterOrEqual,
    [JsonStringEnumMemberName("<")] LessThan,
    [JsonStringEnumMemberName("<=")] LessOrEqual,
    [JsonStringEnumMemberName("==")] Equal,
    [JsonStringEnumMemberName("!=")] NotEqual,
}

/// <summary>How the samples of a series within the window are reduced to one value.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Aggregation>))]
public enum Aggregation
{
    /// <summary>The newest sample.</summary>
    [JsonStringEnumMemberName("last")] Last,
    [JsonStringEnumMemberName("avg")] Avg,
    [JsonStringEnumMemberName("min")] Min,
    [JsonStringEnumMemberName("max")] Max,

    /// <summary>Per-second increase between the oldest and newest sample in the window (counter resets handled).</summary>
    [JsonStringEnumMemberName("rate")] Rate,

    /// <summary>The <see cref="MetricCondition.Percentile"/>-th percentile (0..100) of the samples.</summary>
    [JsonStringEnumMemberName("percentile")] Percentile,
}

/// <summary>A threshold on one metric: every series (name + labels + host) matching is evaluated on its own.</summary>
public sealed record MetricCondition
{
    /// <summary>The metric name as in the telemetry schema, e.g. <c>system.cpu.utilization</c>.</summary>
    public required string Name { get; init; }

    public IReadOnlyList<LabelMatcher> Matchers { get; set; } = [];

    public Aggregation Aggregation { get; set; } = Aggregation.Last;

    /// <summary>For <see cref="Aggregation.Percentile"/>: 0..100.</summary>
    public double? Percentile { get; init; }

    /// <summary>The window the aggregation looks at, in seconds; 0 with <see cref="Aggregation.Last"/> = the newest sample.</summary>
    public double WindowSeconds { get; init; }

    public Comparison Comparison { get; set; } = Comparison.GreaterThan;

    public required double Threshold { get; init; }

    /// <summary>Hysteresis: a firing alert resolves only once the value is on the other side of this threshold
    /// (e.g. fire above 0.9, resolve below 0.85). Null = the alert resolves when the condition stops holding.</summary>
    public double? RecoveryThreshold { get; init; }
}

/// <summary>Fires when nothing arrives for <see cref="AfterSeconds"/>: from a host at all (<see cref="MetricName"/> null:
/// "host down") or from one series of a metric.</summary>
public sealed record AbsenceCondition
{
    /// <summary>Null = any batch from the host counts as a heartbeat.</summary>
    public string? MetricName { get; init; }

    public IReadOnlyList<LabelMatcher> Matchers { get; set; } = [];

    public required double AfterSeconds { get; init; }
}

/// <summary>Counts log lines that match, per host, over a window.</summary>
public sealed record LogCondition
{
    /// <summary>A substring, or a .NET regular expression when <see cref="IsRegex"/>.</summary>
    public required string Pattern { get; init; }

    public bool IsRegex { get; init; }

    public bool IgnoreCase { get; init; }

    /// <summary>Only lines whose source (the file) matches, when set.</summary>
    public IReadOnlyList<LabelMatcher> Matchers { get; set; } = [];

    public required double WindowSeconds { get; init; }

    /// <summary>The condition is met when the count within the window is at least this many lines.</summary>
    public int MinCount { get; set; } = 1;
}

/// <summary>When nobody acknowledges a firing alert within <see cref="AfterSeconds"/>, the alert is also sent to
/// <see cref="Channels"/>.</summary>
public sealed record EscalationPolicy
{
    public required double AfterSeconds { get; init; }

    public required IReadOnlyList<string> Channels { get; init; }
}

/// <summary>A rule on the <c>alert-rules</c> topic (key = <see cref="Id"/>, newest wins, a tombstone deletes it).
/// Exactly one of <see cref="Metric"/>, <see cref="Absence"/>, <see cref="Log"/> is set, as <see cref="Kind"/> says.</summary>
public sealed record AlertRule
{
    /// <summary>Stable id: letters, digits, '-', '_', '.'; at most 128 characters.</summary>
    public required string Id { get; init; }

    /// <summary>Human name; also the <c>alertname</c> label of its alerts.</summary>
    public required string Name { get; init; }

    public RuleKind Kind { get; init; }

    public bool Enabled { get; set; } = true;

    public AlertSeverity Severity { get; set; } = AlertSeverity.Warning;

    public MetricCondition? Metric { get; init; }

    public AbsenceCondition? Absence { get; init; }

    public LogCondition? Log { get; init; }

    /// <summary>How long the condition must hold before pending turns into firing; 0 = fire at once.</summary>
    public double ForSeconds { get; init; }

    /// <summary>Labels added to every alert of this rule (routing, team, …).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; set; } = new Dictionary<string, string>();

    /// <summary>Templates such as <c>summary</c>, <c>description</c>: <c>{{host}}</c>, <c>{{value}}</c>,
    /// <c>{{threshold}}</c>, <c>{{rule}}</c>, <c>{{severity}}</c>, <c>{{labels.NAME}}</c> or <c>{{NAME}}</c> for any label.</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; set; } = new Dictionary<string, string>();

    /// <summary>Channel ids to notify; empty = every channel marked <see cref="NotificationChannel.IsDefault"/>.</summary>
    public IReadOnlyList<string> Channels { get; set; } = [];

    /// <summary>Label names whose values form a notification group (one message per group); empty = one group per rule.</summary>
    public IReadOnlyList<string> GroupBy { get; set; } = [];

    /// <summary>Re-send a still firing, unacknowledged alert after this long; null = the service's default, 0 = never.</summary>
    public double? RepeatIntervalSeconds { get; init; }

    public EscalationPolicy? Escalation { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    public string? UpdatedBy { get; init; }
}
