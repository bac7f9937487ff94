using System.Security.Cryptography;
using System.Text;

namespace Platform.Broker.Security;

/// <summary>SCRAM-SHA-256 key derivation (RFC 5802 §3, RFC 7677): Hi = PBKDF2-HMAC-SHA-256 with a 32-byte output.</summary>
internal static class ScramSha256
{
    public const string Mechanism = "SCRAM-SHA-256";
    public const int KeySize = 32;
    public const int DefaultIterations = 8192;

    private static ReadOnlySpan<byte> ClientKeyLabel => "Client Key"u8;

    private static ReadOnlySpan<byte> ServerKeyLabel => "Server Key"u8;

    /// <summary>A new credential with a random 24-byte salt.</summary>
    public static ScramCredential CreateCredential(string password, int iterations = DefaultIterations)
    {
        if (iterations < ScramCredential.MinIterations)
        {
            throw new ArgumentOutOfRangeException(nameof(iterations), iterations, $"SCRAM needs at least {ScramCredential.MinIterations} iterations");
        }

        return DeriveCredential(password, RandomNumberGenerator.GetBytes(24), iterations);
    }

    public static ScramCredential DeriveCredential(string password, byte[] salt, int iterations)
    {
        Span<byte> salted = stackalloc byte[KeySize];
        SaltedPassword(password, salt, iterations, salted);
        return FromSaltedPassword(salted, salt, iterations);
    }

    public static void SaltedPassword(string password, ReadOnlySpan<byte> salt, int iterations, Span<byte> destination) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, destination, iterations, HashAlgorithmName.SHA256);

    public static ScramCredential FromSaltedPassword(ReadOnlySpan<byte> salted, byte[] salt, int iterations)
    {
        Span<byte> clientKey = stackalloc byte[KeySize];
        HMACSHA256.HashData(salted, ClientKeyLabel, clientKey);
        var storedKey = SHA256.HashData(clientKey);
        var serverKey = HMACSHA256.HashData(salted, ServerKeyLabel);
        CryptographicOperations.ZeroMemory(clientKey);
        return new ScramCredential(salt, iterations, storedKey, serverKey);
    }

    /// <summary>True when <paramref name="password"/> derives the credential's StoredKey (compared in fixed time).</summary>
    public static bool Verify(ScramCredential credential, string password)
    {
        var derived = DeriveCredential(password, credential.Salt, credential.Iterations);
        return CryptographicOperations.FixedTimeEquals(derived.StoredKey, credential.StoredKey);
    }
}
