using System.Text.Json.Serialization;

namespace Platform.Telemetry.Alerts;

/// <summary>How a <see cref="LabelMatcher"/> compares a label's value; JSON: "=", "!=", "=~", "!~".</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MatchOperator>))]
public enum MatchOperator
{
    /// <summary>The label equals the value (a missing label is the empty string).</summary>
    [JsonStringEnumMemberName("=")] Equal,

    /// <summary>The label differs from the value.</summary>
    [JsonStringEnumMemberName("!=")] NotEqual,

    /// <summary>The whole label value matches the regular expression (anchored, as in Prometheus).</summary>
    [JsonStringEnumMemberName("=~")] Regex,

    /// <summary>The whole label value does not match the regular expression.</summary>
    [JsonStringEnumMemberName("!~")] NotRegex,
}

/// <summary>A condition on one label, e.g. <c>{ "name": "mountpoint", "op": "!~", "value": "/snap/.*" }</c>.
/// The pseudo-labels <c>host</c> (the host id) and <c>alertname</c> (the rule name) can be matched too.</summary>
public sealed record LabelMatcher
{
    public required string Name { get; init; }

    public MatchOperator Op { get; set; } = MatchOperator.Equal;

    public required string Value { get; init; }
}
