using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Alerting;
using Platform.Broker;
using Platform.Telemetry.Alerts;
using Platform.TestKit;

namespace Platform.Dashboard.Tests.Components;

/// <summary>The real alerting REST API on 127.0.0.1 over a real embedded broker, for forms that list or save through it.</summary>
internal sealed class LiveAlerting : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("dashboard-alerting");
    private BrokerServer? _broker;
    private WebApplication? _app;

    /// <summary>The API's base address, ending in '/', as <c>DashboardOptions.AlertingUrl</c> takes it.</summary>
    public string Url { get; private set; } = string.Empty;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>The broker's bootstrap address, for tests that also read from it.</summary>
    public string Bootstrap => _broker?.BootstrapServers ?? throw new InvalidOperationException("not started");

    public static async Task<LiveAlerting> StartAsync()
    {
        var live = new LiveAlerting();
        live._broker = await BrokerServer.StartAsync(new BrokerOptions
        {
            Listen = "127.0.0.1:0",
            DataDirectory = Path.Combine(live._directory.Path, "broker"),
            DefaultPartitions = 1,
            GroupInitialRebalanceDelay = TimeSpan.FromMilliseconds(200),
        }, NullLoggerFactory.Instance);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddPlatformAlerting(o =>
        {
            o.Bootstrap = live._broker.BootstrapServers;
            o.StateDirectory = Path.Combine(live._directory.Path, "alerting");
            o.SeedDefaultRules = false;
        });
        live._app = builder.Build();
        live._app.MapAlertingApi();
        await live._app.StartAsync();
        live.Url = live._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/";
        live.Http.BaseAddress = new Uri(live.Url);
        return live;
    }

    public async Task PutChannelAsync(NotificationChannel channel)
    {
        using var response = await Http.PutAsJsonAsync($"api/channels/{channel.Id}", channel, AlertCodec.Json.NotificationChannel);
        response.EnsureSuccessStatusCode();
    }

    public async Task PutSilenceAsync(Silence silence)
    {
        using var response = await Http.PostAsJsonAsync("api/silences", silence, AlertCodec.Json.Silence);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>GET as the API answers it; null on 404.</summary>
    public async Task<T?> GetAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        using var response = await Http.GetAsync(path);
        return response.StatusCode == System.Net.HttpStatusCode.NotFound ? null : await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync(type);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }

        _directory.Dispose();
    }
}
