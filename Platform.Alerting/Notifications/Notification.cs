using System.Text.Json.Serialization;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Notifications;

/// <summary>Why a notification is sent.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NotificationReason>))]
public enum NotificationReason
{
    [JsonStringEnumMemberName("firing")] Firing,
    [JsonStringEnumMemberName("repeat")] Repeat,
    [JsonStringEnumMemberName("resolved")] Resolved,
    [JsonStringEnumMemberName("escalation")] Escalation,
    [JsonStringEnumMemberName("test")] Test,
}

/// <summary>One alert inside a notification.</summary>
public sealed record NotifiedAlert
{
    public required string Fingerprint { get; init; }

    public AlertState State { get; init; }

    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    public required IReadOnlyDictionary<string, string> Annotations { get; init; }

    public double? Value { get; init; }

    public DateTimeOffset? FiredAt { get; init; }

    public DateTimeOffset? ResolvedAt { get; init; }

    public string? AcknowledgedBy { get; init; }
}

/// <summary>A group of alerts sent together (the generic webhook's JSON body). <see cref="Status"/> is "firing" when
/// any alert of the group fires, else "resolved".</summary>
public sealed record Notification
{
    public required string Id { get; init; }

    public required string GroupKey { get; init; }

    public required string RuleId { get; init; }

    public required string RuleName { get; init; }

    public AlertSeverity Severity { get; init; }

    public required string Status { get; init; }

    public NotificationReason Reason { get; init; }

    public required DateTimeOffset At { get; init; }

    /// <summary>The channel ids this notification goes to.</summary>
    public required IReadOnlyList<string> Channels { get; init; }

    public required IReadOnlyList<NotifiedAlert> Alerts { get; init; }

    /// <summary>One line: "[FIRING:2] HighCpu (web-1, web-2)".</summary>
    public required string Title { get; init; }

    /// <summary>The alerts' summaries and descriptions, one per line.</summary>
    public required string Text { get; init; }
}
