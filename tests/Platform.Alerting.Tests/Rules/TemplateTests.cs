using Platform.Alerting.Rules;

namespace Platform.Alerting.Tests.Rules;

public sealed class TemplateTests
{
    private static string? Lookup(string name) => name switch
    {
        "host" => "web-1",
        "value" => "0.9537",
        "mountpoint" => "/var",
        _ => null,
    };

    [Theory]
    [InlineData("CPU on {{host}}", "CPU on web-1")]
    [InlineData("{{ host }} {{value}}", "web-1 0.9537")]
    [InlineData("{{value|percent}} used", "95.4 % used")]
    [InlineData("{{value | round}}", "1")]
    [InlineData("{{labels.mountpoint}} full", "/var full")]
    [InlineData("{{mountpoint}} {{unknown}}!", "/var !")]
    [InlineData("no placeholders", "no placeholders")]
    [InlineData("unclosed {{host", "unclosed {{host")]
    public void Render_ReplacesPlaceholders(string template, string expected)
    {
        Assert.Equal(expected, Template.Render(template, Lookup));
    }

    [Theory]
    [InlineData("{{host}} ok", null)]
    [InlineData("{{host", "not closed")]
    [InlineData("{{value|upper}}", "unknown format")]
    [InlineData("{{ }}", "empty placeholder")]
    public void Check_ReportsSyntaxErrors(string template, string? problem)
    {
        var result = Template.Check(template);
        if (problem is null)
        {
            Assert.Null(result);
        }
        else
        {
            Assert.Contains(problem, result, StringComparison.Ordinal);
        }
    }
}
