using System.Globalization;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Rules;

/// <summary>Renders a rule's annotation templates for an alert, as notifications and the alert records carry them;
/// the rule editor renders its example through the same code.</summary>
public static class AnnotationTemplates
{
    /// <summary>Renders one template: <c>{{value}}</c>, <c>{{threshold}}</c>, <c>{{rule}}</c>, <c>{{severity}}</c>,
    /// <c>{{state}}</c>, <c>{{metric}}</c>, <c>{{labels.NAME}}</c> or <c>{{NAME}}</c> for a label (incl. <c>host</c>).</summary>
    public static string Render(string template, AlertRule rule, IReadOnlyDictionary<string, string> labels, double value, AlertState state)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(labels);
        return Template.Render(template, key => key switch
        {
            "value" => Template.FormatNumber(value),
            "threshold" => rule.Metric is { } m ? Template.FormatNumber(m.Threshold)
                : rule.Absence is { } a ? Template.FormatNumber(a.AfterSeconds)
                : rule.Log is { } l ? l.MinCount.ToString(CultureInfo.InvariantCulture) : null,
            "rule" => rule.Name,
            "severity" => rule.Severity.ToString().ToLowerInvariant(),
            "state" => state.ToString().ToLowerInvariant(),
            "metric" => rule.Metric?.Name ?? rule.Absence?.MetricName,
            _ => labels.TryGetValue(key, out var v) ? v : null,
        });
    }

    /// <summary>The syntax problem of a template, or null when it is valid (the validator's message).</summary>
    public static string? Check(string template) => Template.Check(template ?? string.Empty);
}
