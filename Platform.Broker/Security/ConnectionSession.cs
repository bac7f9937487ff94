using System.Collections.Concurrent;

namespace Platform.Broker.Security;

/// <summary>
/// One connection's security state: where its SASL exchange stands, the authenticated principal, and a cache of the
/// ACL decisions already taken for it (per resource; dropped when the ACLs change), so the per-request check is one
/// dictionary lookup without allocation. With security off every check passes at once.
/// </summary>
internal sealed class ConnectionSession
{
    /// <summary>The API version a raw SASL token frame (after SaslHandshake v0) is dispatched with.</summary>
    public const short RawTokenVersion = -1;

    public const string ClusterName = "kafka-cluster";

    private const AclOperation DenialLogged = (AclOperation)(1 << 30);

    private readonly ConcurrentDictionary<string, AclOperation> _topics = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AclOperation> _groups = new(StringComparer.Ordinal);
    private AclOperation _cluster = (AclOperation)(-1);
    private int _generation = -1;

    public ConnectionSession(BrokerSecurity? security)
    {
        Security = security is { Enabled: true } ? security : null;
    }

    /// <summary>The broker's security, or null when authentication is off (then everything is allowed).</summary>
    public BrokerSecurity? Security { get; }

    public string? Principal { get; private set; }

    public bool IsAuthenticated => Principal is not null;

    /// <summary>The mechanism chosen by SaslHandshake, until the exchange ends.</summary>
    public string? Mechanism { get; set; }

    /// <summary>After SaslHandshake v0 the client sends bare length-prefixed SASL tokens instead of SaslAuthenticate requests.</summary>
    public bool ExpectsRawToken { get; set; }

    public ScramServerExchange? Scram { get; set; }

    /// <summary>A failed authentication: nothing more is accepted on this connection.</summary>
    public bool Failed { get; set; }

    /// <summary>True when a request with <paramref name="apiKey"/> may be handled in the connection's current state.</summary>
    public bool MayHandle(short apiKey) =>
        Security is null || IsAuthenticated || (!Failed && apiKey is 18 or 17 or 36);

    public void Authenticated(string principal)
    {
        Principal = principal;
        Mechanism = null;
        Scram = null;
        ExpectsRawToken = false;
    }

    /// <summary>Whether the principal may do <paramref name="operation"/> on the resource (always with security off).</summary>
    public bool IsAllowed(AclResourceType type, string name, AclOperation operation)
    {
        var security = Security;
        if (security is null)
        {
            return true;
        }

        return (Lookup(security, type, name) & operation) == operation;
    }

    /// <summary>Marks the denial as logged for this connection and resource; true the first time (log it then, not on every retry).</summary>
    public bool FirstDenial(AclResourceType type, string name)
    {
        if (type == AclResourceType.Cluster)
        {
            var old = _cluster;
            _cluster |= DenialLogged;
            return (old & DenialLogged) == 0;
        }

        var cache = type == AclResourceType.Topic ? _topics : _groups;
        if (cache.TryGetValue(name, out var mask) && (mask & DenialLogged) == 0)
        {
            cache[name] = mask | DenialLogged;
            return true;
        }

        return false;
    }

    private AclOperation Lookup(BrokerSecurity security, AclResourceType type, string name)
    {
        var principal = Principal;
        if (principal is null)
        {
            return AclOperation.None;
        }

        var generation = security.Acls.Generation;
        if (generation != _generation)
        {
            _topics.Clear();
            _groups.Clear();
            _cluster = (AclOperation)(-1);
            _generation = generation;
        }

        if (type == AclResourceType.Cluster)
        {
            if (_cluster == (AclOperation)(-1))
            {
                _cluster = security.Acls.Allowed(principal, type, ClusterName);
            }

            return _cluster;
        }

        var cache = type == AclResourceType.Topic ? _topics : _groups;
        if (!cache.TryGetValue(name, out var mask))
        {
            mask = security.Acls.Allowed(principal, type, name);
            if (cache.Count < 10_000)
            {
                cache[name] = mask;
            }
        }

        return mask;
    }
}
