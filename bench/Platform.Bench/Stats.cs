namespace Platform.Bench;

/// <summary>What every harness reports beside its own numbers: nearest-rank percentiles and the machine's load.</summary>
internal static class Stats
{
    /// <summary>The nearest-rank <paramref name="p"/>-th percentile (0–100) of <paramref name="values"/>; NaN when empty.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : OfSorted(sorted, p);
    }

    /// <summary>The nearest-rank percentile of values already sorted ascending (at least one).</summary>
    public static double OfSorted(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>The 1-minute load average ("–" where /proc/loadavg cannot be read).</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "–";
        }
    }
}
