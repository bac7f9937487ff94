namespace Platform.Dashboard.Services;

/// <summary>One series read back from the log: the average of each time bucket that had samples.</summary>
public sealed record HistorySeries(SeriesKey Key, string Unit, IReadOnlyList<Point> Points);
