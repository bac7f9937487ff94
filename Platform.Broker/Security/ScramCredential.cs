namespace Platform.Broker.Security;

/// <summary>
/// What the broker keeps per user (RFC 5802 §3): the salt, the PBKDF2 iteration count, StoredKey = H(ClientKey) and
/// ServerKey. Neither the password nor anything it can be recovered from without a brute-force search is kept.
/// </summary>
internal sealed record ScramCredential(byte[] Salt, int Iterations, byte[] StoredKey, byte[] ServerKey)
{
    public const int MinIterations = 4096;
}
