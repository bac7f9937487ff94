using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Platform.Broker.Metrics;

namespace Platform.Broker.Security;

/// <summary>
/// The broker's security, built once from <see cref="SecurityOptions"/>: the TLS server settings (when a certificate is
/// configured), the credential store, the ACLs and the per-address limit on failed authentications, with the counters
/// and log lines for authentication and authorisation. No log line ever contains a password or a token.
/// </summary>
internal sealed partial class BrokerSecurity : IDisposable
{
    private readonly ILogger _logger;
    private readonly X509Certificate2? _certificate;

    private BrokerSecurity(SecurityOptions options, string dataDirectory, BrokerMetrics metrics, ILogger logger)
    {
        Options = options;
        Metrics = metrics;
        _logger = logger;
        Enabled = options.Enabled;
        Credentials = new CredentialStore(options.CredentialsPath(dataDirectory));
        Acls = new AclStore(options.AclPath(dataDirectory), options.SuperUsers);
        RateLimiter = new AuthenticationRateLimiter(options.MaxFailedAuthentications, options.FailureWindow);
        foreach (var mechanism in options.Mechanisms)
        {
            if (mechanism is not (ScramSha256.Mechanism or PlainAuthenticator.Mechanism))
            {
                throw new ArgumentException($"Broker:Security:Mechanisms: unsupported SASL mechanism '{mechanism}' (use SCRAM-SHA-256 and/or PLAIN)");
            }
        }

        Mechanisms = options.Mechanisms.Count == 0
            ? [ScramSha256.Mechanism, PlainAuthenticator.Mechanism]
            : [.. options.Mechanisms.Distinct(StringComparer.Ordinal)];

        if (options.TlsConfigured)
        {
            _certificate = LoadCertificate(options.CertificatePath, options.KeyPath);
            Tls = new SslServerAuthenticationOptions
            {
                ServerCertificateContext = SslStreamCertificateContext.Create(_certificate, additionalCertificates: null, offline: true),
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateRequired = false,
            };
        }
    }

    public SecurityOptions Options { get; }

    public BrokerMetrics Metrics { get; }

    /// <summary>SASL authentication and ACLs are enforced.</summary>
    public bool Enabled { get; }

    /// <summary>TLS server settings, or null for a plaintext listener.</summary>
    public SslServerAuthenticationOptions? Tls { get; }

    public IReadOnlyList<string> Mechanisms { get; }

    public CredentialStore Credentials { get; }

    public AclStore Acls { get; }

    public AuthenticationRateLimiter RateLimiter { get; }

    /// <summary>The listener's protocol as Kafka clients name it (security.protocol).</summary>
    public string Protocol => (Enabled, Tls is not null) switch
    {
        (true, true) => "SASL_SSL",
        (true, false) => "SASL_PLAINTEXT",
        (false, true) => "SSL",
        _ => "PLAINTEXT",
    };

    /// <summary>Null when neither SASL nor TLS is configured (the listener stays as it was).</summary>
    public static BrokerSecurity? Create(BrokerOptions options, BrokerMetrics metrics, ILoggerFactory loggerFactory)
    {
        var security = options.Security;
        if (!security.Enabled && !security.TlsConfigured)
        {
            if (!IsLoopbackListen(options.Listen))
            {
                LogOpenListener(loggerFactory.CreateLogger("Platform.Broker.Security"), options.Listen);
            }

            return null;
        }

        if (security.MaxFailedAuthentications < 0 || security.FailureWindow <= TimeSpan.Zero || security.HandshakeTimeout <= TimeSpan.Zero || security.FailureDelay < TimeSpan.Zero)
        {
            throw new ArgumentException("Broker:Security: MaxFailedAuthentications must be >= 0, FailureWindow and HandshakeTimeout positive, FailureDelay >= 0");
        }

        var result = new BrokerSecurity(security, Path.GetFullPath(options.DataDirectory), metrics, loggerFactory.CreateLogger("Platform.Broker.Security"));
        result.LogConfigured();
        return result;
    }

    public void Dispose() => _certificate?.Dispose();

