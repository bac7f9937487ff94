using Platform.Dashboard.Services;

namespace Platform.Dashboard.Components.Shared;

/// <summary>One line on a chart.</summary>
public sealed record ChartSeries(string Label, IReadOnlyList<Point> Points);
