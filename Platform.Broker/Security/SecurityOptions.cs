namespace Platform.Broker.Security;

/// <summary>
/// Authentication, encryption and authorisation of the Kafka listener (configuration section <c>Broker:Security</c>,
/// environment variables <c>BROKER__SECURITY__...</c>). Off by default: a plaintext listener that serves everybody.
/// </summary>
public sealed class SecurityOptions
{
    /// <summary>
    /// Require SASL authentication (PLAIN or SCRAM-SHA-256) on every connection and enforce the ACLs. Without a
    /// certificate the listener is SASL_PLAINTEXT (passwords cross the network in clear with PLAIN; logged at start).
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>PEM certificate (chain) of the listener; with <see cref="KeyPath"/> turns TLS on (SSL, or SASL_SSL when enabled).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key (PKCS#8 or RSA/EC) of <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>
    /// The SASL mechanisms offered, in preference order: SCRAM-SHA-256 and/or PLAIN. Empty (the default) offers both
    /// (a default list would be appended to, not replaced, by configuration binding).
    /// </summary>
    public IList<string> Mechanisms { get; } = [];

    /// <summary>The credential store (salted SCRAM keys, never passwords); default <c>DATA/security/users.json</c>.</summary>
    public string? CredentialsFile { get; set; }

    /// <summary>The ACL file (JSON allow rules); default <c>DATA/security/acls.json</c>.</summary>
    public string? AclFile { get; set; }

    /// <summary>Principals allowed everything, whatever the ACLs say.</summary>
    public IList<string> SuperUsers { get; } = [];

    /// <summary>Failed SASL authentications from one source address within <see cref="FailureWindow"/> before further attempts are refused.</summary>
    public int MaxFailedAuthentications { get; set; } = 5;

    /// <summary>The sliding window over which failed authentications are counted per source address.</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a refused (rate-limited) or failed authentication is held before its answer, to slow guessing.</summary>
    public TimeSpan FailureDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the TLS handshake and the SASL exchange of a new connection may take before it is closed.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    internal string CredentialsPath(string dataDirectory) =>
        Path.GetFullPath(CredentialsFile ?? Path.Combine(dataDirectory, "security", "users.json"));

    internal string AclPath(string dataDirectory) =>
        Path.GetFullPath(AclFile ?? Path.Combine(dataDirectory, "security", "acls.json"));

    internal bool TlsConfigured => !string.IsNullOrEmpty(CertificatePath) || !string.IsNullOrEmpty(KeyPath);
}
