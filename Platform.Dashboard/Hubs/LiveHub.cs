using Microsoft.AspNetCore.SignalR;
using Platform.Dashboard.Services;

namespace Platform.Dashboard.Hubs;

/// <summary>
/// The live hub at <c>/hubs/live</c>. A client calls <see cref="WatchHost"/> or <see cref="WatchFleet"/>
/// and then receives <c>host</c> (<see cref="HostUpdate"/>) or <c>fleet</c> (<see cref="FleetUpdate"/>)
/// messages, at most once per display interval, only for what it watches.
/// </summary>
public sealed class LiveHub : Hub
{
    public const string Path = "/hubs/live";
    public const string HostMessage = "host";
    public const string FleetMessage = "fleet";

    private readonly LiveSubscriptions _subscriptions;
    private readonly FleetModel _model;

    public LiveHub(LiveSubscriptions subscriptions, FleetModel model)
    {
        _subscriptions = subscriptions;
        _model = model;
    }

    public static string HostGroup(string hostId) => "host:" + hostId;

    public static string FleetGroup => "fleet";

    /// <summary>Starts the live updates of one host; answers with what is held of it now (null when unknown yet).</summary>
    /// <exception cref="HubException">The host id is empty or too long.</exception>
    public async Task<HostUpdate?> WatchHost(string hostId)
    {
        if (string.IsNullOrWhiteSpace(hostId) || hostId.Length > 256)
        {
            throw new HubException("WatchHost: the host id must be 1 to 256 characters.");
        }

        await Groups.AddToGroupAsync(Context.ConnectionId, HostGroup(hostId));
        _subscriptions.WatchHost(Context.ConnectionId, hostId);
        var host = _model.Find(hostId);
        return host is null ? null : LiveUpdates.HostSnapshot(_model, host, long.MinValue);
    }

    public async Task UnwatchHost(string hostId)
    {
        if (string.IsNullOrWhiteSpace(hostId))
        {
            throw new HubException("UnwatchHost: the host id must not be empty.");
        }

        _subscriptions.UnwatchHost(Context.ConnectionId, hostId);
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, HostGroup(hostId));
    }

    /// <summary>Starts the live fleet updates; answers with every host now.</summary>
    public async Task<FleetUpdate> WatchFleet()
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, FleetGroup);
        _subscriptions.WatchFleet(Context.ConnectionId);
        return LiveUpdates.Fleet(_model, _model.Hosts);
    }

    public async Task UnwatchFleet()
    {
        _subscriptions.UnwatchFleet(Context.ConnectionId);
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, FleetGroup);
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        _subscriptions.Remove(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }
}
