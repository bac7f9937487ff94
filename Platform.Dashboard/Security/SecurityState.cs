namespace Platform.Dashboard.Security;

/// <summary>Whether security is on (<c>--secure</c>): logins, roles, and the users page. Off, every page shows a banner saying so.</summary>
public sealed class SecurityState(bool enabled)
{
    public bool Enabled { get; } = enabled;
}
