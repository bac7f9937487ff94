using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Notifications.Webhook;

/// <summary>Generic JSON webhook: the body is the <see cref="Notification"/> itself (camelCase).</summary>
internal sealed class WebhookSender(HttpClient http) : HttpJsonSender(http)
{
    public override ChannelType Type => ChannelType.Webhook;

    protected override JsonNode Body(Notification notification) =>
        JsonSerializer.SerializeToNode(notification, NotificationJsonContext.Default.Notification)!;
}
