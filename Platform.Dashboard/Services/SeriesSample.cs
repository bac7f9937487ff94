namespace Platform.Dashboard.Services;

/// <summary>One value for one series as the dashboard keeps it (counters already turned into rates).</summary>
public readonly record struct SeriesSample(SeriesKey Key, string Unit, long TimeUnixMs, double Value);
