using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Dashboard.Components.Pages.Alerts;
using Platform.Dashboard.Components.Pages.Logs;
using Platform.Dashboard.Components.Pages.Rules;
using Platform.Dashboard.Services;
using Platform.Telemetry.Alerts;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Tests.Components;

/// <summary>The forms that operate alerting: every rule kind, the rule preview, maintenance windows, the jump to log lines.</summary>
public class OperateFormsTests : DashboardTestContext
{
    public OperateFormsTests()
    {
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        // No alerting here: API calls fail fast (the discard port refuses); the forms validate before calling it.
        Model.Options.AlertingUrl = "http://127.0.0.1:9/";
    }

    /// <summary>The text around a field: its label, and the helper or error text MudBlazor writes under it.</summary>
    private static string Beside<T>(IRenderedComponent<T> component, string testId)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        InputOf(component, testId).Closest(".mud-input-control")?.TextContent ?? throw new InvalidOperationException($"{testId} has no input control");

    private static AlertRule LogRule(string pattern = "payment failed") => new()
    {
        Id = "payment-errors",
        Name = "PaymentErrors",
        Kind = RuleKind.Log,
        Log = new LogCondition { Pattern = pattern, WindowSeconds = 60, MinCount = 2, IgnoreCase = true },
    };

    [Fact]
    public async Task RulesPage_EditsALogRule_WithTheValidatorsMessagesNextToTheFields()
    {
        Model.Alerts.ApplyRule("payment-errors", LogRule());
        var page = Render<RulesPage>();
        ClickOn(page, "[data-testid=rule-row][data-rule=payment-errors] [data-testid=edit-rule]");
        Assert.Equal("log", page.Find("[data-testid=rule-form]").GetAttribute("data-kind"));
        Assert.Equal("payment failed", InputOf(page, "field-pattern").GetAttribute("value"));
        Assert.Equal("2", InputOf(page, "field-min-count").GetAttribute("value"));

        await page.InvokeAsync(() => page.Find("input[data-testid=field-regex], [data-testid=field-regex] input").Change(true));
        TypeInto(page, "field-pattern", "payment (failed");
        TypeInto(page, "field-min-count", "0");
        ClickOn(page, "[data-testid=save-rule]");
        page.WaitForAssertion(() => Assert.Contains("bad regular expression", Beside(page, "field-pattern"), StringComparison.Ordinal));
        Assert.Contains("must be at least 1", Beside(page, "field-min-count"), StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=form-error]"));

        // The messages follow the edits once shown.
        TypeInto(page, "field-pattern", "payment (failed|declined)");
        page.WaitForAssertion(() => Assert.DoesNotContain("bad regular expression", Beside(page, "field-pattern"), StringComparison.Ordinal));
        Assert.Contains("must be at least 1", Beside(page, "field-min-count"), StringComparison.Ordinal);
    }

    [Fact]
    public void RulesPage_EditsAnAbsenceRule_AndAnUnknownMetricIsAFieldError()
    {
        Model.Alerts.ApplyRule("host-down", new AlertRule { Id = "host-down", Name = "HostDown", Kind = RuleKind.Absence, Absence = new AbsenceCondition { AfterSeconds = 120 } });
        var page = Render<RulesPage>();
        ClickOn(page, "[data-testid=rule-row][data-rule=host-down] [data-testid=edit-rule]");
        Assert.Equal("absence", page.Find("[data-testid=rule-form]").GetAttribute("data-kind"));
        Assert.Equal("120", InputOf(page, "field-after").GetAttribute("value"));
        TypeInto(page, "field-absence-metric", "no.such.metric");
        TypeInto(page, "field-matchers", "host=~db-[");
        ClickOn(page, "[data-testid=save-rule]");
        page.WaitForAssertion(() => Assert.Contains("unknown metric 'no.such.metric'", Beside(page, "field-absence-metric"), StringComparison.Ordinal));
        Assert.Contains("bad regular expression", Beside(page, "field-matchers"), StringComparison.Ordinal);
    }

