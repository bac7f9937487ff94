using System.Globalization;

namespace Platform.Telemetry.Alerts;

/// <summary>The annotations alerting adds to every alert of a log rule at firing time: what the rule counted when it
/// fired, so the lines that fired it can still be found after the rule was edited or deleted.</summary>
public static class LogRuleAnnotations
{
    /// <summary>The rule's pattern (a substring, or a regular expression when <see cref="Regex"/> is "true").</summary>
    public const string Pattern = "log.pattern";

    /// <summary>"true" when <see cref="Pattern"/> is a regular expression.</summary>
    public const string Regex = "log.regex";

    /// <summary>"true" when the pattern ignores case.</summary>
    public const string IgnoreCase = "log.ignoreCase";

    /// <summary>The window the rule counted over, in seconds (invariant culture).</summary>
    public const string WindowSeconds = "log.windowSeconds";

    /// <summary>Adds the condition's annotations to <paramref name="annotations"/>.</summary>
    public static void AddTo(IDictionary<string, string> annotations, LogCondition log)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        ArgumentNullException.ThrowIfNull(log);
        annotations[Pattern] = log.Pattern;
        annotations[Regex] = log.IsRegex ? "true" : "false";
        annotations[IgnoreCase] = log.IgnoreCase ? "true" : "false";
        annotations[WindowSeconds] = log.WindowSeconds.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>The condition an alert record carries, or null when it carries none (not a log rule's alert, or a
    /// record written before alerts carried it).</summary>
    public static LogCondition? From(IReadOnlyDictionary<string, string> annotations)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        if (!annotations.TryGetValue(Pattern, out var pattern)
            || !annotations.TryGetValue(WindowSeconds, out var window)
            || !double.TryParse(window, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return null;
        }

        return new LogCondition
        {
            Pattern = pattern,
            WindowSeconds = seconds,
            IsRegex = annotations.GetValueOrDefault(Regex) == "true",
            IgnoreCase = annotations.GetValueOrDefault(IgnoreCase) == "true",
        };
    }
}
