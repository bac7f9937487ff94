using System.Security.Claims;
using Microsoft.AspNetCore.DataProtection;
using Platform.Alerting.Security;

namespace Platform.Dashboard.Security;

/// <summary>
/// Short-lived proof of the signed-in user that the dashboard's pages attach (header <see cref="Header"/>) when they
/// call the in-process alerting API on the user's behalf: the user's name and stamp, encrypted and signed with the
/// dashboard's data-protection keys and valid for one minute, so the API applies that user's role.
/// </summary>
public sealed class ApiTicket(IDataProtectionProvider protection)
{
    public const string Header = "X-Platform-Ticket";

    private readonly ITimeLimitedDataProtector _protector =
        protection.CreateProtector("Platform.Dashboard.ApiTicket.v1").ToTimeLimitedDataProtector();

    /// <summary>A ticket for the user, or null for an anonymous one.</summary>
    public string? Issue(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var name = user.Identity is { IsAuthenticated: true } identity ? identity.Name : null;
        var stamp = user.FindFirst(PlatformPrincipal.StampClaim)?.Value;
        return name is null || stamp is null ? null : _protector.Protect(name + "\n" + stamp, TimeSpan.FromMinutes(1));
    }

    /// <summary>The user named by a valid, unexpired ticket whose stamp is still current; null otherwise.</summary>
    public PlatformUser? Redeem(string ticket, UserStore users)
    {
        ArgumentNullException.ThrowIfNull(users);
        string text;
        try
        {
            text = _protector.Unprotect(ticket);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }

        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        if (newline <= 0)
        {
            return null;
        }

        var user = users.Find(text[..newline]);
        return user is not null && user.Stamp == text[(newline + 1)..] ? user : null;
    }
}