    /// <summary>Whether a HOST:PORT listen address only accepts connections from this machine.</summary>
    internal static bool IsLoopbackListen(string listen)
    {
        var host = HostPort.HostOf(listen);
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip));
    }

    /// <summary>An allowed request was refused by the ACLs: counted per API, logged once per connection and resource.</summary>
    public void Denied(ConnectionSession session, string remote, short apiKey, AclResourceType type, string name, AclOperation operation)
    {
        Metrics.RecordDenial(apiKey);
        if (session.FirstDenial(type, name))
        {
            LogDenied(_logger, session.Principal ?? "(anonymous)", remote, operation, type, name, ((Protocol.ApiKey)apiKey).ToString());
        }
    }

    public void Succeeded(string mechanism, string user, string remote)
    {
        Metrics.SaslSuccesses.WithLabels(mechanism).Inc();
        LogAuthenticated(_logger, user, remote, mechanism);
    }

    /// <summary>A failed authentication: counted and logged (its attempt slot, or <see cref="AuthenticationRateLimiter.RecordFailure"/>, limits the source).</summary>
    public void Failed(string mechanism, string? user, string remote, string reason)
    {
        Metrics.SaslFailures.WithLabels(mechanism).Inc();
        LogAuthenticationFailed(_logger, user ?? "(none)", remote, mechanism, reason);
    }

    public void RateLimited(string remote)
    {
        Metrics.SaslRateLimited.Inc();
        LogRateLimited(_logger, remote, Options.MaxFailedAuthentications, Options.FailureWindow);
    }

    public void RejectedBeforeAuthentication(long connection, string remote, short apiKey)
    {
        Metrics.UnauthenticatedRequests.Inc();
        LogUnauthenticated(_logger, connection, remote, apiKey);
    }

    public void HandshakeTimedOut(long connection, string remote)
    {
        Metrics.UnauthenticatedRequests.Inc();
        LogHandshakeTimeout(_logger, connection, remote, Options.HandshakeTimeout);
    }

    public void TlsFailed(long connection, string remote, string reason)
    {
        Metrics.TlsFailures.Inc();
        LogTlsFailed(_logger, connection, remote, reason);
    }

    private void LogConfigured()
    {
        var protocol = Protocol;
        var mechanisms = string.Join(",", Mechanisms);
        LogListenerSecurity(_logger, protocol, mechanisms, Credentials.Path, Acls.Path);

        if (Enabled && Tls is null)
        {
            LogNoTls(_logger);
        }
    }

    private static X509Certificate2 LoadCertificate(string? certificatePath, string? keyPath)
    {
        if (string.IsNullOrEmpty(certificatePath) || string.IsNullOrEmpty(keyPath))
        {
            throw new ArgumentException("TLS needs both Broker:Security:CertificatePath and Broker:Security:KeyPath (PEM files)");
        }

        foreach (var (path, what) in new[] { (certificatePath, "CertificatePath"), (keyPath, "KeyPath") })
        {
            if (!File.Exists(path))
            {
                throw new ArgumentException($"Broker:Security:{what}: file '{path}' does not exist");
            }
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"Broker:Security: cannot load the certificate '{certificatePath}' with the key '{keyPath}': {ex.Message}", ex);
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new ArgumentException($"Broker:Security:KeyPath '{keyPath}' holds no private key for '{certificatePath}'");
        }

        return certificate;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka listener security: {Protocol}, SASL mechanisms {Mechanisms}, credentials {CredentialsFile}, ACLs {AclFile}")]
    private static partial void LogListenerSecurity(ILogger logger, string protocol, string mechanisms, string credentialsFile, string aclFile);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SECURITY: the Kafka listener {Listen} is not loopback and security is off: anyone who can reach it can read and write every topic. Switch Broker:Security on (the all-in-one host: --secure)")]
    private static partial void LogOpenListener(ILogger logger, string listen);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Security is enabled without a TLS certificate: the listener is SASL_PLAINTEXT, so traffic (and PLAIN passwords) cross the network unencrypted")]
    private static partial void LogNoTls(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Authenticated {User} from {Remote} with {Mechanism}")]
    private static partial void LogAuthenticated(ILogger logger, string user, string remote, string mechanism);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Authentication failed for user {User} from {Remote} with {Mechanism}: {Reason}")]
    private static partial void LogAuthenticationFailed(ILogger logger, string user, string remote, string mechanism, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused authentication from {Remote}: {Max} failures within {Window}; refused until the window passes")]
    private static partial void LogRateLimited(ILogger logger, string remote, int max, TimeSpan window);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {Id} from {Remote} closed: API {ApiKey} before authentication")]
    private static partial void LogUnauthenticated(ILogger logger, long id, string remote, short apiKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {Id} from {Remote} closed: not authenticated within {Timeout}")]
    private static partial void LogHandshakeTimeout(ILogger logger, long id, string remote, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {Id} from {Remote} closed: TLS handshake failed: {Reason}")]
    private static partial void LogTlsFailed(ILogger logger, long id, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Denied {Operation} on {ResourceType} {Name} to {Principal} from {Remote} ({Api})")]
    private static partial void LogDenied(ILogger logger, string principal, string remote, AclOperation operation, AclResourceType resourceType, string name, string api);
}
