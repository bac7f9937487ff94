namespace Platform.Broker.Security;

/// <summary>
/// Sets up the security files of a broker from code (what the <c>users</c> and <c>acls</c> commands do), for hosts that
/// embed the broker and provision their own principals.
/// </summary>
public static class SecurityFiles
{
    /// <summary>Adds or replaces <paramref name="user"/> in the broker's credential store (salted SCRAM keys only).</summary>
    public static void SetUser(BrokerOptions options, string user, string password)
    {
        ArgumentNullException.ThrowIfNull(options);
        new CredentialStore(options.Security.CredentialsPath(Path.GetFullPath(options.DataDirectory))).Set(user, password);
    }

    /// <summary>True when the credential store has <paramref name="user"/>.</summary>
    public static bool HasUser(BrokerOptions options, string user)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new CredentialStore(options.Security.CredentialsPath(Path.GetFullPath(options.DataDirectory))).Find(user) is not null;
    }

    /// <summary>Adds an allow rule to the broker's ACL file (merged with an existing rule for the same principal and resource).</summary>
    public static void Allow(BrokerOptions options, AclRule rule)
    {
        ArgumentNullException.ThrowIfNull(options);
        new AclStore(options.Security.AclPath(Path.GetFullPath(options.DataDirectory)), []).Add(rule);
    }

    /// <summary>Writes a file readable by its owner only (0600), atomically.</summary>
    public static void WriteSecret(string path, string content) =>
        SecureFile.WriteAtomically(path, System.Text.Encoding.UTF8.GetBytes(content));
}
