using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Telemetry.Alerts;

/// <summary>Source-generated System.Text.Json metadata for the alerting contract: camelCase, nulls omitted,
/// enums as the strings their members name.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = true,
    UseStringEnumConverter = true,
    ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(AlertRule))]
[JsonSerializable(typeof(AlertTransition))]
[JsonSerializable(typeof(Silence))]
[JsonSerializable(typeof(NotificationChannel))]
[JsonSerializable(typeof(List<AlertRule>))]
[JsonSerializable(typeof(List<AlertTransition>))]
[JsonSerializable(typeof(List<Silence>))]
[JsonSerializable(typeof(List<NotificationChannel>))]
public sealed partial class AlertsJsonContext : JsonSerializerContext;
