using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Components.Pages.Alerts;

/// <summary>
/// What the history's search box asks for. <c>name=value</c> is a label equality; a bare word that is a rule's id or
/// name (any case) is that rule; one that is a host id this dashboard knows is that host. Those three go to alerting's
/// history API as its <c>label</c>, <c>rule</c> and <c>host</c> filters, so the whole range is searched. Any other text
/// (part of a name, an unknown host) filters the records the API answered without a filter (the newest 500) by substring.
/// </summary>
internal sealed record HistorySearch(string? Rule = null, string? Host = null, string? Label = null, string? Text = null)
{
    public static HistorySearch None { get; } = new();

    /// <summary>Whether the search is sent to the history API (rather than applied to its unfiltered answer).</summary>
    public bool ServerSide => Rule is not null || Host is not null || Label is not null;

    public static HistorySearch Parse(string? input, IEnumerable<AlertRule> rules, Func<string, bool> isHost)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(isHost);
        var text = input?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return None;
        }

        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals > 0 && equals < text.Length - 1 && !text.Contains(' ', StringComparison.Ordinal))
        {
            return new HistorySearch(Label: text);
        }

        var rule = rules.FirstOrDefault(r => string.Equals(r.Id, text, StringComparison.Ordinal))
            ?? rules.FirstOrDefault(r => string.Equals(r.Name, text, StringComparison.OrdinalIgnoreCase));
        if (rule is not null)
        {
            return new HistorySearch(Rule: rule.Id);
        }

        return isHost(text) ? new HistorySearch(Host: text) : new HistorySearch(Text: text);
    }

    public bool Matches(AlertTransition record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (Rule is not null)
        {
            return string.Equals(record.RuleId, Rule, StringComparison.Ordinal);
        }

        if (Host is not null)
        {
            return string.Equals(record.Labels.GetValueOrDefault("host"), Host, StringComparison.Ordinal);
        }

        if (Label is not null)
        {
            var equals = Label.IndexOf('=', StringComparison.Ordinal);
            return string.Equals(record.Labels.GetValueOrDefault(Label[..equals]), Label[(equals + 1)..], StringComparison.Ordinal);
        }

        return Text is null || record.RuleName.Contains(Text, StringComparison.OrdinalIgnoreCase)
            || record.Labels.Any(l => l.Value.Contains(Text, StringComparison.OrdinalIgnoreCase));
    }
}