    [Fact]
    public void RulesPage_Build_MakesEachKindOfRule_WithOnlyItsCondition()
    {
        var (log, errors) = RulesPage.Build(new RulesPage.RuleForm { Create = true, Id = "l", Name = "L", Kind = RuleKind.Log, Pattern = "panic", IsRegex = true, WindowSeconds = 30, MinCount = 3, Matchers = "source=~/var/log/.*" });
        Assert.Null(errors);
        Assert.Equal((RuleKind.Log, "panic", true, 30.0, 3), (log!.Kind, log.Log!.Pattern, log.Log.IsRegex, log.Log.WindowSeconds, log.Log.MinCount));
        Assert.Equal(MatchOperator.Regex, Assert.Single(log.Log.Matchers).Op);
        Assert.Null(log.Metric);

        var (absence, _) = RulesPage.Build(new RulesPage.RuleForm { Create = true, Id = "a", Name = "A", Kind = RuleKind.Absence, AfterSeconds = 90 });
        Assert.Equal((RuleKind.Absence, (string?)null, 90.0), (absence!.Kind, absence.Absence!.MetricName, absence.Absence.AfterSeconds));
        Assert.Null(absence.Log);

        var (_, bad) = RulesPage.Build(new RulesPage.RuleForm { Create = true, Id = "m", Name = "M", Threshold = "1", Matchers = "nonsense" });
        Assert.Contains("'nonsense' is not", Assert.Single(bad!.For("metric.matchers")), StringComparison.Ordinal);
    }

