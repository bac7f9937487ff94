using System.Security.Cryptography;
using System.Text;

namespace Platform.Telemetry.Alerts;

/// <summary>The identity of one alert: a hash of the rule id and the alert's labels, sorted by name.</summary>
public static class AlertFingerprint
{
    /// <summary>16 lowercase hex digits (the first 8 bytes of SHA-256 over "ruleId\0name\0value\0…").</summary>
    public static string Compute(string ruleId, IEnumerable<KeyValuePair<string, string>> labels)
    {
        ArgumentNullException.ThrowIfNull(ruleId);
        ArgumentNullException.ThrowIfNull(labels);
        var sorted = labels.OrderBy(l => l.Key, StringComparer.Ordinal);
        var text = new StringBuilder(ruleId).Append('\0');
        foreach (var (name, value) in sorted)
        {
            text.Append(name).Append('\0').Append(value).Append('\0');
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }
}
