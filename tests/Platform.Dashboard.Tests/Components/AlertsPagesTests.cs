using Bunit;
using Platform.Dashboard.Components.Pages.Alerts;
using Platform.Dashboard.Components.Pages.Rules;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Tests.Components;

public class AlertsPagesTests : DashboardTestContext
{
    public AlertsPagesTests()
    {
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        // No alerting here: API calls fail fast (the discard port refuses) and the pages say so.
        Model.Options.AlertingUrl = "http://127.0.0.1:9/";
    }

    internal static AlertTransition Alert(string fingerprint, AlertState state, string host = "web-1", string? ackBy = null, AlertEvent ev = AlertEvent.Transition) => new()
    {
        Fingerprint = fingerprint,
        RuleId = "cpu",
        RuleName = "HighCpu",
        State = state,
        Event = ev,
        Severity = AlertSeverity.Warning,
        Labels = new Dictionary<string, string> { ["host"] = host, ["alertname"] = "HighCpu" },
        Value = 0.95,
        At = DateTimeOffset.UtcNow,
        FiredAt = state == AlertState.Firing ? DateTimeOffset.UtcNow : null,
        AcknowledgedBy = ackBy,
        AcknowledgedAt = ackBy is null ? null : DateTimeOffset.UtcNow,
    };