    [Fact]
    public void RulePreview_DrawsTheMetricOfTheMatchedHosts_WithThresholdAndRecoveryLines_AsTheFormChanges()
    {
        Batches.Feed(Model, Clock, "web-1", 30, i => 0.5 + (i / 100.0));
        Batches.Feed(Model, Clock, "db-1", 30, _ => 0.2);
        var page = Render<RulesPage>();
        ClickOn(page, "[data-testid=new-rule]");
        TypeInto(page, "field-metric", "system.cpu.utilization");
        TypeInto(page, "field-threshold", "0.8");
        TypeInto(page, "field-recovery", "0.7");

        page.WaitForAssertion(() => Assert.Equal("0.8", page.Find("[data-testid=preview-chart] line.threshold").GetAttribute("data-threshold")));
        Assert.Equal("0.7", page.Find("[data-testid=preview-chart] line.recovery").GetAttribute("data-recovery"));
        Assert.Equal(2, page.FindAll("[data-testid=preview-chart] polyline.series").Count);

        // Narrow to one host, move the threshold: the chart follows.
        TypeInto(page, "field-matchers", "host=web-1");
        TypeInto(page, "field-threshold", "0.6");
        page.WaitForAssertion(() => Assert.Equal("0.6", page.Find("[data-testid=preview-chart] line.threshold").GetAttribute("data-threshold")));
        page.WaitForAssertion(() => Assert.Equal("web-1", Assert.Single(page.FindAll("[data-testid=preview-chart] polyline.series")).GetAttribute("data-series")));
        Assert.Contains("1 series on 1 host", page.Find("[data-testid=preview-status]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void MaintenanceWindowForm_BuildsAWeeklyWindow_AndShowsFieldErrors()
    {
        var now = Batches.Start;
        var form = new MaintenanceWindows.WindowForm
        {
            Matchers = "host=~db-.*", Starts = "2026-11-25 10:00", Ends = "2026-12-31 00:00", Repeat = "weekly", StartTime = "02:00", DurationHours = "1.5", TimeZone = "Europe/Paris",
        };
        form.Days.Add(DayOfWeek.Sunday);
        form.Days.Add(DayOfWeek.Wednesday);
        var (window, errors) = MaintenanceWindows.Build(form, "ann", now);
        Assert.Null(errors);
        Assert.Equal(RecurrenceFrequency.Weekly, window!.Recurrence!.Frequency);
        Assert.Equal([DayOfWeek.Wednesday, DayOfWeek.Sunday], window.Recurrence.DaysOfWeek);
        Assert.Equal(5400, window.Recurrence.DurationSeconds);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero), window.StartsAt);
        Assert.Equal("weekly on Wed, Sun at 02:00 for 1.5 h (Europe/Paris), 11-25 10:00:00 → 12-31 00:00:00 UTC", MaintenanceWindows.Describe(window));

        var (_, bad) = MaintenanceWindows.Build(new MaintenanceWindows.WindowForm { Matchers = "db-1", Starts = "tomorrow", Ends = "2026-12-31 00:00", Repeat = "weekly", DurationHours = "two" }, "ann", now);
        Assert.NotEmpty(bad!.For("matchers"));
        Assert.NotEmpty(bad.For("startsAt"));
        Assert.Equal(["pick at least one day"], bad.For("recurrence.daysOfWeek"));
        Assert.NotEmpty(bad.For("recurrence.durationSeconds"));
    }

    [Fact]
    public void AlertsPage_MaintenanceForm_ShowsTheHostsTheMatchersCover_AndErrorsNextToFields()
    {
        Batches.Feed(Model, Clock, "db-1", 2, _ => 0.2);
        Batches.Feed(Model, Clock, "web-1", 2, _ => 0.2);
        var page = Render<AlertsPage>();
        TypeInto(page, "who", "ann");
        ClickOn(page, "[data-testid=new-window]");
        TypeInto(page, "window-matchers", "host=~db-.*");
        page.WaitForAssertion(() => Assert.Contains("covers 1 host: db-1", Beside(page, "window-matchers"), StringComparison.Ordinal));
        TypeInto(page, "window-ends", "soon");
        ClickOn(page, "[data-testid=save-window]");
        page.WaitForAssertion(() => Assert.Contains("'soon' is not a UTC time", Beside(page, "window-ends"), StringComparison.Ordinal));
    }

    [Fact]
    public void LogPattern_LinkFor_ALogRuleAlert_NamesHostPatternAndTheWindowThatFired()
    {
        var fired = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        var alert = AlertsPagesTests.Alert("f", AlertState.Firing) with { RuleId = "payment-errors", FiredAt = fired, ActiveSince = fired };
        var link = LogPattern.LinkFor(alert, LogRule("payment failed"));
        Assert.Equal($"/logs?host=web-1&pattern=payment%20failed&from={fired.AddSeconds(-65).ToUnixTimeMilliseconds()}&to={fired.AddSeconds(5).ToUnixTimeMilliseconds()}&rule=payment-errors&icase=true", link);
        Assert.Null(LogPattern.LinkFor(alert, new AlertRule { Id = "cpu", Name = "HighCpu", Kind = RuleKind.Metric, Metric = new MetricCondition { Name = "x", Threshold = 1 } }));
    }

    [Fact]
    public void AlertsPage_LinksALogRuleAlert_ToItsLines()
    {
        Model.Alerts.ApplyRule("payment-errors", LogRule());
        Model.Alerts.ApplyAlert(AlertsPagesTests.Alert("f", AlertState.Firing) with { RuleId = "payment-errors", RuleName = "PaymentErrors" });
        Model.Alerts.ApplyAlert(AlertsPagesTests.Alert("g", AlertState.Firing));
        var page = Render<AlertsPage>();
        var href = page.Find("[data-testid=alert-row][data-fingerprint=f] [data-testid=alert-lines]").GetAttribute("href");
        Assert.StartsWith("/logs?host=web-1&pattern=payment%20failed&from=", href, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=alert-row][data-fingerprint=g] [data-testid=alert-lines]"));
    }

    [Fact]
    public void LogsPage_WithARulesPattern_ShowsOnlyTheHostsMatchingLines_Highlighted()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var batch = new LogBatch { HostId = "web-1", TimestampUnixMs = now };
        batch.Records.Add(new LogRecord { TimestampUnixMs = now, Severity = Severity.Error, Source = "app.log", Message = "Payment FAILED for order 7" });
        batch.Records.Add(new LogRecord { TimestampUnixMs = now, Severity = Severity.Info, Source = "app.log", Message = "payment ok" });
        Logs.Apply(batch);
        var other = new LogBatch { HostId = "web-2", TimestampUnixMs = now };
        other.Records.Add(new LogRecord { TimestampUnixMs = now, Severity = Severity.Error, Source = "app.log", Message = "payment failed too" });
        Logs.Apply(other);

        var navigation = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        navigation.NavigateTo("/logs?host=web-1&pattern=payment%20f%5Cw%2B&regex=true&icase=true");
        var page = Render<LogsPage>();
        var line = Assert.Single(page.FindAll("[data-testid=log-line]"));
        Assert.Equal("true", line.GetAttribute("data-matched"));
        Assert.Equal("web-1", line.GetAttribute("data-host"));
        Assert.Equal("Payment FAILED", page.Find("[data-testid=log-match]").TextContent);
    }
}
