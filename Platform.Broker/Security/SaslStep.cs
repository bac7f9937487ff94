namespace Platform.Broker.Security;

/// <summary>
/// The outcome of one client token in a SASL exchange: the server's answer, whether the exchange is complete, and — on
/// failure — the reason sent back to the client (never containing a password).
/// </summary>
internal readonly record struct SaslStep(byte[] Response, bool Complete, string? Error, string? User)
{
    public bool Failed => Error is not null;

    public static SaslStep Fail(string error, string? user = null) => new([], true, error, user);
}
