namespace Platform.Dashboard.Components.Pages.Hosts;

/// <summary>A range choice of the host page: the live window kept in memory, or a range read back from the log.</summary>
public sealed record TimeRange(string Key, string Label, TimeSpan? Span)
{
    public static readonly TimeRange Live = new("5m", "Last 5 min", TimeSpan.FromMinutes(5));

    public static readonly IReadOnlyList<TimeRange> Choices =
    [
        Live,
        new("15m", "15 min", TimeSpan.FromMinutes(15)),
        new("1h", "1 h", TimeSpan.FromHours(1)),
        new("6h", "6 h", TimeSpan.FromHours(6)),
        new("24h", "24 h", TimeSpan.FromHours(24)),
        new("custom", "Custom", null),
    ];

    /// <summary>Whether the range is served from memory (live) rather than read back from the log.</summary>
    public bool IsLive => Key == Live.Key;
}
