using System.Security.Cryptography;
using System.Text;

namespace Platform.Broker.Security;

/// <summary>
/// The server side of one SCRAM-SHA-256 exchange (RFC 5802 §5, RFC 7677), two client messages long:
/// <code>
/// client-first = gs2-header client-first-bare      gs2-header = ("n" | "y") "," [ "a=" authzid ] ","
/// client-first-bare = "n=" user "," "r=" c-nonce [ "," extensions ]
/// server-first = "r=" c-nonce s-nonce ",s=" base64(salt) ",i=" iterations
/// client-final = "c=" base64(gs2-header) ",r=" nonce [ "," extensions ] ",p=" base64(ClientProof)
/// server-final = "v=" base64(ServerSignature)
/// </code>
/// The proof is checked as H(ClientProof XOR HMAC(StoredKey, AuthMessage)) == StoredKey. An unknown user gets a
/// made-up credential (<see cref="CredentialStore.UnknownUser"/>: a salt derived from the name, stable across attempts
/// and restarts, and the usual iteration count) and fails at the proof, so names cannot be probed.
/// Channel binding (<c>p=</c>) is not offered.
/// </summary>
internal sealed class ScramServerExchange
{
    private static readonly byte[] UnknownUserSecret = RandomNumberGenerator.GetBytes(32);

    private readonly Func<string, ScramCredential> _unknownUser;
    private readonly Func<string, ScramCredential?> _lookup;
    private readonly string _serverNonce;
    private int _step;
    private string? _user;
    private ScramCredential? _credential;
    private bool _knownUser;
    private string _clientFirstBare = "";
    private string _serverFirst = "";
    private string _gs2Header = "";
    private string _nonce = "";

    public ScramServerExchange(Func<string, ScramCredential?> lookup, string? serverNonce = null)
        : this(lookup, null, serverNonce)
    {
    }

    /// <param name="lookup">The stored credential of a user, or null.</param>
    /// <param name="unknownUser">The made-up credential of a name with no user (<see cref="CredentialStore.UnknownUser"/>); null = a per-process one.</param>
    /// <param name="serverNonce">The server's nonce (tests fix it); null = random.</param>
    public ScramServerExchange(Func<string, ScramCredential?> lookup, Func<string, ScramCredential>? unknownUser, string? serverNonce = null)
    {
        _lookup = lookup;
        _unknownUser = unknownUser ?? UnknownUserCredential;
        _serverNonce = serverNonce ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
    }

    public string? User => _user;

    public SaslStep Step(ReadOnlySpan<byte> token)
    {
        string message;
        try
        {
            message = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(token);
        }
        catch (DecoderFallbackException)
        {
            return SaslStep.Fail("SCRAM message is not valid UTF-8", _user);
        }

        switch (_step++)
        {
            case 0:
                return ClientFirst(message);
            case 1:
                return ClientFinal(message);
            default:
                return SaslStep.Fail("SCRAM exchange already complete", _user);
        }
    }

    private SaslStep ClientFirst(string message)
    {
        // gs2-header: cbind flag, authzid, then the bare message.
        var first = message.IndexOf(',', StringComparison.Ordinal);
        var second = first < 0 ? -1 : message.IndexOf(',', first + 1);
        if (first < 0 || second < 0)
        {
            return SaslStep.Fail("malformed SCRAM client-first message");
        }

        var flag = message[..first];
        if (flag.StartsWith("p=", StringComparison.Ordinal))
        {
            return SaslStep.Fail("SCRAM channel binding is not supported");
        }

        if (flag is not ("n" or "y"))
        {
            return SaslStep.Fail("malformed SCRAM gs2 header");
        }

        var authzid = message[(first + 1)..second];
        _gs2Header = message[..(second + 1)];
        _clientFirstBare = message[(second + 1)..];
        string? user = null;
        string? nonce = null;
        foreach (var attribute in _clientFirstBare.Split(','))
        {
            if (attribute.StartsWith("m=", StringComparison.Ordinal))
            {
                return SaslStep.Fail("SCRAM mandatory extensions are not supported");
            }

            if (attribute.StartsWith("n=", StringComparison.Ordinal) && user is null)
            {
                user = Unescape(attribute[2..]);
            }
            else if (attribute.StartsWith("r=", StringComparison.Ordinal) && nonce is null)
            {
                nonce = attribute[2..];
            }
        }

        if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(nonce))
        {
            return SaslStep.Fail("SCRAM client-first message lacks the user name or the nonce");
        }

