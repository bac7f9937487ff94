namespace Platform.Dashboard.Services;

/// <summary>A series of a host as the pages read it.</summary>
public sealed record SeriesView(SeriesKey Key, string Unit, SeriesRing Ring);
