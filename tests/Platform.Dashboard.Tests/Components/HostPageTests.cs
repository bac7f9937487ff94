using Bunit;
using Platform.Dashboard.Components.Pages.Hosts;
using Platform.Dashboard.Services;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Tests.Components;

public class HostPageTests : DashboardTestContext
{
    [Fact]
    public void HostPage_DrawsEveryLiveChart_FromTheRings()
    {
        Batches.Feed(Model, Clock, "web-1", 60, i => i / 100.0);

        var page = Render<HostPage>(p => p.Add(x => x.HostId, "web-1"));

        Assert.Equal("web-1", page.Find("[data-testid=host-name]").TextContent);
        foreach (var chart in new[] { "cpu", "memory", "filesystems", "disk", "network", "load" })
        {
            var lines = page.FindAll($"[data-testid=chart-{chart}] polyline.series");
            Assert.True(lines.Count > 0, $"chart {chart} has no line");
        }

        Assert.Equal("60", page.Find("[data-testid=chart-cpu] polyline.series").GetAttribute("data-points"));
        Assert.Equal(2, page.FindAll("[data-testid=chart-filesystems] polyline.series").Count);
        Assert.Contains("Live", page.Find("[data-testid=range-status]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void HostPage_MovesTheCharts_OnTheDisplayTick()
    {
        Batches.Feed(Model, Clock, "web-1", 10, _ => 0.5);
        var page = Render<HostPage>(p => p.Add(x => x.HostId, "web-1"));
        Assert.Equal("10", page.Find("[data-testid=chart-cpu] polyline.series").GetAttribute("data-points"));

        Clock.Advance(TimeSpan.FromSeconds(1));
        Model.Apply(Batches.Host("web-1", Clock.Now, 0.6, sequence: 11));
        Ticker.Raise();

        page.WaitForAssertion(() => Assert.Equal("11", page.Find("[data-testid=chart-cpu] polyline.series").GetAttribute("data-points")));
    }

    [Fact]
    public void HostPage_DrawsRuleThresholds_OnTheCharts()
    {
        Batches.Feed(Model, Clock, "web-1", 5, _ => 0.5);
        Model.Alerts.ApplyRule("cpu-high", new AlertRule
        {
            Id = "cpu-high", Name = "CPU high", Severity = AlertSeverity.Critical,
            Metric = new MetricCondition { Name = SeriesNames.CpuUtilization, Threshold = 0.9, RecoveryThreshold = 0.8 },
        });

        var page = Render<HostPage>(p => p.Add(x => x.HostId, "web-1"));

        var threshold = Assert.Single(page.FindAll("[data-testid=chart-cpu] line.threshold"));
        Assert.Equal("0.9", threshold.GetAttribute("data-threshold"));
        Assert.Contains("CPU high", page.Find("[data-testid=chart-cpu]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=chart-memory] line.threshold"));
    }

    [Fact]
    public void HostPage_ListsContainersAndActiveAlerts()
    {
        Batches.Feed(Model, Clock, "web-1", 3, _ => 0.5, ("nginx", 0.25, 2e8), ("redis", 0.05, 5e7));
        Model.Alerts.ApplyRule("cpu-high", new AlertRule { Id = "cpu-high", Name = "CPU high", Metric = new MetricCondition { Name = SeriesNames.CpuUtilization, Threshold = 0.4 } });
        Model.Alerts.ApplyAlert(new AlertTransition
        {
            Fingerprint = "00000000000000aa", RuleId = "cpu-high", RuleName = "CPU high", Severity = AlertSeverity.Warning, State = AlertState.Firing,
            Labels = new Dictionary<string, string> { ["host"] = "web-1" }, Annotations = new Dictionary<string, string> { ["summary"] = "CPU at 50 %" },
            Value = 0.5, At = Clock.Now, FiredAt = Clock.Now,
        });

        var page = Render<HostPage>(p => p.Add(x => x.HostId, "web-1"));

        var containers = page.FindAll("[data-testid=host-containers] [data-testid=container-row]");
        Assert.Equal(2, containers.Count);
        Assert.Contains("nginx", containers[0].TextContent, StringComparison.Ordinal);
        var alert = Assert.Single(page.FindAll("[data-testid=alert-row]"));
        Assert.Contains("CPU at 50 %", alert.TextContent, StringComparison.Ordinal);
        Assert.Contains("firing", alert.TextContent, StringComparison.Ordinal);
        Assert.Equal("warning", page.Find("[data-testid=health]").GetAttribute("data-health"));
    }

    [Fact]
    public void HostPage_WaitsForTheHost_WhenUnknown()
    {
        var page = Render<HostPage>(p => p.Add(x => x.HostId, "later-1"));
        Assert.Contains("later-1", page.Find("[data-testid=host-unknown]").TextContent, StringComparison.Ordinal);

        Batches.Feed(Model, Clock, "later-1", 2, _ => 0.5);
        Ticker.Raise();
        page.WaitForAssertion(() => page.Find("[data-testid=chart-cpu]"));
    }

    [Fact]
    public void HostPage_RejectsCustomRange_ThatEndsBeforeItStarts()
    {
        Batches.Feed(Model, Clock, "web-1", 2, _ => 0.5);
        var page = Render<HostPage>(p => p.Add(x => x.HostId, "web-1"));

        ClickOn(page, "[data-testid=range-custom]");
        ChangeTo(page, "custom-from", "2026-11-25T10:00");
        ChangeTo(page, "custom-to", "2026-11-25T09:00");
        ClickOn(page, "[data-testid=custom-apply]");

        page.WaitForAssertion(() => Assert.Contains("must end after it starts", page.Find("[data-testid=range-error]").TextContent, StringComparison.Ordinal));
    }
}
