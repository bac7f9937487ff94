using Platform.Telemetry;
using Prometheus;

namespace Platform.Dashboard.Services;

/// <summary>The dashboard's own numbers on <c>/metrics</c>.</summary>
internal static class DashboardMetrics
{
    public static readonly Gauge Hosts = Metrics.CreateGauge("platform_dashboard_hosts", "Hosts held in memory.");

    public static readonly Gauge Series = Metrics.CreateGauge("platform_dashboard_series", "Series held in memory.");

    public static readonly Counter Records = Metrics.CreateCounter("platform_dashboard_records_total", "Metric batches applied to the live model.");

    public static readonly Counter Rejected = Metrics.CreateCounter("platform_dashboard_records_rejected_total", "Records on the metrics topic that could not be read.");

    public static readonly Counter DuplicateBatches = Metrics.CreateCounter(
        "platform_dashboard_duplicate_batches_total",
        "Metric and log batches dropped as repeats of one already applied (same host, agent run and a sequence not above the last).",
        "topic");

    public static readonly Counter.Child DuplicateMetricBatches = DuplicateBatches.WithLabels(Topics.Metrics);

    public static readonly Counter.Child DuplicateLogBatches = DuplicateBatches.WithLabels(Topics.Logs);

    public static readonly Gauge FleetWatchers = Metrics.CreateGauge("platform_dashboard_fleet_watchers", "Live connections watching the fleet.");

    public static readonly Gauge WatchedHosts = Metrics.CreateGauge("platform_dashboard_watched_hosts", "Hosts at least one live connection watches.");

    public static readonly Counter Pushes = Metrics.CreateCounter("platform_dashboard_pushes_total", "Live updates sent to the hub's groups.", "kind");

    public static readonly Histogram PushDelay = Metrics.CreateHistogram(
        "platform_dashboard_push_delay_seconds",
        "From a host's sample (its clock) to the live update sent.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.01, 2, 12) });
}
