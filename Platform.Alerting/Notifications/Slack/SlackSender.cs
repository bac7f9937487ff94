using System.Text.Json.Nodes;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Notifications.Slack;

/// <summary>Slack-compatible incoming webhook: <c>text</c> plus one coloured attachment.</summary>
internal sealed class SlackSender(HttpClient http) : HttpJsonSender(http)
{
    public override ChannelType Type => ChannelType.Slack;

    protected override JsonNode Body(Notification notification) => new JsonObject
    {
        ["text"] = notification.Title,
        ["attachments"] = new JsonArray(new JsonObject
        {
            ["color"] = "#" + Color(notification),
            ["title"] = notification.Title,
            ["text"] = notification.Text,
            ["footer"] = "platform-alerting",
            ["ts"] = notification.At.ToUnixTimeSeconds(),
        }),
    };
}
