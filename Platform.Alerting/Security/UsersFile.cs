using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Alerting.Security;

/// <summary>The users file's layout: <c>{"version":1,"users":[…]}</c>.</summary>
internal sealed record UsersFile(int Version, List<PlatformUser> Users)
{
    public const int CurrentVersion = 1;
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(UsersFile))]
internal sealed partial class SecurityJsonContext : JsonSerializerContext;
