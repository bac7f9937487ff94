using System.Text.Json.Serialization;

namespace Platform.Telemetry.Alerts;

[JsonConverter(typeof(JsonStringEnumConverter<ChannelType>))]
public enum ChannelType
{
    /// <summary>POST of a JSON document (the notification) to <see cref="NotificationChannel.Url"/>.</summary>
    [JsonStringEnumMemberName("webhook")] Webhook,

    /// <summary>Slack-compatible incoming webhook (Mattermost, Rocket.Chat accept it too).</summary>
    [JsonStringEnumMemberName("slack")] Slack,

    /// <summary>Microsoft Teams incoming webhook / workflow (adaptive card).</summary>
    [JsonStringEnumMemberName("teams")] Teams,

    [JsonStringEnumMemberName("discord")] Discord,

    /// <summary>Email over SMTP (<see cref="NotificationChannel.Email"/>).</summary>
    [JsonStringEnumMemberName("email")] Email,
}

[JsonConverter(typeof(JsonStringEnumConverter<SmtpSecurity>))]
public enum SmtpSecurity
{
    [JsonStringEnumMemberName("none")] None,
    [JsonStringEnumMemberName("starttls")] StartTls,
    [JsonStringEnumMemberName("tls")] Tls,
}

public sealed record EmailSettings
{
    public required string SmtpHost { get; init; }

    public int SmtpPort { get; set; } = 25;

    public SmtpSecurity Security { get; set; } = SmtpSecurity.None;

    public string? Username { get; init; }

    public string? Password { get; init; }

    public required string From { get; init; }

    public required IReadOnlyList<string> To { get; init; }
}

/// <summary>A record on the <c>alert-channels</c> topic (key = <see cref="Id"/>; a tombstone deletes it).</summary>
public sealed record NotificationChannel
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public ChannelType Type { get; init; }

    public bool Enabled { get; set; } = true;

    /// <summary>Used by rules that name no channel.</summary>
    public bool IsDefault { get; init; }

    /// <summary>Alerts below this severity are not sent here.</summary>
    public AlertSeverity MinSeverity { get; set; } = AlertSeverity.Info;

    /// <summary>For webhook, slack, teams and discord.</summary>
    public Uri? Url { get; init; }

    /// <summary>Extra HTTP headers for webhooks (e.g. Authorization).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; set; } = new Dictionary<string, string>();

    public EmailSettings? Email { get; init; }
}
