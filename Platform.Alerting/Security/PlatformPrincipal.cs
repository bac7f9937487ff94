using System.Security.Claims;

namespace Platform.Alerting.Security;

/// <summary>The claims a signed-in user carries: name, role and the stamp of the user's password and role.</summary>
public static class PlatformPrincipal
{
    /// <summary>The claim that carries <see cref="PlatformUser.Stamp"/>.</summary>
    public const string StampClaim = "platform:stamp";

    public static ClaimsPrincipal Create(PlatformUser user, string authenticationType)
    {
        ArgumentNullException.ThrowIfNull(user);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role), new Claim(StampClaim, user.Stamp)],
            authenticationType, ClaimTypes.Name, ClaimTypes.Role);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>Whether the principal still matches the stored user: it exists, with the same stamp (password and role unchanged).</summary>
    public static bool IsCurrent(ClaimsPrincipal principal, UserStore users)
    {
        ArgumentNullException.ThrowIfNull(principal);
        ArgumentNullException.ThrowIfNull(users);
        var name = principal.Identity?.Name;
        var user = name is null ? null : users.Find(name);
        return user is not null && user.Stamp == principal.FindFirst(StampClaim)?.Value;
    }
}
