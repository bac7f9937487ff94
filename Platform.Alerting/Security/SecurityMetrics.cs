using Prometheus;

namespace Platform.Alerting.Security;

/// <summary>The logins counted on <c>/metrics</c>: <c>platform_logins_total{via,outcome}</c>.</summary>
public static class SecurityMetrics
{
    /// <summary>Logins by how they came (<c>form</c>, <c>basic</c>) and how they ended (<c>success</c>, <c>failure</c>, <c>throttled</c>).</summary>
    public static Counter Logins { get; } = Metrics.CreateCounter(
        "platform_logins_total",
        "Logins to the dashboard and the REST API by way (form, basic) and outcome (success, failure, throttled).",
        new CounterConfiguration { LabelNames = ["via", "outcome"] });

    public const string Form = "form";
    public const string Basic = "basic";
    public const string Success = "success";
    public const string Failure = "failure";
    public const string Throttled = "throttled";
}
