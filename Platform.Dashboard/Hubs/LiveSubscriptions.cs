using System.Collections.Concurrent;

namespace Platform.Dashboard.Hubs;

/// <summary>Which connections watch which host and who watches the fleet, so the push sends only what is looked at.</summary>
public sealed class LiveSubscriptions
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _hostsByConnection = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _watchersByHost = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _fleetWatchers = new(StringComparer.Ordinal);

    public int FleetWatchers => _fleetWatchers.Count;

    /// <summary>The hosts somebody watches now.</summary>
    public IEnumerable<string> WatchedHosts => _watchersByHost.Where(kv => kv.Value > 0).Select(kv => kv.Key);

    public int WatchersOf(string hostId) => _watchersByHost.TryGetValue(hostId, out var n) ? n : 0;

    /// <summary>Returns false when the connection already watched the host.</summary>
    public bool WatchHost(string connectionId, string hostId)
    {
        var hosts = _hostsByConnection.GetOrAdd(connectionId, _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal));
        if (!hosts.TryAdd(hostId, 0))
        {
            return false;
        }

        _watchersByHost.AddOrUpdate(hostId, 1, (_, n) => n + 1);
        return true;
    }

    public bool UnwatchHost(string connectionId, string hostId)
    {
        if (!_hostsByConnection.TryGetValue(connectionId, out var hosts) || !hosts.TryRemove(hostId, out _))
        {
            return false;
        }

        Release(hostId);
        return true;
    }

    public void WatchFleet(string connectionId) => _fleetWatchers.TryAdd(connectionId, 0);

    public void UnwatchFleet(string connectionId) => _fleetWatchers.TryRemove(connectionId, out _);

    /// <summary>Forgets everything a closed connection watched.</summary>
    public void Remove(string connectionId)
    {
        _fleetWatchers.TryRemove(connectionId, out _);
        if (_hostsByConnection.TryRemove(connectionId, out var hosts))
        {
            foreach (var hostId in hosts.Keys)
            {
                Release(hostId);
            }
        }
    }

    private void Release(string hostId)
    {
        var left = _watchersByHost.AddOrUpdate(hostId, 0, (_, n) => Math.Max(0, n - 1));
        if (left == 0)
        {
            _watchersByHost.TryRemove(KeyValuePair.Create(hostId, 0));
        }
    }
}
