using System.Text.RegularExpressions;
using Platform.Alerting.Rules;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Evaluation;

/// <summary>A validated rule with its matchers and patterns compiled.</summary>
internal sealed class CompiledRule
{
    public CompiledRule(AlertRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        // JSON may carry explicit nulls for the collections; the engine relies on them being there.
        Rule = rule with
        {
            Labels = rule.Labels ?? new Dictionary<string, string>(),
            Annotations = rule.Annotations ?? new Dictionary<string, string>(),
            Channels = rule.Channels ?? [],
            GroupBy = rule.GroupBy ?? [],
        };
        For = TimeSpan.FromSeconds(rule.ForSeconds);
        switch (rule.Kind)
        {
            case RuleKind.Metric:
                var metric = rule.Metric ?? throw new ArgumentException("metric rule without metric condition", nameof(rule));
                Matchers = CompiledMatcher.CompileAll(metric.Matchers);
                WindowMs = WindowAggregation.WindowMs(metric);
                break;
            case RuleKind.Absence:
                var absence = rule.Absence ?? throw new ArgumentException("absence rule without absence condition", nameof(rule));
                Matchers = CompiledMatcher.CompileAll(absence.Matchers);
                After = TimeSpan.FromSeconds(absence.AfterSeconds);
                break;
            case RuleKind.Log:
                var log = rule.Log ?? throw new ArgumentException("log rule without log condition", nameof(rule));
                Matchers = CompiledMatcher.CompileAll(log.Matchers);
                WindowMs = (long)(log.WindowSeconds * 1000);
                if (log.IsRegex)
                {
                    LogRegex = new Regex(log.Pattern, (log.IgnoreCase ? RegexOptions.IgnoreCase : RegexOptions.None) | RegexOptions.CultureInvariant,
                        TimeSpan.FromMilliseconds(50));
                }

                break;
            default:
                throw new ArgumentException($"unknown rule kind {rule.Kind}", nameof(rule));
        }
    }

    public AlertRule Rule { get; }

    public string Id => Rule.Id;

    public CompiledMatcher[] Matchers { get; } = [];

    public TimeSpan For { get; }

    public TimeSpan After { get; }

    public long WindowMs { get; }

    public Regex? LogRegex { get; }

    /// <summary>True when the log line matches the rule's pattern.</summary>
    public bool MatchesLine(string message)
    {
        var log = Rule.Log!;
        if (LogRegex is null)
        {
            return message.Contains(log.Pattern, log.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
        }

        try
        {
            return LogRegex.IsMatch(message);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    public static bool Compare(double value, Comparison comparison, double threshold) => comparison switch
    {
        Comparison.GreaterThan => value > threshold,
        Comparison.GreaterOrEqual => value >= threshold,
        Comparison.LessThan => value < threshold,
        Comparison.LessOrEqual => value <= threshold,
        Comparison.Equal => value == threshold,
        Comparison.NotEqual => value != threshold,
        _ => false,
    };
}
