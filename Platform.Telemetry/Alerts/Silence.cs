using System.Text.Json.Serialization;

namespace Platform.Telemetry.Alerts;

[JsonConverter(typeof(JsonStringEnumConverter<RecurrenceFrequency>))]
public enum RecurrenceFrequency
{
    [JsonStringEnumMemberName("daily")] Daily,
    [JsonStringEnumMemberName("weekly")] Weekly,
}

/// <summary>A recurring maintenance window, e.g. every Sunday 02:00 for 2 h in Europe/Paris.</summary>
public sealed record Recurrence
{
    public RecurrenceFrequency Frequency { get; set; } = RecurrenceFrequency.Daily;

    /// <summary>For weekly recurrences: the days (empty = the weekday of <see cref="Silence.StartsAt"/>).</summary>
    public IReadOnlyList<DayOfWeek> DaysOfWeek { get; set; } = [];

    /// <summary>Local start time of each occurrence, "HH:mm" (24 h).</summary>
    public required string StartTime { get; init; }

    public required double DurationSeconds { get; init; }

    /// <summary>IANA or Windows time-zone id; null = UTC.</summary>
    public string? TimeZone { get; init; }
}

/// <summary>A record on the <c>silences</c> topic (key = <see cref="Id"/>; a tombstone expires it). Alerts whose labels
/// match every matcher send no notification while the silence is active; their state is still tracked and published.
/// With <see cref="Recurrence"/> it is a scheduled maintenance window, active during each occurrence between
/// <see cref="StartsAt"/> and <see cref="EndsAt"/>.</summary>
public sealed record Silence
{
    public required string Id { get; init; }

    /// <summary>At least one; all must match an alert's labels (incl. <c>host</c>, <c>alertname</c>).</summary>
    public required IReadOnlyList<LabelMatcher> Matchers { get; init; }

    public required DateTimeOffset StartsAt { get; init; }

    /// <summary>The silence expires at this time (for a maintenance window: no occurrence after it).</summary>
    public required DateTimeOffset EndsAt { get; init; }

    public string? CreatedBy { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public string? Comment { get; init; }

    public Recurrence? Recurrence { get; init; }
}
