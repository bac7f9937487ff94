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
/// Signs a user in with the login form: refuses without checking the password when the source address has used up its
/// attempts (<see cref="LoginThrottle"/>, which counts an attempt before its password is checked), counts every outcome
/// on /metrics and logs failures (never the password), and on success issues the session cookie.
/// </summary>
public sealed partial class LoginService(UserStore users, LoginThrottle throttle, ILogger<LoginService> logger)
{
    public const string WrongCredentials = "Wrong user name or password.";

    public const string WrongCurrentPassword = "The current password is wrong.";

    public async Task<LoginOutcome> SignInAsync(HttpContext context, string name, string password)
    {
        ArgumentNullException.ThrowIfNull(context);
        var address = context.Connection.RemoteIpAddress?.ToString();
        using var turn = await throttle.LockAsync(LoginThrottle.SourceKey(address), context.RequestAborted);
        if (throttle.TryBegin(address, out var slot) is { } wait)
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
            throttle.Failed(slot);
            SecurityMetrics.Logins.WithLabels(SecurityMetrics.Form, SecurityMetrics.Failure).Inc();
            LogFailed(logger, name, address);
            return new LoginOutcome(WrongCredentials);
        }

        throttle.Succeeded(slot);
        SecurityMetrics.Logins.WithLabels(SecurityMetrics.Form, SecurityMetrics.Success).Inc();
        LogSignedIn(logger, user.Name, user.Role, address);
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, PlatformPrincipal.Create(user, CookieAuthenticationDefaults.AuthenticationScheme));
        return LoginOutcome.SignedIn;
    }

    /// <summary>
    /// Changes a signed-in user's own password after checking the current one. The check is limited as a login is (5
    /// per minute, counted against the user's name: whoever holds the session is already that user) and counted on
    /// /metrics as <c>via="password"</c>; failures are logged. Null = changed; else the message to show.
    /// </summary>
    public async Task<string?> ChangePasswordAsync(string name, string current, string replacement)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = "account:" + name.ToUpperInvariant();
        using var turn = await throttle.LockAsync(key);
        if (throttle.TryBeginKey(key, out var slot) is { } wait)
        {
            SecurityMetrics.Logins.WithLabels(SecurityMetrics.PasswordChange, SecurityMetrics.Throttled).Inc();
            LogPasswordChangeThrottled(logger, name);
            return $"Too many wrong passwords. Try again in {Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))} s.";
        }

        if (users.Verify(name, current) is null)
        {
            throttle.Failed(slot);
            SecurityMetrics.Logins.WithLabels(SecurityMetrics.PasswordChange, SecurityMetrics.Failure).Inc();
            LogPasswordChangeFailed(logger, name);
            return WrongCurrentPassword;
        }

        throttle.Succeeded(slot);
        SecurityMetrics.Logins.WithLabels(SecurityMetrics.PasswordChange, SecurityMetrics.Success).Inc();
        try
        {
            users.SetPassword(name, replacement);
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }

        LogPasswordChanged(logger, name);
        return null;
    }

    /// <summary>Whether a return URL stays on this site (a path, not "//host" or "/\host"), so a login cannot redirect elsewhere.</summary>
    public static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed login for user '{User}' from {Address}")]
    private static partial void LogFailed(ILogger logger, string user, string? address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Login for user '{User}' from {Address} refused: too many attempts from there")]
    private static partial void LogThrottled(ILogger logger, string user, string? address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Password change for user '{User}' refused: wrong current password")]
    private static partial void LogPasswordChangeFailed(ILogger logger, string user);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Password change for user '{User}' refused: too many wrong current passwords")]
    private static partial void LogPasswordChangeThrottled(ILogger logger, string user);

    [LoggerMessage(Level = LogLevel.Information, Message = "User '{User}' changed their password")]
    private static partial void LogPasswordChanged(ILogger logger, string user);

    [LoggerMessage(Level = LogLevel.Information, Message = "User '{User}' ({Role}) signed in from {Address}")]
    private static partial void LogSignedIn(ILogger logger, string user, string role, string? address);
}
