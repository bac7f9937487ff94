using Bunit;
using Bunit.TestDoubles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;
using MudBlazor.Services;
using Platform.Alerting.Security;
using Platform.Dashboard.Security;
using Platform.Dashboard.Services;

namespace Platform.Dashboard.Tests.Components;

/// <summary>A bUnit context with MudBlazor and the dashboard's services over an in-memory model.</summary>
public abstract class DashboardTestContext : BunitContext
{
    static DashboardTestContext()
    {
        // WaitForAssertion waits 1 s by default: on a loaded 2-core machine a render after an asynchronous handler
        // (an HTTP call, a timer tick) can land later than that, and the assertion would fail on a state still coming.
        DefaultWaitTimeout = TimeSpan.FromSeconds(30);
    }

    protected DashboardTestContext(bool withPopoverProvider = true, bool secure = false, Action<IServiceCollection>? configure = null)
    {
        (Model, Clock) = Batches.Model();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(Model);
        Services.AddSingleton(Model.Options);
        Services.AddSingleton(Model.Alerts);
        Services.AddSingleton(Logs);
        Services.AddHttpClient();
        Services.AddScoped<AlertingApi>();
        Services.AddSingleton(Ticker);
        Services.AddSingleton(new HistoryReader(Model.Options, NullLogger<HistoryReader>.Instance));
        Services.AddSingleton(new LogHistoryReader(Model.Options, NullLogger<LogHistoryReader>.Instance));
        Services.AddSingleton(new SecurityState(secure));
        configure?.Invoke(Services);

        // Every policy passes (as with security off); a test narrows them to a role's.
        Authorization = AddAuthorization();
        Authorization.SetAuthorized("tester");
        Authorization.SetPolicies(PlatformPolicies.View, PlatformPolicies.Operate, PlatformPolicies.Administer);
        if (withPopoverProvider)
        {
            Render<MudPopoverProvider>();
        }
    }

    protected FleetModel Model { get; }

    protected BunitAuthorizationContext Authorization { get; }

    protected LogTail Logs { get; } = new();

    /// <summary>
    /// Finds and clicks an element in one step on the renderer's dispatcher, so a re-render that lands in between
    /// (a page finishing an asynchronous load) cannot leave the click pointing at a stale event handler.
    /// </summary>
    protected static void ClickOn<T>(IRenderedComponent<T> component, string selector)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        component.InvokeAsync(() => component.Find(selector).Click()).GetAwaiter().GetResult();

    /// <summary>Types into a MudBlazor field (by test id) on the renderer's dispatcher, as <see cref="ClickOn{T}"/> clicks.</summary>
    protected static void TypeInto<T>(IRenderedComponent<T> component, string testId, string value)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        component.InvokeAsync(() => InputOf(component, testId).Input(value)).GetAwaiter().GetResult();

    /// <summary>Changes a MudBlazor field (by test id) on the renderer's dispatcher.</summary>
    protected static void ChangeTo<T>(IRenderedComponent<T> component, string testId, string value)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        component.InvokeAsync(() => InputOf(component, testId).Change(value)).GetAwaiter().GetResult();

    /// <summary>The input element of a MudBlazor field marked with a test id (the attribute lands on the input itself).</summary>
    protected static AngleSharp.Dom.IElement InputOf<T>(IRenderedComponent<T> component, string testId)
        where T : Microsoft.AspNetCore.Components.IComponent
    {
        var element = component.Find($"[data-testid={testId}]");
        return element.TagName == "INPUT" ? element : element.QuerySelector("input") ?? throw new ElementNotFoundException(testId);
    }

    protected ManualClock Clock { get; }

    protected UiTicker Ticker { get; } = new();
}
