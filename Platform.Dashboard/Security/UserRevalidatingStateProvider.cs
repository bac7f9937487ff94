using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Platform.Alerting.Security;

namespace Platform.Dashboard.Security;

/// <summary>
/// The signed-in user of an interactive page (a circuit), checked again against the users file every
/// <see cref="DefaultInterval"/>: once the user is deleted or their password or role changes (the stamp differs), the
/// circuit's user becomes anonymous, the page goes to the login and its live connection ends.
/// </summary>
public sealed class UserRevalidatingStateProvider : RevalidatingServerAuthenticationStateProvider
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    private readonly UserStore _users;
    private readonly TimeSpan _interval;

    public UserRevalidatingStateProvider(ILoggerFactory loggerFactory, UserStore users)
        : this(loggerFactory, users, DefaultInterval)
    {
    }

    internal UserRevalidatingStateProvider(ILoggerFactory loggerFactory, UserStore users, TimeSpan interval)
        : base(loggerFactory)
    {
        _users = users;
        _interval = interval;
    }

    protected override TimeSpan RevalidationInterval => _interval;

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(authenticationState);
        return Task.FromResult(PlatformPrincipal.IsCurrent(authenticationState.User, _users));
    }
}
