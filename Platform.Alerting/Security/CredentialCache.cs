using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Alerting.Security;

/// <summary>
/// Remembers for a few minutes which Basic credentials verified, so that a script calling the API every second does
/// not pay a PBKDF2 verification (about 100 ms of CPU) per request. It keeps no password: only an HMAC-SHA256 of
/// name and password under a key that exists in this process alone, with the user's stamp, so a new password, a new
/// role or a deleted user is seen at once.
/// </summary>
public sealed class CredentialCache(TimeProvider time, TimeSpan? lifetime = null)
{
    private const int MaxEntries = 1_000;

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, (byte[] Digest, string Stamp, DateTimeOffset Until)> _verified = new(StringComparer.Ordinal);
    private readonly TimeSpan _lifetime = lifetime ?? TimeSpan.FromMinutes(5);

    /// <summary>The user when these credentials verified recently and the user has not changed since; else null (verify in full).</summary>
    public PlatformUser? Find(string name, string password, UserStore users)
    {
        ArgumentNullException.ThrowIfNull(users);
        if (!_verified.TryGetValue(name, out var entry) || entry.Until <= time.GetUtcNow())
        {
            return null;
        }

        var user = users.Find(name);
        return user is not null && user.Stamp == entry.Stamp && CryptographicOperations.FixedTimeEquals(entry.Digest, Digest(name, password))
            ? user
            : null;
    }

    /// <summary>Remembers credentials that have just verified in full.</summary>
    public void Add(PlatformUser user, string password)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (_verified.Count >= MaxEntries)
        {
            _verified.Clear();
        }

        _verified[user.Name] = (Digest(user.Name, password), user.Stamp, time.GetUtcNow() + _lifetime);
    }

    private byte[] Digest(string name, string password) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(name + "\0" + password));
}
