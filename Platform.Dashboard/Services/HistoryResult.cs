namespace Platform.Dashboard.Services;

/// <summary>The series of one host over a time range, read back from the log and downsampled.</summary>
/// <remarks>Series: Every series of the host with its bucket averages, oldest first.</remarks>
/// <remarks>Records: How many records of the host were read.</remarks>
/// <remarks>Truncated: The read stopped at its record or time budget before the end of the range.</remarks>
public sealed record HistoryResult(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<HistorySeries> Series, long Records, bool Truncated)
{
    /// <summary>How many records (of every host) were read to answer.</summary>
    public long Scanned { get; init; }

    /// <summary>The range was sampled (a few of the host's records per bucket), not read whole.</summary>
    public bool Sampled { get; init; }

    public IEnumerable<HistorySeries> Named(string name) => Series.Where(s => s.Key.Name == name);
}
