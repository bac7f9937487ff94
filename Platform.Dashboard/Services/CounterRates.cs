namespace Platform.Dashboard.Services;

/// <summary>
/// Turns the successive totals of counter series into per-second rates. A total lower than the previous
/// one is a counter reset (the agent or the host restarted): no rate for that step. The live path keeps each
/// counter's previous total in the host's series slot and calls <see cref="Step"/>; this class keys them by
/// series id for callers without slots.
/// </summary>
public sealed class CounterRates
{
    private readonly Dictionary<string, Point> _previous = new(StringComparer.Ordinal);

    public int Count => _previous.Count;

    /// <summary>Records a total; returns true with the rate since the previous total of the series.</summary>
    public bool TryRate(string seriesId, long timeUnixMs, double total, out double ratePerSecond)
    {
        ref var previous = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_previous, seriesId, out var found);
        return Step(ref previous, ref found, timeUnixMs, total, out ratePerSecond);
    }

    public void Forget(string seriesId) => _previous.Remove(seriesId);

    /// <summary>
    /// One step of a counter: <paramref name="previous"/> and <paramref name="hasPrevious"/> hold its last total;
    /// returns true with the rate since then. A total not newer than the previous one is ignored.
    /// </summary>
    public static bool Step(ref Point previous, ref bool hasPrevious, long timeUnixMs, double total, out double ratePerSecond)
    {
        ratePerSecond = 0;
        if (hasPrevious && timeUnixMs <= previous.TimeUnixMs)
        {
            return false;
        }

        var before = previous;
        var had = hasPrevious;
        previous = new Point(timeUnixMs, total);
        hasPrevious = true;
        if (!had || total < before.Value)
        {
            return false;
        }

        ratePerSecond = (total - before.Value) * 1000.0 / (timeUnixMs - before.TimeUnixMs);
        return true;
    }
}
