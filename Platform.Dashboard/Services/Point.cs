namespace Platform.Dashboard.Services;

/// <summary>One value of a series at a time (milliseconds since the Unix epoch).</summary>
public readonly record struct Point(long TimeUnixMs, double Value);
