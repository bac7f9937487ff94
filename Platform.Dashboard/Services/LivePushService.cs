using Microsoft.AspNetCore.SignalR;
using Platform.Dashboard.Hubs;

namespace Platform.Dashboard.Services;

/// <summary>
/// Pushes the live updates: every host somebody watches at most once per display interval, when it has
/// news, with only the points since its previous update; the fleet's counts and changed hosts to the
/// fleet watchers once per interval. Then ticks the pages' display clock.
/// </summary>
public sealed partial class LivePushService : BackgroundService
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);
    private readonly FleetModel _model;
    private readonly LiveSubscriptions _subscriptions;
    private readonly IHubContext<LiveHub> _hub;
    private readonly UiTicker _ticker;
    private readonly ILogger<LivePushService> _logger;
    private readonly Dictionary<string, Pushed> _pushed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Version, HostHealth Health)> _fleetSeen = new(StringComparer.Ordinal);
    private long _lastFleetPush;
    private long _lastTick;
    private long _records;
    private long _rejected;

    public LivePushService(FleetModel model, LiveSubscriptions subscriptions, IHubContext<LiveHub> hub, UiTicker ticker, ILogger<LivePushService> logger)
    {
        _model = model;
        _subscriptions = subscriptions;
        _hub = hub;
        _ticker = ticker;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Step, _model.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await PushAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogPushFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One step of the push loop (public for tests that drive it with their own clock).</summary>
    public async Task PushAsync(CancellationToken cancellationToken)
    {
        var now = _model.NowUnixMs;
        var interval = (long)_model.Options.PushInterval.TotalMilliseconds;

        // A host sampled at the display rate jitters around it: a gap of 80 % of the interval keeps one push per
        // sample (not one every other interval, nor a delay that creeps up) while still bounding the rate.
        var minimumGap = interval * 4 / 5;
        foreach (var hostId in _subscriptions.WatchedHosts)
        {
            var host = _model.Find(hostId);
            if (host is null)
            {
                continue;
            }

            _pushed.TryGetValue(hostId, out var pushed);
            if (host.Version == pushed.Version || now - pushed.AtUnixMs < minimumGap)
            {
                continue;
            }

            var update = LiveUpdates.HostSnapshot(_model, host, pushed.Version == 0 ? long.MinValue : pushed.LastSeenUnixMs);
            await _hub.Clients.Group(LiveHub.HostGroup(hostId)).SendAsync(LiveHub.HostMessage, update, cancellationToken);
            _pushed[hostId] = new Pushed(host.Version, now, update.LastSeenUnixMs);
            DashboardMetrics.Pushes.WithLabels("host").Inc();
            DashboardMetrics.PushDelay.Observe(Math.Max(0, now - update.LastSeenUnixMs) / 1000.0);
        }

        if (now - _lastFleetPush >= interval)
        {
            _lastFleetPush = now;
            if (_subscriptions.FleetWatchers > 0)
            {
                await PushFleetAsync(cancellationToken);
            }
            else
            {
                _fleetSeen.Clear();
            }

            Housekeep();
        }

        if (now - _lastTick >= interval)
        {
            _lastTick = now;
            _ticker.Raise();
        }
    }

    private async Task PushFleetAsync(CancellationToken cancellationToken)
    {
        var changed = new List<HostState>();
        foreach (var host in _model.Hosts)
        {
            var health = _model.HealthOf(host);
            if (!_fleetSeen.TryGetValue(host.HostId, out var seen) || seen.Version != host.Version || seen.Health != health)
            {
                changed.Add(host);
                _fleetSeen[host.HostId] = (host.Version, health);
            }
        }

        if (changed.Count > 0)
        {
            await _hub.Clients.Group(LiveHub.FleetGroup).SendAsync(LiveHub.FleetMessage, LiveUpdates.Fleet(_model, changed), cancellationToken);
            DashboardMetrics.Pushes.WithLabels("fleet").Inc();
        }
    }

    private void Housekeep()
    {
        // Forget the push state of hosts nobody watches any more, so it stays bounded.
        if (_pushed.Count > 0)
        {
            foreach (var hostId in _pushed.Keys.Where(h => _subscriptions.WatchersOf(h) == 0).ToList())
            {
                _pushed.Remove(hostId);
            }
        }

        DashboardMetrics.Hosts.Set(_model.HostCount);
        DashboardMetrics.Series.Set(_model.Hosts.Sum(h => h.SeriesCount));
        DashboardMetrics.FleetWatchers.Set(_subscriptions.FleetWatchers);
        DashboardMetrics.WatchedHosts.Set(_subscriptions.WatchedHosts.Count());
        var records = _model.Records;
        DashboardMetrics.Records.Inc(records - _records);
        _records = records;
        var rejected = _model.Rejected;
        DashboardMetrics.Rejected.Inc(rejected - _rejected);
        _rejected = rejected;
    }

    private readonly record struct Pushed(long Version, long AtUnixMs, long LastSeenUnixMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live push failed")]
    private partial void LogPushFailed(Exception exception);
}
