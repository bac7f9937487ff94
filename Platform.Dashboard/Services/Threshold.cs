using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Services;

/// <summary>A line drawn on a chart: a rule's threshold (and its recovery threshold) on the metric shown.</summary>
public sealed record Threshold(string RuleName, AlertSeverity Severity, double Value, double? Recovery);
