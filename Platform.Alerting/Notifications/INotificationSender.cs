using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Notifications;

/// <summary>Delivers a notification to one channel of its type; throws <see cref="DeliveryException"/> (or an I/O
/// exception) when the channel refused or could not be reached.</summary>
internal interface INotificationSender
{
    ChannelType Type { get; }

    /// <summary>Sends once; returns a short status for the delivery log (HTTP status, SMTP reply).</summary>
    Task<string> SendAsync(NotificationChannel channel, Notification notification, CancellationToken cancellationToken);
}

/// <summary>The channel answered with a failure.</summary>
internal sealed class DeliveryException(string message, bool retryable = true) : Exception(message)
{
    /// <summary>False for failures a retry cannot fix (e.g. HTTP 400, 404).</summary>
    public bool Retryable { get; } = retryable;
}
