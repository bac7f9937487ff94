using Prometheus;

namespace Platform.Alerting.Security;

/// <summary>The logins counted on <c>/metrics</c>: <c>platform_logins_total{via,outcome}</c>.</summary>
public static class SecurityMetrics
{
    /// <summary>Logins by how they came (<c>form</c>, <c>basic</c>, <c>password</c> = the current password re-entered to change it) and how they ended (<c>success</c>, <c>failure</c>, <c>throttled</c>).</summary>
    public static Counter Logins { get; } = CreateLogins();

    public const string Form = "form";
    public const string Basic = "basic";
    public const string PasswordChange = "password";
    public const string Success = "success";
    public const string Failure = "failure";
    public const string Throttled = "throttled";

    // Every series exists from the start at 0, so a rate or an alert on failures works before the first one.
    private static Counter CreateLogins()
    {
        var counter = Metrics.CreateCounter(
            "platform_logins_total",
            "Logins to the dashboard and the REST API by way (form, basic, password change) and outcome (success, failure, throttled).",
            new CounterConfiguration { LabelNames = ["via", "outcome"] });
        foreach (var via in (string[])[Form, Basic, PasswordChange])
        {
            foreach (var outcome in (string[])["success", "failure", "throttled"])
            {
                counter.WithLabels(via, outcome);
            }
        }

        return counter;
    }
}
