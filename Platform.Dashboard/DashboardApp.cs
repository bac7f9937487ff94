using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Alerting.Security;
using Platform.Dashboard.Components;
using Platform.Dashboard.Hubs;
using Platform.Dashboard.Security;
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
        services.TryAddSingleton(new SecurityState(false));
        services.AddCascadingAuthenticationState();
        services.AddOpenPlatformPolicies();
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
        if (app.Services.GetRequiredService<SecurityState>().Enabled)
        {
            // Before antiforgery, which checks the token against the signed-in user.
            app.UseAuthentication();
            app.UseAuthorization();
        }

        app.UseAntiforgery();
        if (app.Services.GetRequiredService<SecurityState>().Enabled)
        {
            app.MapUsersApi();
        }

        app.MapStaticAssets().AllowAnonymous();
        app.MapHub<LiveHub>(LiveHub.Path).RequireAuthorization(PlatformPolicies.View);
        app.MapMetrics("/metrics").AllowAnonymous();
        app.MapLogsApi();
        // The broker page's model as JSON: topics, partitions, offsets, sizes and retention when known, groups and lag.
        app.MapGet("/api/broker", async (BrokerInspector inspector, CancellationToken ct) => Results.Json(await inspector.ReadAsync(ct), System.Text.Json.JsonSerializerOptions.Web))
            .RequireAuthorization(PlatformPolicies.View).WithTags("Broker").WithSummary("Topics, partitions, offsets, retention, consumer groups and lag per partition, as the broker page shows them");
        app.MapPost(DashboardSecurity.LogoutPath, async (HttpContext context) =>
            {
                await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                return Results.LocalRedirect(DashboardSecurity.LoginPath);
            })
            .WithMetadata(new RequireAntiforgeryTokenAttribute())
            .AllowAnonymous()
            .ExcludeFromDescription();
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
        }).AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
