using Bunit;
using Platform.Dashboard.Components.Shared;
using Platform.Dashboard.Services;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Tests.Components;

public class SharedComponentTests : DashboardTestContext
{
    [Fact]
    public void TimeChart_DrawsOneLinePerSeries_AndThresholdsWithinScale()
    {
        var points = Enumerable.Range(0, 10).Select(i => new Point(i * 1000, i * 10.0)).ToList();
        var chart = Render<TimeChart>(p => p
            .Add(x => x.Title, "Load")
            .Add(x => x.From, 0)
            .Add(x => x.To, 9000)
            .Add(x => x.Series, [new ChartSeries("1m", points), new ChartSeries("5m", points.Take(5).ToList())])
            .Add(x => x.Thresholds, [new Threshold("high", AlertSeverity.Warning, 80, null)]));

        Assert.Equal(2, chart.FindAll("polyline.series").Count);
        Assert.Single(chart.FindAll("line.threshold"));
        // 90 * 1.05 rounds up to a nice 100: the axis' top label.
        Assert.Contains(chart.FindAll("text"), t => t.TextContent == "100");
        Assert.Contains("1m", chart.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void TimeChart_SaysNoData_WhenSeriesEmpty()
    {
        var chart = Render<TimeChart>(p => p.Add(x => x.Title, "CPU").Add(x => x.From, 0).Add(x => x.To, 1000).Add(x => x.Series, [new ChartSeries("cpu", [])]));
        Assert.Contains("No data in this range", chart.Markup, StringComparison.Ordinal);
        Assert.Empty(chart.FindAll("polyline"));
    }

    [Fact]
    public void LiveIndicator_ShowsFeedState()
    {
        var indicator = Render<LiveIndicator>();
        Assert.Equal("down", indicator.Find("[data-testid=live-indicator]").GetAttribute("data-state"));

        Model.FeedConnected = true;
        Ticker.Raise();
        indicator.WaitForAssertion(() => Assert.Equal("stale", indicator.Find("[data-testid=live-indicator]").GetAttribute("data-state")));

        Batches.Feed(Model, Clock, "h", 1, _ => 0.1);
        Ticker.Raise();
        indicator.WaitForAssertion(() => Assert.Equal("ok", indicator.Find("[data-testid=live-indicator]").GetAttribute("data-state")));
        Assert.Contains("Live", indicator.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_WritesUnits()
    {
        Assert.Equal("42 %", Format.Percent(0.42));
        Assert.Equal("1.5 KiB", Format.Bytes(1536));
        Assert.Equal("2.0 MiB/s", Format.BytesPerSecond(2 * 1024 * 1024));
        Assert.Equal("–", Format.Percent(null));
        Assert.Equal(250, ChartGeometry.NiceMax(210));
    }
}
