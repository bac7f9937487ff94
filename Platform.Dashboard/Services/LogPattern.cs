using System.Globalization;
using System.Text.RegularExpressions;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Services;

/// <summary>A log rule's pattern as the logs page applies it: a substring or a regular expression, optionally ignoring
/// case (as alerting counts lines), and the parts of a line it matches for highlighting.</summary>
public sealed class LogPattern
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(50);
    private readonly Regex _regex;

    /// <exception cref="ArgumentException">The pattern is empty, or not a valid regular expression.</exception>
    public LogPattern(string pattern, bool isRegex, bool ignoreCase)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        Pattern = pattern;
        IsRegex = isRegex;
        IgnoreCase = ignoreCase;
        var options = RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        _regex = new Regex(isRegex ? pattern : Regex.Escape(pattern), options, Timeout);
    }

    public string Pattern { get; }

    public bool IsRegex { get; }

    public bool IgnoreCase { get; }

    public bool IsMatch(string message)
    {
        try
        {
            return _regex.IsMatch(message);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>The message cut into parts, each marked whether the pattern matched it.</summary>
    public IEnumerable<(string Part, bool Match)> Split(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        MatchCollection matches;
        try
        {
            matches = _regex.Matches(message);
            _ = matches.Count;
        }
        catch (RegexMatchTimeoutException)
        {
            return [(message, false)];
        }

        var parts = new List<(string, bool)>();
        var at = 0;
        foreach (Match m in matches)
        {
            if (m.Length == 0)
            {
                continue;
            }

            if (m.Index > at)
            {
                parts.Add((message[at..m.Index], false));
            }

            parts.Add((m.Value, true));
            at = m.Index + m.Length;
        }

        if (at < message.Length)
        {
            parts.Add((message[at..], false));
        }

        return parts;
    }

    /// <summary>
    /// The logs page address showing the lines that made a log-rule alert fire: its host, the rule's pattern and the
    /// window the rule counted before it fired (from the window's start before the condition began, to the firing, with
    /// a little slack either side for clocks), as the alert record carries them (<see cref="LogRuleAnnotations"/>), else
    /// from <paramref name="rule"/> as it is now; null when the alert is not of a log rule.
    /// </summary>
    public static string? LinkFor(AlertTransition alert, AlertRule? rule)
    {
        ArgumentNullException.ThrowIfNull(alert);
        // What the alert record carries wins: the rule may have been edited or deleted since it fired.
        var log = LogRuleAnnotations.From(alert.Annotations) ?? (rule is { Kind: RuleKind.Log, Log: { } current } ? current : null);
        if (log is null || alert.Labels.GetValueOrDefault("host") is not { Length: > 0 } host)
        {
            return null;
        }

        var end = (alert.FiredAt ?? alert.At).AddSeconds(5);
        var start = (alert.ActiveSince ?? alert.FiredAt ?? alert.At).AddSeconds(-log.WindowSeconds - 5);
        var query = new List<string>
        {
            "host=" + Uri.EscapeDataString(host),
            "pattern=" + Uri.EscapeDataString(log.Pattern),
            "from=" + start.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            "to=" + end.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            "rule=" + Uri.EscapeDataString(alert.RuleId),
        };
        if (log.IsRegex)
        {
            query.Add("regex=true");
        }

        if (log.IgnoreCase)
        {
            query.Add("icase=true");
        }

        return "/logs?" + string.Join("&", query);
    }
}
