namespace Platform.Telemetry;

/// <summary>The names of the topics the platform's components share.</summary>
public static class Topics
{
    /// <summary>Value: <see cref="V1.MetricBatch"/>; key: host id.</summary>
    public const string Metrics = "metrics";

    /// <summary>Value: <see cref="V1.LogBatch"/>; key: host id.</summary>
    public const string Logs = "logs";

    /// <summary>Key: rule id; value: the rule as JSON; a null value (tombstone) deletes the rule.</summary>
    public const string AlertRules = "alert-rules";

    /// <summary>Key: alert fingerprint; value: the alert transition as JSON.</summary>
    public const string Alerts = "alerts";

    /// <summary>Key: silence id; value: the silence as JSON; a tombstone expires it.</summary>
    public const string Silences = "silences";

    /// <summary>The Kafka record header that names the encoding of the value.</summary>
    public const string ContentTypeHeader = "ct";

    /// <summary>The content type of protobuf-encoded telemetry, schema version 1.</summary>
    public const string ProtobufContentType = "application/x-protobuf;v=1";

    /// <summary>The current schema version written into every batch.</summary>
    public const uint SchemaVersion = 1;
}
