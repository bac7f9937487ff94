namespace Platform.Alerting.Notifications;

/// <summary>One delivery attempt of one notification to one channel.</summary>
public sealed record DeliveryRecord
{
    public required string ChannelId { get; init; }

    public required string NotificationId { get; init; }

    public required string Title { get; init; }

    public required DateTimeOffset At { get; init; }

    public int Attempt { get; init; }

    public bool Success { get; init; }

    /// <summary>True when no further attempt will be made (success or the last failure).</summary>
    public bool Final { get; init; }

    public string? Status { get; init; }

    public string? Error { get; init; }

    public double DurationMs { get; init; }
}