        _user = user;
        if (authzid.Length > 0 && (!authzid.StartsWith("a=", StringComparison.Ordinal) || Unescape(authzid[2..]) != user))
        {
            return SaslStep.Fail("SCRAM authorization identity must be empty or the user name", user);
        }

        _credential = _lookup(user);
        _knownUser = _credential is not null;
        _credential ??= _unknownUser(user);
        _nonce = nonce + _serverNonce;
        _serverFirst = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"r={_nonce},s={Convert.ToBase64String(_credential.Salt)},i={_credential.Iterations}");
        return new SaslStep(Encoding.UTF8.GetBytes(_serverFirst), false, null, user);
    }

    private SaslStep ClientFinal(string message)
    {
        var proofAt = message.LastIndexOf(",p=", StringComparison.Ordinal);
        if (proofAt < 0)
        {
            return SaslStep.Fail("SCRAM client-final message lacks the proof", _user);
        }

        var withoutProof = message[..proofAt];
        string? binding = null;
        string? nonce = null;
        foreach (var attribute in withoutProof.Split(','))
        {
            if (attribute.StartsWith("c=", StringComparison.Ordinal) && binding is null)
            {
                binding = attribute[2..];
            }
            else if (attribute.StartsWith("r=", StringComparison.Ordinal) && nonce is null)
            {
                nonce = attribute[2..];
            }
        }

        if (binding != Convert.ToBase64String(Encoding.UTF8.GetBytes(_gs2Header)))
        {
            return SaslStep.Fail("SCRAM channel binding does not match the client-first message", _user);
        }

        // RFC 5802 wants the nonce equal; Kafka accepts any nonce ending with the combined one, and librdkafka 2.0.x (the
        // kcat in Debian) repeats the client nonce in front of it. The proof covers the message as sent either way.
        if (nonce is null || !nonce.EndsWith(_nonce, StringComparison.Ordinal))
        {
            return SaslStep.Fail("SCRAM nonce does not match", _user);
        }

        Span<byte> proof = stackalloc byte[ScramSha256.KeySize];
        if (!Convert.TryFromBase64String(message[(proofAt + 3)..], proof, out var proofLength) || proofLength != ScramSha256.KeySize)
        {
            return SaslStep.Fail("SCRAM proof is malformed", _user);
        }

        var credential = _credential!;
        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{_serverFirst},{withoutProof}");
        Span<byte> clientKey = stackalloc byte[ScramSha256.KeySize];
        HMACSHA256.HashData(credential.StoredKey, authMessage, clientKey);
        for (var i = 0; i < clientKey.Length; i++)
        {
            clientKey[i] ^= proof[i];
        }

        Span<byte> storedKey = stackalloc byte[ScramSha256.KeySize];
        SHA256.HashData(clientKey, storedKey);
        CryptographicOperations.ZeroMemory(clientKey);
        if (!CryptographicOperations.FixedTimeEquals(storedKey, credential.StoredKey) || !_knownUser)
        {
            return SaslStep.Fail("Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256", _user);
        }

        var serverSignature = HMACSHA256.HashData(credential.ServerKey, authMessage);
        return new SaslStep(Encoding.UTF8.GetBytes("v=" + Convert.ToBase64String(serverSignature)), true, null, _user);
    }

    /// <summary>saslname: "=2C" is ',' and "=3D" is '='; any other '=' is malformed (kept, and the lookup fails).</summary>
    private static string Unescape(string value) =>
        value.Contains('=', StringComparison.Ordinal) ? value.Replace("=2C", ",", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal) : value;

    // Without a store's secret (tests of the exchange alone): a per-process one.
    private static ScramCredential UnknownUserCredential(string user)
    {
        var salt = HMACSHA256.HashData(UnknownUserSecret, Encoding.UTF8.GetBytes(user))[..24];
        return new ScramCredential(salt, ScramSha256.DefaultIterations, RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
    }
}
