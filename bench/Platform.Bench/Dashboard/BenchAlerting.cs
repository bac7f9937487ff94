using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Alerting;
using Platform.Telemetry.Alerts;

namespace Platform.Bench.Dashboard;

/// <summary>
/// Alerting for the dashboard's load test, in this process: the default rules, plus a CPU rule that fires at once for
/// the simulator's busy hosts (one in nine runs above 0.7, whole-host and per-core series), so the dashboard reads firing alerts and computes health.
/// </summary>
internal sealed class BenchAlerting : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http;

    private BenchAlerting(WebApplication app, string url)
    {
        _app = app;
        Url = url;
        _http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Url { get; }

    public static async Task<BenchAlerting> StartAsync(string bootstrap, string state, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddPlatformAlerting(o =>
        {
            o.Bootstrap = bootstrap;
            o.StateDirectory = state;
        });
        var app = builder.Build();
        app.MapAlertingApi();
        await app.StartAsync(cancellationToken);
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/";
        var alerting = new BenchAlerting(app, url);
        var rule = new AlertRule
        {
            Id = "bench-busy-cpu",
            Name = "BenchBusyCpu",
            Kind = RuleKind.Metric,
            Severity = AlertSeverity.Critical,
            Metric = new MetricCondition { Name = "system.cpu.utilization", Threshold = 0.7 },
        };
        using var response = await alerting._http.PostAsJsonAsync("api/rules", rule, AlertCodec.Json.AlertRule, cancellationToken);
        response.EnsureSuccessStatusCode();
        return alerting;
    }

    /// <summary>How many alerts fire now, as alerting's API lists them.</summary>
    public async Task<int> FiringCountAsync(CancellationToken cancellationToken) =>
        (await _http.GetFromJsonAsync("api/alerts?state=firing", AlertCodec.Json.ListAlertTransition, cancellationToken))?.Count ?? 0;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
