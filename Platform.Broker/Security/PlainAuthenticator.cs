using System.Text;

namespace Platform.Broker.Security;

/// <summary>
/// SASL PLAIN (RFC 4616): one token <c>[authzid] NUL authcid NUL passwd</c>, answered with an empty token. The password
/// is checked by deriving the SCRAM keys with the stored salt and iterations, so PLAIN needs no other secret on disk.
/// </summary>
internal static class PlainAuthenticator
{
    public const string Mechanism = "PLAIN";

    private static readonly ScramCredential UnknownCredential = new(new byte[24], ScramSha256.DefaultIterations, new byte[ScramSha256.KeySize], new byte[ScramSha256.KeySize]);

    /// <summary>As <see cref="Authenticate(ReadOnlySpan{byte}, Func{string, ScramCredential?}, Func{string, ScramCredential})"/> with a fixed made-up credential for unknown names.</summary>
    public static SaslStep Authenticate(ReadOnlySpan<byte> token, Func<string, ScramCredential?> lookup) =>
        Authenticate(token, lookup, static _ => UnknownCredential);

    public static SaslStep Authenticate(ReadOnlySpan<byte> token, Func<string, ScramCredential?> lookup, Func<string, ScramCredential> unknownUser)
    {
        var first = token.IndexOf((byte)0);
        var rest = first < 0 ? default : token[(first + 1)..];
        var second = first < 0 ? -1 : rest.IndexOf((byte)0);
        if (second < 0)
        {
            return SaslStep.Fail("malformed SASL/PLAIN token: expected authzid NUL user NUL password");
        }

        string authzid, user, password;
        try
        {
            var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
            authzid = utf8.GetString(token[..first]);
            user = utf8.GetString(rest[..second]);
            password = utf8.GetString(rest[(second + 1)..]);
        }
        catch (DecoderFallbackException)
        {
            return SaslStep.Fail("SASL/PLAIN token is not valid UTF-8");
        }

        if (user.Length == 0 || password.Length == 0)
        {
            return SaslStep.Fail("SASL/PLAIN user name and password must not be empty");
        }

        if (authzid.Length > 0 && authzid != user)
        {
            return SaslStep.Fail("SASL/PLAIN authorization identity must be empty or the user name", user);
        }

        var credential = lookup(user);
        bool ok;
        if (credential is not null)
        {
            ok = ScramSha256.Verify(credential, password);
        }
        else
        {
            // Same work as for a known user, so the answer time does not tell which names exist.
            var madeUp = unknownUser(user);
            _ = ScramSha256.DeriveCredential(password, madeUp.Salt, madeUp.Iterations);
            ok = false;
        }

        return ok
            ? new SaslStep([], true, null, user)
            : SaslStep.Fail("Authentication failed: Invalid username or password", user);
    }
}
