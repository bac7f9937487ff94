using Platform.Dashboard.Components;
using Platform.Dashboard.Hubs;
using Platform.Dashboard.Services;
using Prometheus;

namespace Platform.Dashboard;

/// <summary>Adds the dashboard to a web application: its services, the live hub, the pages, /metrics and /health.</summary>
public static class DashboardApp
{
    public static IServiceCollection AddPlatformDashboard(this IServiceCollection services, DashboardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<AlertBook>();
        services.AddSingleton<FleetModel>();
        services.AddSingleton<LogTail>();
        services.AddSingleton<BrokerInspector>();
        services.AddSingleton<UiTicker>();
        services.AddSingleton<LiveSubscriptions>();
        services.AddSingleton<HistoryReader>();
        services.AddSingleton<LogHistoryReader>();
        services.AddHttpClient();
        services.AddScoped<AlertingApi>();
        services.AddHostedService<TelemetryConsumerService>();
        services.AddHostedService<LivePushService>();
        services.AddSignalR();
        services.AddRazorComponents().AddInteractiveServerComponents();
        // Toasts at the bottom right: at the top they would cover the row actions of the tables.
        MudBlazor.Services.ServiceCollectionExtensions.AddMudServices(services, c => c.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomRight);
        return services;
    }

    public static WebApplication MapPlatformDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseHttpMetrics();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapHub<LiveHub>(LiveHub.Path);
        app.MapMetrics("/metrics");
        app.MapLogsApi();
        app.MapGet("/health", (FleetModel model) =>
        {
            var body = new
            {
                status = model.FeedConnected ? "ok" : "degraded",
                broker = model.FeedConnected ? "connected" : "disconnected",
                error = model.FeedError,
                hosts = model.HostCount,
                lastRecordAt = model.LastRecordAt,
            };
            return Results.Json(body, statusCode: model.FeedConnected ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
