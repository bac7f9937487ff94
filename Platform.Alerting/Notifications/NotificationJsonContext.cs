using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Alerting.Notifications;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(Notification))]
[JsonSerializable(typeof(DeliveryRecord))]
[JsonSerializable(typeof(OutboxEntry))]
internal sealed partial class NotificationJsonContext : JsonSerializerContext;
