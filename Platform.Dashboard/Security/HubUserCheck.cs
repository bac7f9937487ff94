using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Platform.Alerting.Security;

namespace Platform.Dashboard.Security;

/// <summary>
/// Ends the <see cref="Hubs.LiveHub"/> connections of users who changed: a connection whose user was deleted or whose
/// password or role changed (the stamp differs) is closed at its next call, and every <see cref="Interval"/> if it only
/// listens. Other hubs pass untouched (the pages' own circuits are checked by <see cref="UserRevalidatingStateProvider"/>).
/// </summary>
public sealed class HubUserCheck : IHubFilter, IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, HubCallerContext> _connections = new(StringComparer.Ordinal);
    private readonly UserStore _users;
    private readonly ITimer _timer;

    public HubUserCheck(UserStore users, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _users = users;
        _timer = time.CreateTimer(_ => Sweep(), null, Interval, Interval);
    }

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.Hub is Hubs.LiveHub)
        {
            _connections[context.Context.ConnectionId] = context.Context;
        }

        await next(context);
    }

    public Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        _connections.TryRemove(context.Context.ConnectionId, out _);
        return next(context, exception);
    }

    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        ArgumentNullException.ThrowIfNull(invocationContext);
        ArgumentNullException.ThrowIfNull(next);
        var caller = invocationContext.Context;
        if (invocationContext.Hub is Hubs.LiveHub && (caller.User is null || !PlatformPrincipal.IsCurrent(caller.User, _users)))
        {
            caller.Abort();
            throw new HubException("Your user was deleted or changed: sign in again.");
        }

        return next(invocationContext);
    }

    /// <summary>Closes the connections whose user is no longer current.</summary>
    public void Sweep()
    {
        foreach (var (id, caller) in _connections)
        {
            if (caller.User is null || !PlatformPrincipal.IsCurrent(caller.User, _users))
            {
                _connections.TryRemove(id, out _);
                caller.Abort();
            }
        }
    }

    public void Dispose() => _timer.Dispose();
}
