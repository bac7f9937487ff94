using System.Text.Json;

namespace Platform.Telemetry.Alerts;

/// <summary>UTF-8 JSON encoding of the records on the <c>alert-rules</c>, <c>alerts</c>, <c>silences</c> and
/// <c>alert-channels</c> topics. Decoders throw <see cref="JsonException"/> on malformed input.</summary>
public static class AlertCodec
{
    public static byte[] Encode(AlertRule rule) => JsonSerializer.SerializeToUtf8Bytes(rule, AlertsJsonContext.Default.AlertRule);

    public static byte[] Encode(AlertTransition alert) => JsonSerializer.SerializeToUtf8Bytes(alert, AlertsJsonContext.Default.AlertTransition);

    public static byte[] Encode(Silence silence) => JsonSerializer.SerializeToUtf8Bytes(silence, AlertsJsonContext.Default.Silence);

    public static byte[] Encode(NotificationChannel channel) => JsonSerializer.SerializeToUtf8Bytes(channel, AlertsJsonContext.Default.NotificationChannel);

    public static AlertRule DecodeRule(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, AlertsJsonContext.Default.AlertRule) ?? throw new JsonException("alert rule: null");

    public static AlertTransition DecodeAlert(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, AlertsJsonContext.Default.AlertTransition) ?? throw new JsonException("alert: null");

    public static Silence DecodeSilence(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, AlertsJsonContext.Default.Silence) ?? throw new JsonException("silence: null");

    public static NotificationChannel DecodeChannel(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, AlertsJsonContext.Default.NotificationChannel) ?? throw new JsonException("channel: null");
}
