using System.Net;
using System.Net.Sockets;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Platform.Dashboard.Components.Layout;
using Platform.Dashboard.Components.Pages.Alerts;
using Platform.Dashboard.Components.Pages.Channels;
using Platform.Dashboard.Components.Pages.Rules;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Tests.Components;

/// <summary>The operating pages without an alerting API, and with one that is down or does not answer.</summary>
public sealed class AlertingAvailabilityTests : DashboardTestContext
{
    public AlertingAvailabilityTests() =>
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));

    [Fact]
    public void OperatingPages_AreReadOnly_WithANotice_WhenNoAlertingApiIsConfigured()
    {
        Model.Options.AlertingUrl = null;
        Model.Alerts.ApplyAlert(AlertsPagesTests.Alert("a", AlertState.Firing));

        var alerts = Render<AlertsPage>();
        Assert.Contains("--alerting-url", alerts.Find("[data-testid=alerting-readonly]").TextContent, StringComparison.Ordinal);
        Assert.True(alerts.Find("[data-testid=alert-row][data-fingerprint=a] [data-testid=ack]").HasAttribute("disabled"));
        Assert.True(alerts.Find("[data-testid=create-silence]").HasAttribute("disabled"));
        // The alert itself is still listed: read-only, not empty.
        Assert.Single(alerts.FindAll("[data-testid=alert-row]"));

        var rules = Render<RulesPage>();
        Assert.NotNull(rules.Find("[data-testid=alerting-readonly]"));
        Assert.True(rules.Find("[data-testid=new-rule]").HasAttribute("disabled"));

        var channels = Render<ChannelsPage>();
        Assert.NotNull(channels.Find("[data-testid=alerting-readonly]"));
        Assert.True(channels.Find("[data-testid=new-channel]").HasAttribute("disabled"));
    }

    [Fact]
    public void OperatingPages_ShowNoNotice_WhenAnAlertingApiIsConfigured()
    {
        Model.Options.AlertingUrl = "http://127.0.0.1:9/";
        var alerts = Render<AlertsPage>();
        Assert.Empty(alerts.FindAll("[data-testid=alerting-readonly]"));
        Assert.False(alerts.Find("[data-testid=create-silence]").HasAttribute("disabled"));
    }

    [Fact]
    public void Acknowledge_ReportsTheTimeout_WhenTheApiAcceptsButNeverAnswers()
    {
        // A listener that accepts connections and never answers: the call must end at the timeout, as a message.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<Socket>();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    accepted.Add(await silent.AcceptSocketAsync(Xunit.TestContext.Current.CancellationToken));
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
                {
                    return;
                }
            }
        }, Xunit.TestContext.Current.CancellationToken);
        Model.Options.AlertingUrl = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/";
        Model.Options.AlertingTimeout = TimeSpan.FromSeconds(1);
        Render<MudSnackbarProvider>();
        Model.Alerts.ApplyAlert(AlertsPagesTests.Alert("a", AlertState.Firing));

        var page = Render<AlertsPage>();
        TypeInto(page, "who", "ann");
        ClickOn(page, "[data-testid=alert-row][data-fingerprint=a] [data-testid=ack]");
        var snackbar = Services.GetRequiredService<ISnackbar>();
        page.WaitForAssertion(() => Assert.Contains(snackbar.ShownSnackbars, s => s.Message?.Contains("did not answer within 1 s", StringComparison.Ordinal) == true));
        // The page lives on: its table is still there and answers another click.
        Assert.NotNull(page.Find("[data-testid=alert-row][data-fingerprint=a] [data-testid=ack]"));
        silent.Stop();
        foreach (var socket in accepted)
        {
            socket.Dispose();
        }
    }

    [Fact]
    public void RuleSave_AndChannelDeliveries_ReportAnUnreachableApi_WithoutThrowing()
    {
        Model.Options.AlertingUrl = "http://127.0.0.1:9/"; // the discard port refuses
        Render<MudSnackbarProvider>();
        var channels = Render<ChannelsPage>();
        channels.WaitForAssertion(() => Assert.Contains("unreachable", channels.Markup, StringComparison.Ordinal));

        var rules = Render<RulesPage>();
        ClickOn(rules, "[data-testid=new-rule]");
        TypeInto(rules, "field-id", "r1");
        TypeInto(rules, "field-name", "R1");
        TypeInto(rules, "field-metric", "system.cpu.utilization");
        TypeInto(rules, "field-threshold", "0.5");
        ClickOn(rules, "[data-testid=save-rule]");
        rules.WaitForAssertion(() => Assert.Contains("is unreachable", rules.Find("[data-testid=rule-form]").TextContent, StringComparison.Ordinal));
    }
}

/// <summary>The layout's error boundary: a page that throws shows a message, the session and the layout live on.</summary>
public sealed class LayoutErrorBoundaryTests : DashboardTestContext
{
    public LayoutErrorBoundaryTests()
        : base(withPopoverProvider: false) =>
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));

    [Fact]
    public void Layout_ShowsAnErrorInsteadOfEndingTheSession_WhenAPageThrows()
    {
        var layout = Render<MainLayout>(p => p.Add(l => l.Body, builder =>
        {
            builder.OpenComponent<Throwing>(0);
            builder.CloseComponent();
        }));
        Assert.Contains("This page failed: broken page", layout.Find("[data-testid=page-error]").TextContent, StringComparison.Ordinal);
        Assert.NotNull(layout.Find("[data-testid=theme-toggle]"));
    }

    private sealed class Throwing : Microsoft.AspNetCore.Components.ComponentBase
    {
        protected override void OnInitialized() => throw new InvalidOperationException("broken page");
    }
}

/// <summary>With security on, the signed-in user acts: no free-text name on the Alerts page.</summary>
public sealed class SignedInAlertsPageTests : DashboardTestContext
{
    public SignedInAlertsPageTests()
        : base(secure: true)
    {
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        Model.Options.AlertingUrl = "http://127.0.0.1:9/";
        Model.Options.AlertingInProcess = true;
    }

    [Fact]
    public void OperatingPages_AreReadOnly_WithANotice_WhenAlertingRunsInAnotherProcess()
    {
        // The dashboard alone with --secure and --alerting-url: its sign-in ticket would not be accepted there.
        Model.Options.AlertingInProcess = false;
        Model.Alerts.ApplyAlert(AlertsPagesTests.Alert("a", AlertState.Firing));
        var alerts = Render<AlertsPage>();
        Assert.Contains("another process", alerts.Find("[data-testid=alerting-readonly]").TextContent, StringComparison.Ordinal);
        Assert.True(alerts.Find("[data-testid=alert-row][data-fingerprint=a] [data-testid=ack]").HasAttribute("disabled"));
        Assert.True(alerts.Find("[data-testid=create-silence]").HasAttribute("disabled"));
        Assert.True(Render<RulesPage>().Find("[data-testid=new-rule]").HasAttribute("disabled"));
        Assert.True(Render<ChannelsPage>().Find("[data-testid=new-channel]").HasAttribute("disabled"));
    }

    [Fact]
    public void AlertsPage_ActsAsTheSignedInUser_WithoutANameField()
    {
        Model.Alerts.ApplyAlert(AlertsPagesTests.Alert("a", AlertState.Firing));
        var page = Render<AlertsPage>();
        page.WaitForAssertion(() => Assert.Contains("Acting as tester", page.Find("[data-testid=acting-as]").TextContent, StringComparison.Ordinal));
        Assert.Empty(page.FindAll("[data-testid=who]"));
    }
}
