namespace Platform.Dashboard.Services;

/// <summary>
/// Turns the successive totals of counter series into per-second rates. A total lower than the previous
/// one is a counter reset (the agent or the host restarted): no rate for that step.
/// </summary>
public sealed class CounterRates
{
    private readonly Dictionary<string, Point> _previous = new(StringComparer.Ordinal);

    public int Count => _previous.Count;

    /// <summary>Records a total; returns true with the rate since the previous total of the series.</summary>
    public bool TryRate(string seriesId, long timeUnixMs, double total, out double ratePerSecond)
    {
        ratePerSecond = 0;
        var found = _previous.TryGetValue(seriesId, out var previous);
        if (found && timeUnixMs <= previous.TimeUnixMs)
        {
            return false;
        }

        _previous[seriesId] = new Point(timeUnixMs, total);
        if (!found || total < previous.Value)
        {
            return false;
        }

        ratePerSecond = (total - previous.Value) * 1000.0 / (timeUnixMs - previous.TimeUnixMs);
        return true;
    }

    public void Forget(string seriesId) => _previous.Remove(seriesId);
}
