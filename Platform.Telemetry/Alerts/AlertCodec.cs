using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Telemetry.Alerts;

/// <summary>UTF-8 JSON encoding of the records on the <c>alert-rules</c>, <c>alerts</c>, <c>silences</c> and
/// <c>alert-channels</c> topics. Decoders throw <see cref="JsonException"/> on malformed input.</summary>
public static class AlertCodec
{
    /// <summary>The contract's metadata with readable output: "&gt;", "+", "'" are written as such rather than as
    /// \u escapes (the JSON is never embedded in HTML). Reading accepts either.</summary>
    public static AlertsJsonContext Json { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter() },
    });

    public static byte[] Encode(AlertRule rule) => JsonSerializer.SerializeToUtf8Bytes(rule, Json.AlertRule);

    public static byte[] Encode(AlertTransition alert) => JsonSerializer.SerializeToUtf8Bytes(alert, Json.AlertTransition);

    public static byte[] Encode(Silence silence) => JsonSerializer.SerializeToUtf8Bytes(silence, Json.Silence);

    public static byte[] Encode(NotificationChannel channel) => JsonSerializer.SerializeToUtf8Bytes(channel, Json.NotificationChannel);

    public static AlertRule DecodeRule(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, Json.AlertRule) ?? throw new JsonException("alert rule: null");

    public static AlertTransition DecodeAlert(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, Json.AlertTransition) ?? throw new JsonException("alert: null");

    public static Silence DecodeSilence(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, Json.Silence) ?? throw new JsonException("silence: null");

    public static NotificationChannel DecodeChannel(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, Json.NotificationChannel) ?? throw new JsonException("channel: null");
}
