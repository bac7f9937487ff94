using System.Text.Json.Serialization;

namespace Platform.Broker.Security;

/// <summary>On-disk layout of the credential store, version 1: user name → SCRAM-SHA-256 keys (base64).</summary>
internal sealed class CredentialFileModel
{
    public int Version { get; set; } = 1;

    public SortedDictionary<string, StoredCredentialModel> Users { get; set; } = new(StringComparer.Ordinal);
}

internal sealed class StoredCredentialModel
{
    public string Mechanism { get; set; } = ScramSha256.Mechanism;

    public int Iterations { get; set; }

    public string Salt { get; set; } = "";

    public string StoredKey { get; set; } = "";

    public string ServerKey { get; set; } = "";
}

/// <summary>On-disk layout of the ACL file, version 1: a list of allow rules.</summary>
internal sealed class AclFileModel
{
    public int Version { get; set; } = 1;

    public List<AclRule> Rules { get; set; } = [];
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    UseStringEnumConverter = true, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(CredentialFileModel))]
[JsonSerializable(typeof(AclFileModel))]
internal sealed partial class SecurityJsonContext : JsonSerializerContext;
