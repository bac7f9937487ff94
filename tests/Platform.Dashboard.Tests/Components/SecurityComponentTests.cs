using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Alerting.Security;
using Platform.Dashboard.Components.Layout;
using Platform.Dashboard.Components.Pages.Account;
using Platform.Dashboard.Components.Pages.Alerts;
using Platform.Dashboard.Components.Pages.Rules;
using Platform.Dashboard.Security;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Tests.Components;

public class SecurityComponentTests : DashboardTestContext
{
    public SecurityComponentTests()
        : base(withPopoverProvider: false)
    {
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        Model.Options.AlertingUrl = "http://127.0.0.1:9/";
        Model.Options.AlertingInProcess = true;
    }

    [Fact]
    public void LoginForm_ShowsTheError_OnAWrongPassword()
    {
        var attempts = new List<(string, string)>();
        var form = Render<LoginForm>(p => p.Add(x => x.SignIn, m =>
        {
            attempts.Add((m.UserName, m.Password));
            return Task.FromResult<string?>(LoginService.WrongCredentials);
        }));

        form.Find("[data-testid=login-user]").Change("ann");
        form.Find("[data-testid=login-password]").Change("not it");
        form.Find("form").Submit();

        form.WaitForAssertion(() => Assert.Equal(LoginService.WrongCredentials, form.Find("[data-testid=login-error]").TextContent.Trim()));
        Assert.Equal([("ann", "not it")], attempts);
        Assert.Equal(string.Empty, form.Find("[data-testid=login-password]").GetAttribute("value") ?? string.Empty);
    }

    [Fact]
    public void LoginForm_AsksForThePassword_WithoutTryingToSignIn()
    {
        var tried = false;
        var form = Render<LoginForm>(p => p.Add(x => x.SignIn, _ =>
        {
            tried = true;
            return Task.FromResult<string?>(null);
        }));

        form.Find("[data-testid=login-user]").Change("ann");
        form.Find("form").Submit();

        form.WaitForAssertion(() => Assert.Contains("Enter your password.", form.Markup, StringComparison.Ordinal));
        Assert.False(tried);
    }

    [Fact]
    public void MainLayout_ShowsTheSecurityOffBanner_WhenSecurityIsOff()
    {
        var layout = Render<MainLayout>();
        Assert.Contains("anyone who can reach this address can change rules", layout.Find("[data-testid=security-off-banner]").TextContent, StringComparison.Ordinal);
        Assert.Empty(layout.FindAll("[data-testid=sign-out]"));
    }

    [Fact]
    public void RulesPage_HidesSaveNewAndDelete_FromAViewer()
    {
        AsViewer();
        Model.Alerts.ApplyRule("r1", Rule("r1"));
        var page = Render<RulesPage>();
        Assert.Empty(page.FindAll("[data-testid=new-rule]"));
        Assert.Empty(page.FindAll("[data-testid=delete-rule]"));
        Assert.True(InputOf(page, "rule-enabled").HasAttribute("disabled"));

        // The viewer may open a rule to read it, but not save it.
        ClickOn(page, "[data-testid=edit-rule]");
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=rule-form]")));
        Assert.Empty(page.FindAll("[data-testid=save-rule]"));
        Assert.Empty(page.FindAll("[data-testid=backtest]"));
    }

    [Fact]
    public void RulesPage_ShowsSave_ToAnAdmin()
    {
        Authorization.SetRoles(PlatformRoles.Admin);
        Model.Alerts.ApplyRule("r1", Rule("r1"));
        var page = Render<RulesPage>();
        ClickOn(page, "[data-testid=edit-rule]");
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=save-rule]")));
    }

    [Fact]
    public void AlertsPage_HidesAcknowledgeAndSilence_FromAViewer()
    {
        AsViewer();
        Model.Alerts.ApplyAlert(AlertsPagesTests.Alert("a", AlertState.Firing));
        var page = Render<AlertsPage>();
        Assert.NotEmpty(page.FindAll("[data-testid=alert-row]"));
        Assert.Empty(page.FindAll("[data-testid=ack]"));
        Assert.Empty(page.FindAll("[data-testid=silence]"));
        Assert.Empty(page.FindAll("[data-testid=create-silence]"));
    }

    [Fact]
    public void MaintenanceWindows_HidesScheduleEditAndExpire_FromAViewer_ButListsTheWindow()
    {
        AsViewer();
        var window = new Silence
        {
            Id = MaintenanceWindows.IdPrefix + "patching",
            Matchers = [new LabelMatcher { Name = "host", Op = MatchOperator.Equal, Value = "web-1" }],
            StartsAt = DateTimeOffset.UtcNow.AddHours(1),
            EndsAt = DateTimeOffset.UtcNow.AddHours(2),
            CreatedBy = "ann",
        };
        var panel = Render<MaintenanceWindows>(p => p.Add(c => c.Windows, [window]));
        Assert.Contains("ann", panel.Markup, StringComparison.Ordinal);
        Assert.Empty(panel.FindAll("[data-testid=new-window]"));
        Assert.Empty(panel.FindAll("[data-testid=edit-window]"));
        Assert.Empty(panel.FindAll("[data-testid=expire-window]"));
    }

    [Fact]
    public void MaintenanceWindows_OffersScheduleEditAndExpire_ToAnOperator()
    {
        Authorization.SetAuthorized("otto");
        Authorization.SetRoles(PlatformRoles.Operator);
        Authorization.SetPolicies(PlatformPolicies.View, PlatformPolicies.Operate);
        var window = new Silence
        {
            Id = MaintenanceWindows.IdPrefix + "patching",
            Matchers = [new LabelMatcher { Name = "host", Op = MatchOperator.Equal, Value = "web-1" }],
            StartsAt = DateTimeOffset.UtcNow.AddHours(1),
            EndsAt = DateTimeOffset.UtcNow.AddHours(2),
        };
        var panel = Render<MaintenanceWindows>(p => p.Add(c => c.Windows, [window]));
        Assert.NotNull(panel.Find("[data-testid=new-window]"));
        Assert.NotNull(panel.Find("[data-testid=edit-window]"));
        Assert.NotNull(panel.Find("[data-testid=expire-window]"));
    }

    internal static void AsViewer(Bunit.TestDoubles.BunitAuthorizationContext authorization)
    {
        authorization.SetAuthorized("vic");
        authorization.SetRoles(PlatformRoles.Viewer);
        authorization.SetPolicies(PlatformPolicies.View);
    }

    private void AsViewer()
    {
        Authorization.SetAuthorized("vic");
        Authorization.SetRoles(PlatformRoles.Viewer);
        Authorization.SetPolicies(PlatformPolicies.View);
    }

    private static AlertRule Rule(string id) => new()
    {
        Id = id,
        Name = "HighCpu",
        Kind = RuleKind.Metric,
        Metric = new MetricCondition { Name = "system.cpu.utilization", Threshold = 0.9, Aggregation = Aggregation.Avg, WindowSeconds = 60 },
        ForSeconds = 60,
    };
}

public class SecureLayoutTests : DashboardTestContext
{
    public SecureLayoutTests()
        : base(withPopoverProvider: false, secure: true)
    {
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public void MainLayout_HasNoBanner_AndOffersSignOut_WhenSecurityIsOn()
    {
        SecurityComponentTests.AsViewer(Authorization);
        var layout = Render<MainLayout>();
        Assert.Empty(layout.FindAll("[data-testid=security-off-banner]"));
        Assert.NotNull(layout.Find("[data-testid=sign-out]"));
        Assert.Empty(layout.FindAll("[data-testid=nav-users]"));
    }
}
