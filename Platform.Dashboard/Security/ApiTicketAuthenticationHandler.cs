using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Platform.Alerting.Security;

namespace Platform.Dashboard.Security;

/// <summary>Authenticates the dashboard's own calls to its alerting API by their <see cref="ApiTicket"/>.</summary>
public sealed class ApiTicketAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiTicket tickets,
    UserStore users)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "PlatformTicket";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var ticket = Request.Headers[ApiTicket.Header].ToString();
        if (ticket.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var user = tickets.Redeem(ticket, users);
        return Task.FromResult(user is null
            ? AuthenticateResult.Fail("The ticket is not valid (expired, or the user changed).")
            : AuthenticateResult.Success(new AuthenticationTicket(PlatformPrincipal.Create(user, SchemeName), SchemeName)));
    }
}
