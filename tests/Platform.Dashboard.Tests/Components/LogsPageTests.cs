using Bunit;
using Platform.Dashboard.Components.Pages.Logs;
using Platform.Dashboard.Services;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Tests.Components;

public class LogsPageTests : DashboardTestContext
{
    private static LogBatch Batch(string host, params (Severity Severity, string Source, string Message)[] lines)
    {
        var batch = new LogBatch { HostId = host, TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        foreach (var (severity, source, message) in lines)
        {
            batch.Records.Add(new LogRecord { TimestampUnixMs = batch.TimestampUnixMs, Severity = severity, Source = source, Message = message });
        }

        return batch;
    }

    private static string[] Messages(IRenderedComponent<LogsPage> page) =>
        page.FindAll("[data-testid=log-line] .log-msg").Select(e => e.TextContent).ToArray();

    [Fact]
    public void LogsPage_FiltersByHostSourceSeverityAndText_AndHighlightsMatches()
    {
        Logs.Apply(Batch("web-1", (Severity.Info, "/var/log/app.log", "started"), (Severity.Error, "/var/log/app.log", "payment FAILED for 42")));
        Logs.Apply(Batch("db-1", (Severity.Warn, "/var/log/pg.log", "slow query failed")));
        var page = Render<LogsPage>();
        Assert.Equal(["started", "payment FAILED for 42", "slow query failed"], Messages(page));

        TypeInto(page, "log-text", "failed");
        page.WaitForAssertion(() => Assert.Equal(["payment FAILED for 42", "slow query failed"], Messages(page)));
        Assert.Equal(["FAILED", "failed"], page.FindAll("[data-testid=log-match]").Select(m => m.TextContent).ToArray());

        TypeInto(page, "log-host", "db");
        page.WaitForAssertion(() => Assert.Equal(["slow query failed"], Messages(page)));

        TypeInto(page, "log-host", string.Empty);
        TypeInto(page, "log-source", "app.log");
        page.WaitForAssertion(() => Assert.Equal(["payment FAILED for 42"], Messages(page)));
    }

    [Fact]
    public void LogsPage_Paused_HoldsStill_UntilResumed()
    {
        Logs.Apply(Batch("web-1", (Severity.Info, "a", "one")));
        var page = Render<LogsPage>();
        ClickOn(page, "[data-testid=log-pause]");
        Logs.Apply(Batch("web-1", (Severity.Info, "a", "two")));
        Ticker.Raise();
        page.Render();
        Assert.Equal(["one"], Messages(page));
        ClickOn(page, "[data-testid=log-pause]");
        page.WaitForAssertion(() => Assert.Equal(["one", "two"], Messages(page)));
    }

    [Fact]
    public void LogsPage_Paused_AppliesFilterChanges_ToTheHeldLines()
    {
        Logs.Apply(Batch("web-1", (Severity.Info, "a", "one ok"), (Severity.Error, "a", "two failed")));
        var page = Render<LogsPage>();
        ClickOn(page, "[data-testid=log-pause]");
        Logs.Apply(Batch("web-1", (Severity.Error, "a", "three failed")));
        TypeInto(page, "log-text", "failed");
        // The filter narrows what was held; the line that came after the pause stays out.
        page.WaitForAssertion(() => Assert.Equal(["two failed"], Messages(page)));
        TypeInto(page, "log-text", string.Empty);
        page.WaitForAssertion(() => Assert.Equal(["one ok", "two failed"], Messages(page)));
    }

    [Fact]
    public void LogFilter_IsWhatTheApiAndThePageApply()
    {
        var line = new LogLine(1, "web-1", DateTimeOffset.UtcNow, "/var/log/app.log", Severity.Warn, "payment FAILED");
        Assert.True(new LogFilter("WEB", "app.log", Severity.Warn, "failed").Pass(line));
        Assert.False(new LogFilter("WEB", ExactHost: true).Pass(line));
        Assert.False(new LogFilter(MinSeverity: Severity.Error).Pass(line));
        Assert.False(new LogFilter(Source: "pg.log").Pass(line));
        Assert.True(LogFilter.TryParseSeverity("warn", out var warn) && warn == Severity.Warn);
        Assert.True(LogFilter.TryParseSeverity("any", out var any) && any == Severity.Unspecified);
        Assert.False(LogFilter.TryParseSeverity("loud", out _));
        Assert.False(LogFilter.TryParseSeverity("4", out _));
    }

    [Fact]
    public void LogTail_KeepsTheNewestLines_UpToItsCapacity()
    {
        for (var i = 0; i < LogTail.Capacity + 10; i++)
        {
            Logs.Apply(Batch("h", (Severity.Info, "s", "line " + i)));
        }

        var all = Logs.Newest(_ => true, int.MaxValue);
        Assert.Equal(LogTail.Capacity, all.Count);
        Assert.Equal("line 10", all[0].Message);
        Assert.Equal("line " + (LogTail.Capacity + 9), all[^1].Message);
    }

    [Fact]
    public void Highlight_CutsTheMessage_AroundEveryMatch()
    {
        Assert.Equal([("a ", false), ("X", true), (" b ", false), ("x", true)], LogsPage.Highlight("a X b x", "x").ToArray());
        Assert.Equal([("abc", false)], LogsPage.Highlight("abc", null).ToArray());
    }
}
