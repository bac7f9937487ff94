using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Alerting.Security;

/// <summary>
/// HTTP Basic authentication against the <see cref="UserStore"/> for API clients (curl, scripts). A request without
/// an <c>Authorization: Basic</c> header is left anonymous; a challenge answers 401 with <c>WWW-Authenticate: Basic</c>,
/// or 429 with <c>Retry-After</c> when the source address has used up its attempts (<see cref="LoginThrottle"/>, which
/// counts an attempt before the password is checked, so a parallel burst gets no more checks than the limit).
/// </summary>
public sealed partial class BasicAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    UserStore users,
    LoginThrottle throttle,
    CredentialCache cache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Basic";

    private static readonly object RetryAfterKey = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, SchemeName, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        // A browser that has cached Basic credentials sends them to this host from any page; such a request from another
        // origin is not the user's doing (scripts send no Origin). No CORS is offered, so nobody legitimate is refused.
        var origin = Request.Headers.Origin.ToString();
        if (origin.Length > 0
            && (!Uri.TryCreate(origin, UriKind.Absolute, out var from) || !string.Equals(from.Authority, Request.Host.Value, StringComparison.OrdinalIgnoreCase)))
        {
            LogCrossOrigin(Logger, origin);
            return AuthenticateResult.Fail("Basic credentials from another origin are not accepted.");
        }

        string name, password;
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter ?? string.Empty));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return AuthenticateResult.Fail("Basic credentials are not 'user:password'.");
            }

            (name, password) = (text[..colon], text[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return AuthenticateResult.Fail("Basic credentials are not base64.");
        }

        var address = Context.Connection.RemoteIpAddress?.ToString();
        using var turn = await throttle.LockAsync(LoginThrottle.SourceKey(address), Context.RequestAborted);
        if (throttle.TryBegin(address, out var slot) is { } wait)
        {
            Context.Items[RetryAfterKey] = wait;
            SecurityMetrics.Logins.WithLabels(SecurityMetrics.Basic, SecurityMetrics.Throttled).Inc();
            LogThrottled(Logger, name, address);
            return AuthenticateResult.Fail("Too many failed logins; try again later.");
        }

        if (cache.Find(name, password, users) is { } known)
        {
            throttle.Succeeded(slot);
            return AuthenticateResult.Success(new AuthenticationTicket(PlatformPrincipal.Create(known, SchemeName), SchemeName));
        }

        var user = users.Verify(name, password);
        if (user is null)
        {
            throttle.Failed(slot);
            SecurityMetrics.Logins.WithLabels(SecurityMetrics.Basic, SecurityMetrics.Failure).Inc();
            LogFailed(Logger, name, address);
            return AuthenticateResult.Fail("Wrong user name or password.");
        }

        throttle.Succeeded(slot);
        cache.Add(user, password);
        SecurityMetrics.Logins.WithLabels(SecurityMetrics.Basic, SecurityMetrics.Success).Inc();
        return AuthenticateResult.Success(new AuthenticationTicket(PlatformPrincipal.Create(user, SchemeName), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[RetryAfterKey] is TimeSpan wait)
        {
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Basic realm=\"platform\", charset=\"UTF-8\"";
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused Basic credentials sent from another origin ({Origin})")]
    private static partial void LogCrossOrigin(ILogger logger, string origin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed API login for user '{User}' from {Address}")]
    private static partial void LogFailed(ILogger logger, string user, string? address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "API login for user '{User}' from {Address} refused: too many attempts from there")]
    private static partial void LogThrottled(ILogger logger, string user, string? address);
}
