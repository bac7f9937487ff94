namespace Platform.Telemetry.Alerts;

/// <summary>Topics of the alerting contract that <see cref="Topics"/> does not name.</summary>
public static class AlertTopics
{
    /// <summary>Key: channel id; value: a <see cref="NotificationChannel"/> as JSON; a tombstone deletes it.</summary>
    public const string Channels = "alert-channels";

    /// <summary>The content type written in the <see cref="Topics.ContentTypeHeader"/> header of every JSON record.</summary>
    public const string JsonContentType = "application/json;v=1";
}
