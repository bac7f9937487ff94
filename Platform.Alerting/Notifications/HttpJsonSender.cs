using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Notifications;

/// <summary>Base of the webhook-style channels: POST a JSON body built per channel type.</summary>
internal abstract class HttpJsonSender(HttpClient http) : INotificationSender
{
    public abstract ChannelType Type { get; }

    protected abstract JsonNode Body(Notification notification);

    public async Task<string> SendAsync(NotificationChannel channel, Notification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(notification);
        var url = channel.Url ?? throw new DeliveryException($"channel {channel.Id} has no url", retryable: false);
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(Body(notification).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in channel.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var status = $"HTTP {(int)response.StatusCode}";
        if (!response.IsSuccessStatusCode)
        {
            var retryable = response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)response.StatusCode >= 500;
            throw new DeliveryException($"{status} {response.ReasonPhrase}", retryable);
        }

        return status;
    }

    protected static string Color(Notification n) => n.Status == "resolved" ? "2EB67D" : n.Severity switch
    {
        AlertSeverity.Critical => "E01E5A",
        AlertSeverity.Warning => "ECB22E",
        _ => "36C5F0",
    };
}
