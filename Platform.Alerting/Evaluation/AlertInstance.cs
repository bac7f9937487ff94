using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Evaluation;

/// <summary>The live state of one alert (rule × series or rule × host) owned by this instance.</summary>
internal sealed class AlertInstance
{
    public required string Fingerprint { get; init; }

    public required CompiledRule Rule { get; set; }

    public required string Host { get; init; }

    public required Dictionary<string, string> Labels { get; init; }

    public AlertState State { get; set; }

    public double Value { get; set; } = double.NaN;

    public DateTimeOffset? ActiveSince { get; set; }

    public DateTimeOffset? FiredAt { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }

    public DateTimeOffset LastEvaluatedAt { get; set; }

    public string? AcknowledgedBy { get; set; }

    public DateTimeOffset? AcknowledgedAt { get; set; }

    public string? AcknowledgeComment { get; set; }

    public DateTimeOffset? LastNotifiedAt { get; set; }

    public int NotificationCount { get; set; }

    /// <summary>The first notification waits in its group (<c>GroupWait</c>): the alert counts as notified only once the
    /// group is sent, so a record never says "notified" for a group that a crash lost.</summary>
    public bool AwaitingGroup { get; set; }

    public DateTimeOffset? EscalatedAt { get; set; }

    public IReadOnlyDictionary<string, string> Annotations { get; set; } = new Dictionary<string, string>();

    public bool IsAcknowledged => AcknowledgedAt is not null;

    public AlertTransition ToRecord(AlertEvent ev, AlertState previous, DateTimeOffset at, string instance) => new()
    {
        Fingerprint = Fingerprint,
        RuleId = Rule.Id,
        RuleName = Rule.Rule.Name,
        Severity = Rule.Rule.Severity,
        Event = ev,
        State = State,
        PreviousState = previous,
        Labels = Labels,
        Annotations = Annotations,
        Value = double.IsFinite(Value) ? Value : null,
        At = at,
        ActiveSince = ActiveSince,
        FiredAt = FiredAt,
        ResolvedAt = ResolvedAt,
        AcknowledgedBy = AcknowledgedBy,
        AcknowledgedAt = AcknowledgedAt,
        AcknowledgeComment = AcknowledgeComment,
        LastNotifiedAt = LastNotifiedAt,
        NotificationCount = NotificationCount,
        EscalatedAt = EscalatedAt,
        Instance = instance,
    };

    public static AlertInstance FromRecord(AlertTransition t, CompiledRule rule) => new()
    {
        Fingerprint = t.Fingerprint,
        Rule = rule,
        Host = t.Labels.TryGetValue("host", out var host) ? host : string.Empty,
        Labels = new Dictionary<string, string>(t.Labels, StringComparer.Ordinal),
        State = t.State,
        Value = t.Value ?? double.NaN,
        ActiveSince = t.ActiveSince,
        FiredAt = t.FiredAt,
        ResolvedAt = t.ResolvedAt,
        AcknowledgedBy = t.AcknowledgedBy,
        AcknowledgedAt = t.AcknowledgedAt,
        AcknowledgeComment = t.AcknowledgeComment,
        LastNotifiedAt = t.LastNotifiedAt,
        NotificationCount = t.NotificationCount,
        EscalatedAt = t.EscalatedAt,
        Annotations = t.Annotations,
    };
}
