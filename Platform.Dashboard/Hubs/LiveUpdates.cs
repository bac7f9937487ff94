using Platform.Dashboard.Services;

namespace Platform.Dashboard.Hubs;

/// <summary>Builds the live messages from the model.</summary>
public static class LiveUpdates
{
    /// <summary>A host's update with the points newer than <paramref name="afterUnixMs"/>.</summary>
    public static HostUpdate HostSnapshot(FleetModel model, HostState host, long afterUnixMs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(host);
        var series = new List<SeriesPoints>();
        foreach (var view in host.AllSeries())
        {
            var points = view.Ring.Since(afterUnixMs);
            if (points.Length > 0)
            {
                series.Add(new SeriesPoints(view.Key.Id, view.Key.Name, view.Unit, view.Key.Labels, points));
            }
        }

        return new HostUpdate(host.HostId, host.DisplayName, model.HealthOf(host), host.LastSeenUnixMs, model.NowUnixMs, host.Numbers, series);
    }

    public static HostSummary Summary(FleetModel model, HostState host) =>
        new(host.HostId, host.DisplayName, model.HealthOf(host), host.LastSeenUnixMs, host.Numbers, host.Labels);

    public static FleetUpdate Fleet(FleetModel model, IEnumerable<HostState> hosts)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new FleetUpdate(model.NowUnixMs, model.Counts(), hosts.Select(h => Summary(model, h)).ToList());
    }
}
