namespace Platform.Alerting.Security;

/// <summary>
/// The roles of the platform's users, each including the one before: a viewer sees everything except secrets, an
/// operator also acknowledges alerts and manages silences and maintenance windows, an admin also edits rules,
/// channels and users.
/// </summary>
public static class PlatformRoles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";

    /// <summary>Every role, least privileged first.</summary>
    public static IReadOnlyList<string> All { get; } = [Viewer, Operator, Admin];

    /// <summary>Whether <paramref name="role"/> is one of <see cref="All"/> (exact, lower case).</summary>
    public static bool IsValid(string? role) => role is Viewer or Operator or Admin;
}
