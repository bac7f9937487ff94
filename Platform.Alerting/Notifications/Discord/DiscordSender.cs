using System.Globalization;
using System.Text.Json.Nodes;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Notifications.Discord;

/// <summary>Discord webhook: <c>content</c> plus one embed (limits: title 256, description 4096 characters).</summary>
internal sealed class DiscordSender(HttpClient http) : HttpJsonSender(http)
{
    public override ChannelType Type => ChannelType.Discord;

    protected override JsonNode Body(Notification notification) => new JsonObject
    {
        ["content"] = Truncate(notification.Title, 2000),
        ["embeds"] = new JsonArray(new JsonObject
        {
            ["title"] = Truncate(notification.Title, 256),
            ["description"] = Truncate(notification.Text, 4096),
            ["color"] = int.Parse(Color(notification), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            ["timestamp"] = notification.At.ToString("O", CultureInfo.InvariantCulture),
        }),
    };

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
