using Platform.Telemetry;
using Prometheus;

namespace Platform.Alerting.Service;

/// <summary>The service's own metrics (prometheus-net default registry; <c>platform-alerting</c> serves them at /metrics).</summary>
internal static class AlertingMetrics
{
    public static readonly Counter Batches = Metrics.CreateCounter(
        "platform_alerting_batches_total", "Metric and log batches evaluated.", "topic");

    /// <summary>The children counted per batch, looked up once (a label lookup per batch costs more than the count).</summary>
    public static readonly Counter.Child MetricBatches = Batches.WithLabels(Topics.Metrics);

    public static readonly Counter.Child LogBatches = Batches.WithLabels(Topics.Logs);

    public static readonly Counter DuplicateBatches = Metrics.CreateCounter(
        "platform_alerting_duplicate_batches_total",
        "Metric and log batches dropped as repeats of one already applied (same host, agent run and a sequence not above the last).",
        "topic");

    public static readonly Counter.Child DuplicateMetricBatches = DuplicateBatches.WithLabels(Topics.Metrics);

    public static readonly Counter.Child DuplicateLogBatches = DuplicateBatches.WithLabels(Topics.Logs);

    public static readonly Counter Records = Metrics.CreateCounter(
        "platform_alerting_alert_records_total", "Records published on the alerts topic.", "event", "state");

    public static readonly Counter Notifications = Metrics.CreateCounter(
        "platform_alerting_notifications_total", "Notifications handed to channels.", "reason");

    public static readonly Counter Deliveries = Metrics.CreateCounter(
        "platform_alerting_delivery_attempts_total", "Delivery attempts per channel.", "channel", "result");

    public static readonly Histogram EvaluationLag = Metrics.CreateHistogram(
        "platform_alerting_evaluation_lag_seconds", "From a batch's timestamp to its evaluation.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
}
