namespace Platform.Alerting.Security;

/// <summary>
/// The authorisation policies the REST API, the hub and the dashboard's pages require. With security on they demand
/// the role (or a higher one); with security off they let everybody through.
/// </summary>
public static class PlatformPolicies
{
    /// <summary>Read anything but secrets: viewer, operator, admin.</summary>
    public const string View = "platform.view";

    /// <summary>Acknowledge alerts, create and expire silences and maintenance windows: operator, admin.</summary>
    public const string Operate = "platform.operate";

    /// <summary>Edit rules, channels and users: admin.</summary>
    public const string Administer = "platform.administer";

    /// <summary>The roles each policy admits when security is on.</summary>
    public static IReadOnlyList<string> RolesOf(string policy) => policy switch
    {
        View => PlatformRoles.All,
        Operate => [PlatformRoles.Operator, PlatformRoles.Admin],
        Administer => [PlatformRoles.Admin],
        _ => throw new ArgumentException($"Unknown policy '{policy}'.", nameof(policy)),
    };
}
