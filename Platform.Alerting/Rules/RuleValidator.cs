using System.Globalization;
using System.Text.RegularExpressions;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Rules;

/// <summary>Field-level validation of rules, silences and channels. Keys are JSON paths (<c>metric.threshold</c>,
/// <c>metric.matchers[0].value</c>); an empty result means valid.</summary>
public sealed partial class RuleValidator(MetricCatalog catalog)
{
    private const int MaxDays = 31;

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,128}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    private static partial Regex TimeOfDayPattern();

    public Dictionary<string, string[]> Validate(AlertRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var errors = new Errors();
        CheckId(errors, "id", rule.Id);
        if (string.IsNullOrWhiteSpace(rule.Name))
        {
            errors.Add("name", "is required");
        }

        CheckDuration(errors, "forSeconds", rule.ForSeconds, allowZero: true);
        if (rule.RepeatIntervalSeconds is { } repeat)
        {
            CheckDuration(errors, "repeatIntervalSeconds", repeat, allowZero: true);
        }

        var conditions = (rule.Metric is null ? 0 : 1) + (rule.Absence is null ? 0 : 1) + (rule.Log is null ? 0 : 1);
        if (conditions > 1)
        {
            errors.Add("kind", "set exactly one of metric, absence and log");
        }

        switch (rule.Kind)
        {
            case RuleKind.Metric when rule.Metric is null:
                errors.Add("metric", "a metric rule needs a metric condition");
                break;
            case RuleKind.Metric:
                CheckMetric(errors, rule.Metric);
                break;
            case RuleKind.Absence when rule.Absence is null:
                errors.Add("absence", "an absence rule needs an absence condition");
                break;
            case RuleKind.Absence:
                CheckDuration(errors, "absence.afterSeconds", rule.Absence.AfterSeconds, allowZero: false);
                if (rule.Absence.MetricName is { } name && !catalog.IsKnown(name))
                {
                    errors.Add("absence.metricName", $"unknown metric '{name}'");
                }

                CheckMatchers(errors, "absence.matchers", rule.Absence.Matchers);
                break;
            case RuleKind.Log when rule.Log is null:
                errors.Add("log", "a log rule needs a log condition");
                break;
            case RuleKind.Log:
                CheckLog(errors, rule.Log);
                break;
            default:
                errors.Add("kind", $"unknown kind '{rule.Kind}'");
                break;
        }

        foreach (var (name, template) in rule.Annotations ?? new Dictionary<string, string>())
        {
            if (Template.Check(template ?? string.Empty) is { } problem)
            {
                errors.Add($"annotations.{name}", problem);
            }
        }

        foreach (var (name, _) in rule.Labels ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                errors.Add("labels", "a label name is empty");
            }
        }

        if (rule.Escalation is { } escalation)
        {
            CheckDuration(errors, "escalation.afterSeconds", escalation.AfterSeconds, allowZero: false);
            if (escalation.Channels is null || escalation.Channels.Count == 0)
            {
                errors.Add("escalation.channels", "name at least one channel to escalate to");
            }
        }

        return errors.ToDictionary();
    }

    private void CheckMetric(Errors errors, MetricCondition metric)
    {
        if (string.IsNullOrWhiteSpace(metric.Name))
        {
            errors.Add("metric.name", "is required");
        }
        else if (!catalog.IsKnown(metric.Name))
        {
            errors.Add("metric.name", $"unknown metric '{metric.Name}' (not published by the agents and not seen on the metrics topic)");
        }

        CheckMatchers(errors, "metric.matchers", metric.Matchers);
        if (!double.IsFinite(metric.Threshold))
        {
            errors.Add("metric.threshold", "must be a finite number");
        }

        CheckDuration(errors, "metric.windowSeconds", metric.WindowSeconds, allowZero: metric.Aggregation == Aggregation.Last);
        if (metric.Aggregation == Aggregation.Percentile)
        {
            if (metric.Percentile is not { } p || p is < 0 or > 100 || double.IsNaN(p))
            {
                errors.Add("metric.percentile", "a percentile aggregation needs percentile between 0 and 100");
            }
        }
        else if (metric.Percentile is not null)
        {
            errors.Add("metric.percentile", "only for the percentile aggregation");
        }

        // Thresholds no value can cross.
        var ratio = MetricCatalog.IsRatio(metric.Name ?? string.Empty) && metric.Aggregation != Aggregation.Rate;
        if (ratio && double.IsFinite(metric.Threshold))
        {
            var t = metric.Threshold;
            var impossible = metric.Comparison switch
            {
                Comparison.GreaterThan => t >= 1,
                Comparison.GreaterOrEqual => t > 1,
                Comparison.LessThan => t <= 0,
                Comparison.LessOrEqual => t < 0,
                Comparison.Equal => t is < 0 or > 1,
                _ => false,
            };
            if (impossible)
            {
                var hint = t > 1 && t <= 100 ? $"; it is a ratio 0..1, did you mean {(t / 100).ToString("0.###", CultureInfo.InvariantCulture)}?" : "; it is a ratio 0..1";
                errors.Add("metric.threshold", $"impossible threshold: {metric.Name} never is {Symbol(metric.Comparison)} {Template.FormatNumber(t)}{hint}");
            }
        }

        if (metric.RecoveryThreshold is { } recovery)
        {
            var ok = metric.Comparison switch
            {
                Comparison.GreaterThan or Comparison.GreaterOrEqual => recovery <= metric.Threshold,
                Comparison.LessThan or Comparison.LessOrEqual => recovery >= metric.Threshold,
                _ => false,
            };
            if (!double.IsFinite(recovery) || !ok)
            {
                errors.Add("metric.recoveryThreshold", metric.Comparison is Comparison.Equal or Comparison.NotEqual
                    ? "a recovery threshold needs an ordering comparison (>, >=, <, <=)"
                    : $"must be on the non-firing side of the threshold ({(metric.Comparison is Comparison.GreaterThan or Comparison.GreaterOrEqual ? "<=" : ">=")} {Template.FormatNumber(metric.Threshold)})");
            }
        }
    }

    private static void CheckLog(Errors errors, LogCondition log)
    {
        if (string.IsNullOrEmpty(log.Pattern))
        {
            errors.Add("log.pattern", "is required");
        }
        else if (log.IsRegex)
        {
            CheckRegex(errors, "log.pattern", log.Pattern);
        }

        CheckDuration(errors, "log.windowSeconds", log.WindowSeconds, allowZero: false);
        if (log.MinCount < 1)
        {
            errors.Add("log.minCount", "must be at least 1");
        }

        CheckMatchers(errors, "log.matchers", log.Matchers);
    }

    public static Dictionary<string, string[]> Validate(Silence silence)
    {
        ArgumentNullException.ThrowIfNull(silence);
        var errors = new Errors();
        CheckId(errors, "id", silence.Id);
        if (silence.Matchers is null || silence.Matchers.Count == 0)
        {
            errors.Add("matchers", "a silence needs at least one matcher");
        }
        else
        {
            CheckMatchers(errors, "matchers", silence.Matchers);
        }

        if (silence.EndsAt <= silence.StartsAt)
        {
            errors.Add("endsAt", "must be after startsAt");
        }

        if (silence.Recurrence is { } r)
        {
            if (r.StartTime is null || !TimeOfDayPattern().IsMatch(r.StartTime))
            {
                errors.Add("recurrence.startTime", "must be HH:mm (24 h)");
            }

            if (!double.IsFinite(r.DurationSeconds) || r.DurationSeconds <= 0 || r.DurationSeconds > MaxDays * 86400.0)
            {
                errors.Add("recurrence.durationSeconds", "must be a positive number of seconds");
            }

            if (r.TimeZone is { } tz && !TimeZoneInfo.TryFindSystemTimeZoneById(tz, out _))
            {
                errors.Add("recurrence.timeZone", $"unknown time zone '{tz}'");
            }
        }

        return errors.ToDictionary();
    }

    public static Dictionary<string, string[]> Validate(NotificationChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var errors = new Errors();
        CheckId(errors, "id", channel.Id);
        if (string.IsNullOrWhiteSpace(channel.Name))
        {
            errors.Add("name", "is required");
        }

        if (channel.Type == ChannelType.Email)
        {
            if (channel.Email is not { } email)
            {
                errors.Add("email", "an email channel needs email settings");
            }
            else
            {
                if (string.IsNullOrWhiteSpace(email.SmtpHost))
                {
                    errors.Add("email.smtpHost", "is required");
                }

                if (email.SmtpPort is <= 0 or > 65535)
                {
                    errors.Add("email.smtpPort", "must be 1..65535");
                }

                if (!IsAddress(email.From))
                {
                    errors.Add("email.from", $"not an email address: '{email.From}'");
                }

                if (email.To is null || email.To.Count == 0)
                {
                    errors.Add("email.to", "name at least one recipient");
                }
                else
                {
                    for (var i = 0; i < email.To.Count; i++)
                    {
                        if (!IsAddress(email.To[i]))
                        {
                            errors.Add($"email.to[{i}]", $"not an email address: '{email.To[i]}'");
                        }
                    }
                }
            }
        }
        else if (channel.Url is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add("url", "an absolute http or https URL is required");
        }

        return errors.ToDictionary();
    }

    private static bool IsAddress(string? text) =>
        text is not null && MimeKit.MailboxAddress.TryParse(text, out var address) && address.Address.Contains('@', StringComparison.Ordinal)
        && !address.Address.EndsWith('@') && !address.Address.StartsWith('@');

    private static void CheckId(Errors errors, string field, string? id)
    {
        if (string.IsNullOrEmpty(id) || !IdPattern().IsMatch(id))
        {
            errors.Add(field, "1-128 characters of letters, digits, '-', '_', '.'");
        }
    }

    private static void CheckDuration(Errors errors, string field, double seconds, bool allowZero)
    {
        if (!double.IsFinite(seconds) || seconds < 0 || (!allowZero && seconds == 0))
        {
            errors.Add(field, allowZero ? "must be 0 or a positive number of seconds" : "must be a positive number of seconds");
        }
        else if (seconds > 30 * 86400.0)
        {
            errors.Add(field, "at most 30 days");
        }
    }

    private static void CheckMatchers(Errors errors, string field, IReadOnlyList<LabelMatcher>? matchers)
    {
        if (matchers is null)
        {
            return;
        }

        for (var i = 0; i < matchers.Count; i++)
        {
            var m = matchers[i];
            if (m is null || string.IsNullOrWhiteSpace(m.Name))
            {
                errors.Add($"{field}[{i}].name", "is required");
                continue;
            }

            if (m.Value is null)
            {
                errors.Add($"{field}[{i}].value", "is required");
            }
            else if (m.Op is MatchOperator.Regex or MatchOperator.NotRegex)
            {
                CheckRegex(errors, $"{field}[{i}].value", m.Value);
            }
        }
    }

    private static void CheckRegex(Errors errors, string field, string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));
        }
        catch (ArgumentException e)
        {
            errors.Add(field, $"bad regular expression: {e.Message}");
        }
    }

    private static string Symbol(Comparison c) => c switch
    {
        Comparison.GreaterThan => ">",
        Comparison.GreaterOrEqual => ">=",
        Comparison.LessThan => "<",
        Comparison.LessOrEqual => "<=",
        Comparison.Equal => "==",
        _ => "!=",
    };

    private sealed class Errors
    {
        private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

        public void Add(string field, string message)
        {
            if (!_errors.TryGetValue(field, out var list))
            {
                _errors[field] = list = [];
            }

            list.Add(message);
        }

        public Dictionary<string, string[]> ToDictionary() =>
            _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
    }
}
