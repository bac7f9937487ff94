using Bunit;
using Platform.Dashboard.Components.Layout;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Tests.Components;

public class MainLayoutTests : DashboardTestContext
{
    public MainLayoutTests()
        : base(withPopoverProvider: false)
    {
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public void MainLayout_TogglesTheTheme()
    {
        var layout = Render<MainLayout>(p => p.Add(x => x.Body, (Microsoft.AspNetCore.Components.RenderFragment)(b => b.AddContent(0, "body"))));
        Assert.Equal("dark", layout.Find("[data-testid=theme-toggle]").GetAttribute("data-theme"));

        ClickOn(layout, "[data-testid=theme-toggle]");

        layout.WaitForAssertion(() => Assert.Equal("light", layout.Find("[data-testid=theme-toggle]").GetAttribute("data-theme")));
    }

    [Fact]
    public void MainLayout_BellCountsFiringAlerts_Live()
    {
        var layout = Render<MainLayout>();
        Assert.Equal("0", layout.Find("[data-testid=bell]").GetAttribute("data-count"));
        Model.Alerts.ApplyAlert(AlertsPagesTests.Alert("a", AlertState.Firing));
        Model.Alerts.ApplyAlert(AlertsPagesTests.Alert("b", AlertState.Firing, "web-2"));
        Ticker.Raise();
        layout.WaitForAssertion(() => Assert.Equal("2", layout.Find("[data-testid=bell]").GetAttribute("data-count")));
    }
}
