using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.SignalR;
using Platform.Alerting.Security;

namespace Platform.Dashboard.Security;

/// <summary>
/// Security of the dashboard's web application. Off: every policy is open and pages show a banner. On: the users file
/// under the data directory, a session cookie for browsers (login at /login), HTTP Basic for API clients and a ticket for
/// the pages' own API calls; every page, the hub and the API need a signed-in user, the API answers 401/403 rather
/// than redirecting, and /health, /metrics and the static assets stay open.
/// </summary>
public static class DashboardSecurity
{
    public const string LoginPath = "/login";
    public const string LogoutPath = "/logout";
    public const string CookieName = "platform.session";

    /// <summary>
    /// The header a script using the session cookie must send with a change on <c>/api</c> (any value): a browser sends
    /// a custom header cross-origin only after a CORS preflight, which this host never grants.
    /// </summary>
    public const string RequestedWithHeader = "X-Requested-With";

    private static readonly object CrossSiteKey = new();

    /// <summary>The default scheme, which picks Basic, the ticket or the cookie per request.</summary>
    public const string SelectingScheme = "Platform";

    /// <summary>The users file under a data directory.</summary>
    public static string UsersFile(string dataDirectory) => Path.Combine(Path.GetFullPath(dataDirectory), "users.json");

    /// <summary>Switches security on (call before <see cref="DashboardApp.AddPlatformDashboard"/>, which leaves it off otherwise).</summary>
    public static IServiceCollection AddDashboardSecurity(this IServiceCollection services, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(new SecurityState(true));

        // Session cookies and API tickets survive a restart: the keys live under the data directory, readable by the owner only.
        var keys = Directory.CreateDirectory(Path.Combine(Path.GetFullPath(dataDirectory), "keys"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keys.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        services.AddDataProtection().SetApplicationName("platform-dashboard").PersistKeysToFileSystem(keys);
        services.AddSingleton<ApiTicket>();
        services.AddSingleton<LoginService>();
        services.AddHostedService<PlainHttpWarning>();
        services.AddSingleton<HubUserCheck>();
        services.Configure<HubOptions>(o => o.AddFilter<HubUserCheck>());

        // Registered before AddRazorComponents' default (which only adds one when none is there).
        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, UserRevalidatingStateProvider>();
        services.AddPlatformSecurity(UsersFile(dataDirectory))
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                o.SlidingExpiration = true;
                o.LoginPath = LoginPath;
                o.LogoutPath = LogoutPath;
                o.AccessDeniedPath = LoginPath;
                o.ReturnUrlParameter = "returnUrl";
                o.Events.OnRedirectToLogin = c => Answer(c, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = c => Answer(c, StatusCodes.Status403Forbidden);
                o.Events.OnSigningOut = c =>
                {
                    // Sign-out is a form post with an antiforgery token; its endpoint reads no form, so the token's
                    // check is enforced here: another site cannot sign the user out.
                    if (c.HttpContext.Features.Get<Microsoft.AspNetCore.Antiforgery.IAntiforgeryValidationFeature>() is { IsValid: false })
                    {
                        throw new BadHttpRequestException("The sign-out form's antiforgery token is missing or invalid.", StatusCodes.Status400BadRequest);
                    }

                    return Task.CompletedTask;
                };
                o.Events.OnValidatePrincipal = async c =>
                {
                    // The cookie is no proof that the user meant this request: another site on the same host (another
                    // port is the same site, so SameSite does not stop it) can make the browser send it.
                    if (CrossSiteRequest(c.HttpContext) is { } reason)
                    {
                        c.HttpContext.Items[CrossSiteKey] = reason;
                        c.RejectPrincipal();
                        return;
                    }

                    // A deleted user, a new password or a new role ends the sessions issued before.
                    if (c.Principal is null || !PlatformPrincipal.IsCurrent(c.Principal, c.HttpContext.RequestServices.GetRequiredService<UserStore>()))
                    {
                        c.RejectPrincipal();
                        await c.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                    }
                };
            })
            .AddScheme<AuthenticationSchemeOptions, ApiTicketAuthenticationHandler>(ApiTicketAuthenticationHandler.SchemeName, null)
            .AddPolicyScheme(SelectingScheme, "Cookie, Basic or ticket", o => o.ForwardDefaultSelector = Select);
        services.AddAuthentication(o =>
        {
            o.DefaultScheme = SelectingScheme;
            o.DefaultAuthenticateScheme = SelectingScheme;
            o.DefaultChallengeScheme = SelectingScheme;
            o.DefaultForbidScheme = SelectingScheme;
        });
        services.AddAuthorizationBuilder().SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return services;
    }

    /// <summary>Whether a request is an API or hub call, answered with status codes rather than redirects to the login page.</summary>
    public static bool IsApi(PathString path) =>
        path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/hubs", StringComparison.OrdinalIgnoreCase);

    private static string Select(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return BasicAuthenticationHandler.SchemeName;
        }

        if (context.Request.Headers.ContainsKey(ApiTicket.Header))
        {
            return ApiTicketAuthenticationHandler.SchemeName;
        }

        // An API client without a session gets Basic's 401 with WWW-Authenticate; a browser goes to the login page.
        return IsApi(context.Request.Path) && !context.Request.Cookies.ContainsKey(CookieName)
            ? BasicAuthenticationHandler.SchemeName
            : CookieAuthenticationDefaults.AuthenticationScheme;
    }

    /// <summary>
    /// Why a cookie-authenticated API or hub request may come from another site, or null: an <c>Origin</c> other than this
    /// host's (browsers send it on cross-origin requests and on every WebSocket handshake), or a change (POST, PUT, PATCH,
    /// DELETE) on <c>/api</c> without <see cref="RequestedWithHeader"/>. The dashboard's own pages call the API from the
    /// server with a ticket, never with the cookie.
    /// </summary>
    public static string? CrossSiteRequest(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (!IsApi(request.Path))
        {
            return null;
        }

        // Host and port only: a proxy that ends TLS in front keeps the host but not the scheme.
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0
            && (!Uri.TryCreate(origin, UriKind.Absolute, out var from) || !string.Equals(from.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)))
        {
            return $"the request comes from another origin ({origin})";
        }

        if (request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
            && !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method)
            && !request.Headers.ContainsKey(RequestedWithHeader))
        {
            return $"a change through the API with the session cookie needs the header {RequestedWithHeader}";
        }

        return null;
    }

    private static Task Answer(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (IsApi(context.Request.Path) && context.HttpContext.Items[CrossSiteKey] is string reason)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return context.Response.WriteAsJsonAsync(new { title = "Cross-site request refused", detail = reason }, context.HttpContext.RequestAborted);
        }

        if (IsApi(context.Request.Path))
        {
            context.Response.StatusCode = status;
        }
        else
        {
            context.Response.Redirect(context.RedirectUri);
        }

        return Task.CompletedTask;
    }
}
