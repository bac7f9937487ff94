using System.Text.Json.Nodes;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Notifications.Teams;

/// <summary>Microsoft Teams incoming webhook / workflow: a message with one Adaptive Card.</summary>
internal sealed class TeamsSender(HttpClient http) : HttpJsonSender(http)
{
    public override ChannelType Type => ChannelType.Teams;

    protected override JsonNode Body(Notification notification)
    {
        var facts = new JsonArray();
        foreach (var alert in notification.Alerts.Take(20))
        {
            facts.Add(new JsonObject
            {
                ["title"] = alert.Labels.GetValueOrDefault("host", "?"),
                ["value"] = alert.Annotations.GetValueOrDefault("summary") ?? alert.State.ToString(),
            });
        }

        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray(new JsonObject
            {
                ["contentType"] = "application/vnd.microsoft.card.adaptive",
                ["content"] = new JsonObject
                {
                    ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
                    ["type"] = "AdaptiveCard",
                    ["version"] = "1.4",
                    ["body"] = new JsonArray(
                        new JsonObject
                        {
                            ["type"] = "TextBlock",
                            ["size"] = "Medium",
                            ["weight"] = "Bolder",
                            ["text"] = notification.Title,
                            ["color"] = notification.Status == "resolved" ? "Good" : "Attention",
                        },
                        new JsonObject { ["type"] = "TextBlock", ["wrap"] = true, ["text"] = notification.Text },
                        new JsonObject { ["type"] = "FactSet", ["facts"] = facts }),
                },
            }),
        };
    }
}
