using System.Text.Json.Serialization;

namespace Platform.Telemetry.Alerts;

[JsonConverter(typeof(JsonStringEnumConverter<AlertState>))]
public enum AlertState
{
    [JsonStringEnumMemberName("inactive")] Inactive,

    /// <summary>The condition holds, but not yet for the rule's <see cref="AlertRule.ForSeconds"/>.</summary>
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("firing")] Firing,
    [JsonStringEnumMemberName("resolved")] Resolved,
}

/// <summary>Why a record was written to the <c>alerts</c> topic.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AlertEvent>))]
public enum AlertEvent
{
    /// <summary>The state changed (<see cref="AlertTransition.PreviousState"/> → <see cref="AlertTransition.State"/>).</summary>
    [JsonStringEnumMemberName("transition")] Transition,

    /// <summary>Somebody acknowledged the alert: repeats and escalation stop.</summary>
    [JsonStringEnumMemberName("acknowledged")] Acknowledged,

    /// <summary>A notification about the alert was handed to its channels (<see cref="AlertTransition.LastNotifiedAt"/>).</summary>
    [JsonStringEnumMemberName("notified")] Notified,

    /// <summary>The alert was sent to the escalation channels.</summary>
    [JsonStringEnumMemberName("escalated")] Escalated,

    /// <summary>The rule was deleted or disabled: the alert is gone without a resolve notification.</summary>
    [JsonStringEnumMemberName("removed")] Removed,
}

/// <summary>A record on the <c>alerts</c> topic (key = <see cref="Fingerprint"/>). The newest record of a fingerprint is
/// the alert's whole current state, so a reader needs only the last one per key.</summary>
public sealed record AlertTransition
{
    /// <summary>16 lowercase hex digits identifying rule id + labels (see <see cref="AlertFingerprint"/>).</summary>
    public required string Fingerprint { get; init; }

    public required string RuleId { get; init; }

    public required string RuleName { get; init; }

    public AlertSeverity Severity { get; init; }

    public AlertEvent Event { get; init; }

    public AlertState State { get; init; }

    public AlertState PreviousState { get; init; }

    /// <summary>The series' labels, the rule's labels, <c>host</c> and <c>alertname</c>.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; set; } = new Dictionary<string, string>();

    /// <summary>The rendered annotation templates.</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; set; } = new Dictionary<string, string>();

    /// <summary>The evaluated value (aggregate, seconds of silence, or log line count) at the transition.</summary>
    public double? Value { get; init; }

    /// <summary>When this record was written (evaluation time).</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>When the condition started to hold (pending began).</summary>
    public DateTimeOffset? ActiveSince { get; init; }

    public DateTimeOffset? FiredAt { get; init; }

    public DateTimeOffset? ResolvedAt { get; init; }

    public string? AcknowledgedBy { get; init; }

    public DateTimeOffset? AcknowledgedAt { get; init; }

    public string? AcknowledgeComment { get; init; }

    /// <summary>When a notification was last handed to the channels (firing, repeat or resolve).</summary>
    public DateTimeOffset? LastNotifiedAt { get; init; }

    /// <summary>How many notifications were sent for the current firing episode.</summary>
    public int NotificationCount { get; init; }

    public DateTimeOffset? EscalatedAt { get; init; }

    /// <summary>The alerting instance that wrote the record (diagnostics).</summary>
    public string? Instance { get; init; }

    /// <summary>The <c>metrics</c> partition of the alert's host when the record was written (null when unknown, as in
    /// records of earlier versions): the instance that owns that partition next takes the alert over at once.</summary>
    public int? Partition { get; init; }
}
