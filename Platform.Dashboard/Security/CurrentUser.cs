using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Platform.Alerting.Security;

namespace Platform.Dashboard.Security;

/// <summary>
/// Checks a page's action against the user as the users file has them now, not as they were when the page opened:
/// the principal's stamp must still be the stored user's, and the stored user's role must pass the policy.
/// </summary>
public static class CurrentUser
{
    /// <summary>The stored user when <paramref name="principal"/> is still current and its stored role passes <paramref name="policy"/>; else null.</summary>
    public static async Task<PlatformUser?> AuthorizeAsync(ClaimsPrincipal principal, UserStore users, IAuthorizationService authorization, string policy)
    {
        ArgumentNullException.ThrowIfNull(principal);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(authorization);
        if (!PlatformPrincipal.IsCurrent(principal, users) || users.Find(principal.Identity!.Name!) is not { } user)
        {
            return null;
        }

        var stored = PlatformPrincipal.Create(user, principal.Identity.AuthenticationType ?? "stored");
        return (await authorization.AuthorizeAsync(stored, policy)).Succeeded ? user : null;
    }
}
