using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;
using MudBlazor.Services;
using Platform.Dashboard.Services;

namespace Platform.Dashboard.Tests.Components;

/// <summary>A bUnit context with MudBlazor and the dashboard's services over an in-memory model.</summary>
public abstract class DashboardTestContext : BunitContext
{
    protected DashboardTestContext(bool withPopoverProvider = true)
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
        if (withPopoverProvider)
        {
            Render<MudPopoverProvider>();
        }
    }

    protected FleetModel Model { get; }

    protected LogTail Logs { get; } = new();

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
