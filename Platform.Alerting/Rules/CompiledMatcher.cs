using System.Text.RegularExpressions;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Rules;

/// <summary>A <see cref="LabelMatcher"/> ready to run: regular expressions are compiled once, anchored as in Prometheus.</summary>
internal sealed class CompiledMatcher
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(50);
    private readonly Regex? _regex;

    public CompiledMatcher(LabelMatcher matcher)
    {
        ArgumentNullException.ThrowIfNull(matcher);
        Name = matcher.Name;
        Op = matcher.Op;
        Value = matcher.Value;
        if (matcher.Op is MatchOperator.Regex or MatchOperator.NotRegex)
        {
            _regex = new Regex("^(?:" + matcher.Value + ")$", RegexOptions.CultureInvariant, RegexTimeout);
        }
    }

    public string Name { get; }

    public MatchOperator Op { get; }

    public string Value { get; }

    /// <summary>Matches a label value (null = the label is absent, which matches like the empty string).</summary>
    public bool Matches(string? value)
    {
        value ??= string.Empty;
        return Op switch
        {
            MatchOperator.Equal => string.Equals(value, Value, StringComparison.Ordinal),
            MatchOperator.NotEqual => !string.Equals(value, Value, StringComparison.Ordinal),
            MatchOperator.Regex => SafeMatch(value),
            MatchOperator.NotRegex => !SafeMatch(value),
            _ => false,
        };
    }

    private bool SafeMatch(string value)
    {
        try
        {
            return _regex!.IsMatch(value);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    public static CompiledMatcher[] CompileAll(IReadOnlyList<LabelMatcher>? matchers)
    {
        if (matchers is null || matchers.Count == 0)
        {
            return [];
        }

        var result = new CompiledMatcher[matchers.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = new CompiledMatcher(matchers[i]);
        }

        return result;
    }

    /// <summary>True when every matcher matches the labels.</summary>
    public static bool MatchAll(CompiledMatcher[] matchers, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var m in matchers)
        {
            labels.TryGetValue(m.Name, out var v);
            if (!m.Matches(v))
            {
                return false;
            }
        }

        return true;
    }
}
