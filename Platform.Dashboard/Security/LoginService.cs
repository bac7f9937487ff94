using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Platform.Alerting.Security;

namespace Platform.Dashboard.Security;

/// <summary>The outcome of a login form: null error = signed in.</summary>
public sealed record LoginOutcome(string? Error, TimeSpan? RetryAfter = null)
{
    public static LoginOutcome SignedIn { get; } = new((string?)null);
}

/// <summary>
/// Signs a user in with the login form: refuses without checking the password when the source address or the name
/// has failed too often (<see cref="LoginThrottle"/>), counts every outcome on /metrics and logs failures (never the
/// password), and on success issues the session cookie.
/// </summary>
public sealed partial class LoginService(UserStore users, LoginThrottle throttle, ILogger<LoginService> logger)
{
    public const string WrongCredentials = "Wrong user name or password.";

    public async Task<LoginOutcome> SignInAsync(HttpContext context, string name, string password)
    {
        ArgumentNullException.ThrowIfNull(context);
        var address = context.Connection.RemoteIpAddress?.ToString();
        if (throttle.RetryAfter(address, name) is { } wait)
        {
            SecurityMetrics.Logins.WithLabels(SecurityMetrics.Form, SecurityMetrics.Throttled).Inc();
            LogThrottled(logger, name, address);
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return new LoginOutcome($"Too many failed logins. Try again in {seconds} s.", wait);
        }

        var user = users.Verify(name, password);
        if (user is null)
        {
            throttle.Failed(address, name);
            SecurityMetrics.Logins.WithLabels(SecurityMetrics.Form, SecurityMetrics.Failure).Inc();
            LogFailed(logger, name, address);
            return new LoginOutcome(WrongCredentials);
        }

        SecurityMetrics.Logins.WithLabels(SecurityMetrics.Form, SecurityMetrics.Success).Inc();
        LogSignedIn(logger, user.Name, user.Role, address);
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, PlatformPrincipal.Create(user, CookieAuthenticationDefaults.AuthenticationScheme));
        return LoginOutcome.SignedIn;
    }

    /// <summary>Whether a return URL stays on this site (a path, not "//host" or "/\host"), so a login cannot redirect elsewhere.</summary>
    public static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed login for user '{User}' from {Address}")]
    private static partial void LogFailed(ILogger logger, string user, string? address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Login for user '{User}' from {Address} refused: too many failures")]
    private static partial void LogThrottled(ILogger logger, string user, string? address);

    [LoggerMessage(Level = LogLevel.Information, Message = "User '{User}' ({Role}) signed in from {Address}")]
    private static partial void LogSignedIn(ILogger logger, string user, string role, string? address);
}
