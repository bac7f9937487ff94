using Bunit;
using Platform.Dashboard.Components.Pages.Fleet;

namespace Platform.Dashboard.Tests.Components;

public class FleetPageTests : DashboardTestContext
{
    [Fact]
    public void FleetPage_ShowsEveryHostWithCounts_WhenHostsReport()
    {
        Batches.Feed(Model, Clock, "web-1", 30, i => 0.2);
        Batches.Feed(Model, Clock, "db-1", 30, i => 0.99);

        var page = Render<FleetPage>();

        Assert.Equal(2, page.FindAll("[data-testid=host-card]").Count);
        Assert.Contains("All 2", page.Find("[data-testid=count-all]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Critical 1", page.Find("[data-testid=count-critical]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Ok 1", page.Find("[data-testid=count-ok]").TextContent, StringComparison.Ordinal);
        var db = page.Find("[data-testid=host-card][data-host=db-1]");
        Assert.Contains("99 %", db.TextContent, StringComparison.Ordinal);
        Assert.Equal("critical", db.QuerySelector("[data-testid=health]")!.GetAttribute("data-health"));
        // The sparklines draw the last 5 minutes of CPU and memory.
        Assert.Equal(2, db.QuerySelectorAll("svg.sparkline polyline").Length);
        // Critical hosts come first.
        Assert.Equal("db-1", page.FindAll("[data-testid=host-card]")[0].GetAttribute("data-host"));
    }

    [Fact]
    public void FleetPage_PagesThroughEveryHost_BeyondOnePageOfCards()
    {
        for (var i = 0; i < 130; i++)
        {
            Batches.Feed(Model, Clock, $"h-{i:D3}", 1, _ => 0.1);
        }

        var page = Render<FleetPage>();
        Assert.Equal(120, page.FindAll("[data-testid=host-card]").Count);
        Assert.Contains("Hosts 1–120 of 130", page.Find("[data-testid=fleet-page-range]").TextContent, StringComparison.Ordinal);

        // The second page holds the other ten: every host is reachable.
        ClickOn(page, "[data-testid=fleet-pager] button[aria-label='Next page'], [data-testid=fleet-pager] .mud-pagination-item:last-child button");
        page.WaitForAssertion(() => Assert.Equal(10, page.FindAll("[data-testid=host-card]").Count));
        Assert.Contains("Hosts 121–130 of 130", page.Find("[data-testid=fleet-page-range]").TextContent, StringComparison.Ordinal);
        var shown = page.FindAll("[data-testid=host-card]").Select(c => c.GetAttribute("data-host")).ToList();
        Assert.DoesNotContain(shown, h => h is null);
    }

    [Fact]
    public void FleetPage_FiltersBySearch_AndByState()
    {
        Batches.Feed(Model, Clock, "web-1", 5, _ => 0.1);
        Batches.Feed(Model, Clock, "web-2", 5, _ => 0.9);
        Batches.Feed(Model, Clock, "db-1", 5, _ => 0.1);
        var page = Render<FleetPage>();

        TypeInto(page, "fleet-search", "web");
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=host-card]").Count));

        ClickOn(page, "[data-testid=count-warning]");
        page.WaitForAssertion(() => Assert.Equal("web-2", Assert.Single(page.FindAll("[data-testid=host-card]")).GetAttribute("data-host")));

        ClickOn(page, "[data-testid=count-silent]");
        page.WaitForAssertion(() => page.Find("[data-testid=fleet-none-match]"));
    }

    [Fact]
    public void FleetPage_ShowsSilentHosts_AfterTheyStopReporting()
    {
        Batches.Feed(Model, Clock, "web-1", 5, _ => 0.1);
        var page = Render<FleetPage>();
        Assert.Contains("Silent 0", page.Find("[data-testid=count-silent]").TextContent, StringComparison.Ordinal);

        Clock.Advance(TimeSpan.FromSeconds(30));
        Ticker.Raise();

        page.WaitForAssertion(() => Assert.Contains("Silent 1", page.Find("[data-testid=count-silent]").TextContent, StringComparison.Ordinal));
        Assert.Equal("silent", page.Find("[data-testid=health]").GetAttribute("data-health"));
    }

    [Fact]
    public void FleetPage_AddsNewHosts_OnTheDisplayTick()
    {
        var page = Render<FleetPage>();
        Assert.Contains("Connecting to the broker", page.Find("[data-testid=fleet-empty]").TextContent, StringComparison.Ordinal);

        Model.FeedConnected = true;
        Ticker.Raise();
        page.WaitForAssertion(() => Assert.Contains("Waiting for the first host", page.Find("[data-testid=fleet-empty]").TextContent, StringComparison.Ordinal));

        Batches.Feed(Model, Clock, "web-9", 3, _ => 0.3);
        Ticker.Raise();
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=host-card]")));
    }

    [Fact]
    public void FleetPage_ShowsTable_WhenToggled()
    {
        Batches.Feed(Model, Clock, "web-1", 5, _ => 0.1);
        var page = Render<FleetPage>();
        ClickOn(page, "[data-testid=view-toggle]");
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=fleet-row]")));
        Assert.Contains("env=dev", page.Find("[data-testid=fleet-row]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FleetPage_FiltersByLabel()
    {
        Batches.Feed(Model, Clock, "web-1", 3, _ => 0.1);
        Batches.Feed(Model, Clock, "db-1", 3, _ => 0.1);
        Batches.Feed(Model, Clock, "db-2", 3, _ => 0.1);
        var page = Render<FleetPage>();
        var select = page.FindComponent<MudBlazor.MudSelect<string>>();

        await page.InvokeAsync(() => select.Instance.SelectOption("env=prod"));

        page.WaitForAssertion(() => Assert.Equal(["db-1", "db-2"], page.FindAll("[data-testid=host-card]").Select(c => c.GetAttribute("data-host")).Order(StringComparer.Ordinal)));
    }
}
