using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Platform.Dashboard;

/// <summary>
/// The dashboard's web application, and with no bootstrap given, the whole platform in one process.
/// Start with <see cref="StartAsync"/>; <see cref="Url"/> is where the dashboard answers.
/// </summary>
public sealed class PlatformHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PlatformHost(WebApplication app, string url, string bootstrap)
    {
        _app = app;
        Url = url;
        Bootstrap = bootstrap;
    }

    /// <summary>The dashboard's address, e.g. "http://127.0.0.1:5000".</summary>
    public string Url { get; }

    /// <summary>The Kafka bootstrap servers the platform uses.</summary>
    public string Bootstrap { get; }

    public IServiceProvider Services => _app.Services;

    /// <exception cref="ArgumentException">The options are not valid.</exception>
    public static async Task<PlatformHost> StartAsync(PlatformHostOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var bootstrap = options.Bootstrap ?? throw new ArgumentException("This build runs the dashboard alone: give --bootstrap HOST:PORT.");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(PlatformHost).Assembly.GetName().Name,
            EnvironmentName = options.EnvironmentName,
            ContentRootPath = AppContext.BaseDirectory,
        });

        // Serve blazor.web.js, MudBlazor's assets and wwwroot from the build output as well as from a publish.
        builder.WebHost.UseStaticWebAssets();
        builder.WebHost.UseUrls(options.Urls);
        options.Dashboard.Bootstrap = bootstrap;
        builder.Services.AddPlatformDashboard(options.Dashboard);
        var app = builder.Build();
        app.MapPlatformDashboard();
        await app.StartAsync(cancellationToken);
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? options.Urls;
        return new PlatformHost(app, url, bootstrap);
    }

    /// <summary>Waits until the application is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
