using Bunit;
using Platform.Dashboard.Components.Pages.Containers;

namespace Platform.Dashboard.Tests.Components;

public class ContainersPageTests : DashboardTestContext
{
    private static string[] Names(IRenderedComponent<ContainersPage> page) =>
        page.FindAll("[data-testid=container-row]").Select(r => r.GetAttribute("data-container")!).ToArray();

    [Fact]
    public void ContainersPage_SortsAcrossHosts_ByCpuAndMemory()
    {
        Batches.Feed(Model, Clock, "web-1", 2, _ => 0.5, ("nginx", 0.30, 1e8), ("cache", 0.05, 9e8));
        Batches.Feed(Model, Clock, "db-1", 2, _ => 0.5, ("postgres", 0.60, 4e8));

        var page = Render<ContainersPage>();
        Assert.Equal(["postgres", "nginx", "cache"], Names(page));
        Assert.Contains("3 containers on 2 hosts", page.Find("[data-testid=container-count]").TextContent, StringComparison.Ordinal);

        ClickOn(page, "[data-testid=sort-memory]");
        page.WaitForAssertion(() => Assert.Equal(["cache", "postgres", "nginx"], Names(page)));

        ClickOn(page, "[data-testid=sort-memory]");
        page.WaitForAssertion(() => Assert.Equal(["nginx", "postgres", "cache"], Names(page)));

        ClickOn(page, "[data-testid=sort-cpu]");
        page.WaitForAssertion(() => Assert.Equal(["postgres", "nginx", "cache"], Names(page)));
    }

    [Fact]
    public void ContainersPage_FiltersBySearch()
    {
        Batches.Feed(Model, Clock, "web-1", 2, _ => 0.5, ("nginx", 0.30, 1e8), ("cache", 0.05, 9e8));
        var page = Render<ContainersPage>();
        TypeInto(page, "container-search", "ngi");
        page.WaitForAssertion(() => Assert.Equal(["nginx"], Names(page)));
    }

    [Fact]
    public void ContainersPage_SaysSo_WhenNoContainers()
    {
        var page = Render<ContainersPage>();
        Assert.Contains("No host has reported yet", page.Find("[data-testid=containers-empty]").TextContent, StringComparison.Ordinal);
    }
}