    [Fact]
    public void AlertsPage_ListsFiringAndPending_WithAcknowledgeOnlyWhenFiringAndNotAcknowledged()
    {
        Model.Alerts.ApplyAlert(Alert("a", AlertState.Firing));
        Model.Alerts.ApplyAlert(Alert("b", AlertState.Pending, "db-1"));
        Model.Alerts.ApplyAlert(Alert("c", AlertState.Firing, "web-2", ackBy: "ann"));
        Model.Alerts.ApplyAlert(Alert("d", AlertState.Resolved, "web-3"));

        var page = Render<AlertsPage>();
        var rows = page.FindAll("[data-testid=alert-row]");
        Assert.Equal(3, rows.Count);
        Assert.Equal("firing", rows[0].GetAttribute("data-state"));
        Assert.Contains("2 firing, 1 pending", page.Find("[data-testid=alert-counts]").TextContent, StringComparison.Ordinal);
        Assert.NotNull(page.Find("[data-testid=alert-row][data-fingerprint=a] [data-testid=ack]"));
        Assert.Empty(page.FindAll("[data-testid=alert-row][data-fingerprint=b] [data-testid=ack]"));
        Assert.Empty(page.FindAll("[data-testid=alert-row][data-fingerprint=c] [data-testid=ack]"));
        Assert.Contains("ann at", page.Find("[data-testid=alert-row][data-fingerprint=c] [data-testid=acknowledged]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void AlertsPage_Acknowledge_AsksForAName_BeforeCallingTheApi()
    {
        Render<MudBlazor.MudSnackbarProvider>();
        Model.Alerts.ApplyAlert(Alert("a", AlertState.Firing));
        var page = Render<AlertsPage>();
        ClickOn(page, "[data-testid=alert-row][data-fingerprint=a] [data-testid=ack]");
        var snackbar = Services.GetService<MudBlazor.ISnackbar>()!;
        page.WaitForAssertion(() => Assert.Contains(snackbar.ShownSnackbars, s => s.Message?.Contains("Enter your name", StringComparison.Ordinal) == true));
    }

    [Fact]
    public void AlertsPage_History_FiltersByText_NewestFirst()
    {
        Model.Alerts.ApplyAlert(Alert("a", AlertState.Pending, "web-1"));
        Model.Alerts.ApplyAlert(Alert("a", AlertState.Firing, "web-1"));
        Model.Alerts.ApplyAlert(Alert("b", AlertState.Firing, "db-1"));
        var page = Render<AlertsPage>();
        Assert.Equal(3, page.FindAll("[data-testid=history-row]").Count);
        TypeInto(page, "history-search", "db-");
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=history-row]")));
    }

    [Fact]
    public void AlertBook_RaisesFired_OnlyWhenAnAlertTurnsFiring()
    {
        var fired = new List<string>();
        Model.Alerts.Fired += a => fired.Add(a.Fingerprint);
        Model.Alerts.ApplyAlert(Alert("a", AlertState.Pending));
        Model.Alerts.ApplyAlert(Alert("a", AlertState.Firing));
        Model.Alerts.ApplyAlert(Alert("a", AlertState.Firing, ackBy: "ann", ev: AlertEvent.Acknowledged));
        Model.Alerts.ApplyAlert(Alert("a", AlertState.Firing, ev: AlertEvent.Notified));
        Assert.Equal(["a"], fired);
    }

    [Fact]
    public void RulesPage_ListsRules_WithTheirConditions()
    {
        Model.Alerts.ApplyRule("default-cpu-high", new AlertRule
        {
            Id = "default-cpu-high",
            Name = "HighCpu",
            Kind = RuleKind.Metric,
            Metric = new MetricCondition { Name = "system.cpu.utilization", Threshold = 0.9, RecoveryThreshold = 0.85, Aggregation = Aggregation.Avg, WindowSeconds = 60 },
            ForSeconds = 300,
        });
        var page = Render<RulesPage>();
        var row = page.Find("[data-testid=rule-row][data-rule=default-cpu-high]");
        Assert.Equal("true", row.GetAttribute("data-enabled"));
        Assert.Contains("avg(system.cpu.utilization, 60 s) > 0.9 (recovers at 0.85)", row.TextContent, StringComparison.Ordinal);
        Assert.NotNull(row.QuerySelector("[data-testid=edit-rule]"));
    }

    [Fact]
    public void RulesPage_ShowsAFieldError_WhenTheThresholdIsNotANumber()
    {
        var page = Render<RulesPage>();
        ClickOn(page, "[data-testid=new-rule]");
        TypeInto(page, "field-id", "r1");
        TypeInto(page, "field-threshold", "ninety");
        ClickOn(page, "[data-testid=save-rule]");
        page.WaitForAssertion(() => Assert.Contains("'ninety' is not a number", page.Find("[data-testid=rule-form]").TextContent, StringComparison.Ordinal));
        Assert.Contains("mud-input-error", page.Find("[data-testid=rule-form]").InnerHtml, StringComparison.Ordinal);
    }

    [Fact]
    public void RulesPage_Build_KeepsWhatTheFormDoesNotEdit_OnADefaultRule()
    {
        var original = new AlertRule
        {
            Id = "default-cpu-high",
            Name = "HighCpu",
            Kind = RuleKind.Metric,
            Metric = new MetricCondition { Name = "system.cpu.utilization", Threshold = 0.9, Matchers = [new LabelMatcher { Name = "cpu", Op = MatchOperator.NotRegex, Value = "[0-9]+" }] },
            GroupBy = ["host"],
        };
        var (rule, errors) = RulesPage.Build(new RulesPage.RuleForm
        {
            Original = original, Id = original.Id, Name = "HighCpu", Metric = "system.cpu.utilization", Threshold = "0.8", Recovery = "0.75",
        });
        Assert.Null(errors);
        Assert.Equal(0.8, rule!.Metric!.Threshold);
        Assert.Equal(0.75, rule.Metric.RecoveryThreshold);
        Assert.Single(rule.Metric.Matchers);
        Assert.Equal(["host"], rule.GroupBy);
    }

    [Fact]
    public void ParseMatchers_ReadsTheFourOperators_AndRejectsAPartWithoutOne()
    {
        var (matchers, error) = AlertsPage.ParseMatchers("host=web-1, alertname=~High.*, env!=dev, cpu!~[0-9]+");
        Assert.Null(error);
        Assert.Equal([MatchOperator.Equal, MatchOperator.Regex, MatchOperator.NotEqual, MatchOperator.NotRegex], matchers!.Select(m => m.Op).ToArray());
        Assert.Equal(["web-1", "High.*", "dev", "[0-9]+"], matchers!.Select(m => m.Value).ToArray());
        Assert.Contains("'web-1' is not", AlertsPage.ParseMatchers("web-1").Error, StringComparison.Ordinal);
        Assert.NotNull(AlertsPage.ParseMatchers(" ").Error);
    }

    [Fact]
    public void AlertsPage_NewSilence_WithABadMatcher_IsAFieldError()
    {
        var page = Render<AlertsPage>();
        TypeInto(page, "silence-matchers", "nonsense");
        ClickOn(page, "[data-testid=create-silence]");
        page.WaitForAssertion(() => Assert.Contains("'nonsense' is not name=value", page.Markup, StringComparison.Ordinal));
    }
}
