using Bunit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Dashboard.Components.Pages.Alerts;
using Platform.Dashboard.Services;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Tests.Components;

/// <summary>
/// The Alerts page's history comes from alerting's <c>GET /api/alerts/history</c>. Alerting's endpoint is served here by
/// a minimal web host answering that contract (filters in the query string, a JSON array of alert records newest first),
/// so the test sees exactly what the page asks and shows what the API answers.
/// </summary>
public sealed class AlertHistoryTests : DashboardTestContext
{
    private readonly List<IQueryCollection> _queries = [];

    public AlertHistoryTests() =>
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));

    /// <summary>Serves the history endpoint on 127.0.0.1 and points the page's API client at it.</summary>
    private async Task<WebApplication> StartHistoryApiAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var api = builder.Build();
        api.MapGet("/api/alerts/history", (HttpRequest request) =>
        {
            lock (_queries)
            {
                _queries.Add(request.Query);
            }

            var old = AlertsPagesTests.Alert("old", AlertState.Resolved, "db-9") with { At = DateTimeOffset.UtcNow.AddDays(-3), RuleName = "FromTheLog" };
            return Results.Json(new List<AlertTransition> { old }, AlertCodec.Json.ListAlertTransition);
        });
        await api.StartAsync();
        Model.Options.AlertingUrl = api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return api;
    }

    [Fact]
    public async Task History_IsWhatTheHistoryApiAnswers_ForTheChosenStateAndRange()
    {
        await using var api = await StartHistoryApiAsync();
        var page = Render<AlertsPage>();
        // A record three days old that this dashboard never read: it comes from the API.
        page.WaitForAssertion(() => Assert.Contains("FromTheLog", page.Find("[data-testid=alert-history]").TextContent, StringComparison.Ordinal));
        Assert.Contains("alerting's history API", page.Find("[data-testid=history-source]").TextContent, StringComparison.Ordinal);
        IQueryCollection first;
        lock (_queries)
        {
            first = _queries[0];
        }

        // The default range is the last 24 h, every state, at most 500 records.
        var from = DateTimeOffset.Parse(first["from"]!, System.Globalization.CultureInfo.InvariantCulture);
        var to = DateTimeOffset.Parse(first["to"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromHours(24), to - from);
        Assert.Equal("500", first["limit"]);
        Assert.False(first.ContainsKey("state"));

        // A live record newer than the API's newest is shown on top of it.
        Model.Alerts.ApplyAlert(AlertsPagesTests.Alert("new", AlertState.Firing, "web-7"));
        page.Render();
        Assert.Equal(["new", "old"], page.FindAll("[data-testid=history-row]").Select(r => r.QuerySelectorAll("td")[4].TextContent == "web-7" ? "new" : "old").ToArray());
    }

    [Fact]
    public async Task History_SendsTheSearchToTheHistoryApi_AsLabelRuleOrHost()
    {
        await using var api = await StartHistoryApiAsync();
        Model.Alerts.ApplyRule("cpu-high", new AlertRule { Id = "cpu-high", Name = "HighCpu", Kind = RuleKind.Metric, Metric = new MetricCondition { Name = "system.cpu.utilization", Threshold = 0.9 } });
        var page = Render<AlertsPage>();
        page.WaitForAssertion(() => Assert.Contains("FromTheLog", page.Find("[data-testid=alert-history]").TextContent, StringComparison.Ordinal));

        IQueryCollection? Last()
        {
            lock (_queries)
            {
                return _queries.Count > 0 ? _queries[^1] : null;
            }
        }

        // name=value is a label filter of the API, so the whole range is searched, not the newest 500.
        TypeInto(page, "history-search", "team=db");
        page.WaitForAssertion(() => Assert.Equal("team=db", (string?)Last()?["label"]), TimeSpan.FromSeconds(10));
        Assert.Equal("500", Last()!["limit"]);
        page.WaitForAssertion(() => Assert.Contains("searched there", page.Find("[data-testid=history-source]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(10));

        // A rule's name is that rule's id.
        TypeInto(page, "history-search", "highcpu");
        page.WaitForAssertion(() => Assert.Equal("cpu-high", (string?)Last()?["rule"]), TimeSpan.FromSeconds(10));
        Assert.False(Last()!.ContainsKey("label"));

        // Other text filters the unfiltered answer: the API is asked again without a filter.
        TypeInto(page, "history-search", "db-");
        page.WaitForAssertion(() =>
        {
            var last = Last()!;
            Assert.False(last.ContainsKey("rule") || last.ContainsKey("label") || last.ContainsKey("host"));
            Assert.Contains("FromTheLog", page.Find("[data-testid=alert-history]").TextContent, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void HistorySearch_ParsesLabelRuleHostOrText()
    {
        AlertRule[] rules = [new AlertRule { Id = "cpu-high", Name = "HighCpu" }];
        Assert.Equal(new HistorySearch(Label: "team=db"), HistorySearch.Parse(" team=db ", rules, _ => false));
        Assert.Equal(new HistorySearch(Rule: "cpu-high"), HistorySearch.Parse("cpu-high", rules, _ => false));
        Assert.Equal(new HistorySearch(Rule: "cpu-high"), HistorySearch.Parse("HIGHCPU", rules, _ => false));
        Assert.Equal(new HistorySearch(Host: "web-1"), HistorySearch.Parse("web-1", rules, h => h == "web-1"));
        Assert.Equal(new HistorySearch(Text: "web"), HistorySearch.Parse("web", rules, h => h == "web-1"));
        Assert.Equal(new HistorySearch(Text: "=db"), HistorySearch.Parse("=db", rules, _ => false));
        Assert.Same(HistorySearch.None, HistorySearch.Parse("  ", rules, _ => false));
        var record = AlertsPagesTests.Alert("x", AlertState.Firing, "web-1");
        Assert.True(new HistorySearch(Host: "web-1").Matches(record));
        Assert.False(new HistorySearch(Host: "web").Matches(record));
        Assert.True(new HistorySearch(Text: "web").Matches(record));
    }

    [Fact]
    public void HistoryQuery_EscapesEachFilter()
    {
        var path = new AlertHistoryQuery("firing", "cpu", "web-1", "team=db", new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero), null, 50).ToPath();
        Assert.Equal("api/alerts/history?state=firing&rule=cpu&host=web-1&label=team%3Ddb&from=2026-12-07T10%3A00%3A00.0000000%2B00%3A00&limit=50", path);
    }
}
