using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Platform.Alerting.Security;

public static class PlatformSecurityServiceCollectionExtensions
{
    /// <summary>
    /// Switches security on: the users file at <paramref name="usersFile"/> (<see cref="UserStore"/>), the failed-login
    /// throttle, HTTP Basic authentication (<see cref="BasicAuthenticationHandler.SchemeName"/>) and the
    /// <see cref="PlatformPolicies"/> demanding their roles. Returns the authentication builder so that a host can add
    /// its own schemes (the dashboard adds its cookie); the default scheme is Basic unless the host sets another.
    /// </summary>
    public static AuthenticationBuilder AddPlatformSecurity(this IServiceCollection services, string usersFile)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(usersFile);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new UserStore(usersFile, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new LoginThrottle(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new CredentialCache(sp.GetRequiredService<TimeProvider>()));
        services.AddAuthorization(o =>
        {
            foreach (var policy in (string[])[PlatformPolicies.View, PlatformPolicies.Operate, PlatformPolicies.Administer])
            {
                o.AddPolicy(policy, p => p.RequireAuthenticatedUser().RequireRole(PlatformPolicies.RolesOf(policy)));
            }
        });
        return services.AddAuthentication(BasicAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(BasicAuthenticationHandler.SchemeName, null);
    }

    /// <summary>
    /// Registers the <see cref="PlatformPolicies"/> as open (everybody passes) unless <see cref="AddPlatformSecurity"/>
    /// defines them: security off keeps the API working as it always did.
    /// </summary>
    public static IServiceCollection AddOpenPlatformPolicies(this IServiceCollection services)
    {
        services.AddAuthorization();
        services.AddSingleton<IPostConfigureOptions<AuthorizationOptions>, OpenPolicies>();
        return services;
    }

    private sealed class OpenPolicies : IPostConfigureOptions<AuthorizationOptions>
    {
        private static readonly AuthorizationPolicy Open = new AuthorizationPolicyBuilder().RequireAssertion(_ => true).Build();

        public void PostConfigure(string? name, AuthorizationOptions options)
        {
            foreach (var policy in (string[])[PlatformPolicies.View, PlatformPolicies.Operate, PlatformPolicies.Administer])
            {
                if (options.GetPolicy(policy) is null)
                {
                    options.AddPolicy(policy, Open);
                }
            }
        }
    }
}
