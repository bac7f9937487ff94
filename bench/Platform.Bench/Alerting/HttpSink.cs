using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.Bench.Alerting;

/// <summary>Kestrel on 127.0.0.1:0: records webhook POSTs with their arrival time, and serves a Prometheus text
/// exposition of one gauge at /metrics.</summary>
internal sealed class HttpSink : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HttpSink(WebApplication app) => _app = app;

    public ConcurrentQueue<(string Path, JsonNode Body, long ArrivedUnixMs)> Requests { get; } = new();

    /// <summary>The gauge served at /metrics as <c>bench_switch</c>.</summary>
    public double Gauge { get; set; }

    public Uri BaseUri { get; private set; } = null!;

    public static async Task<HttpSink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var sink = new HttpSink(app);
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            var arrived = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var body = await JsonNode.ParseAsync(context.Request.Body) ?? new JsonObject();
            sink.Requests.Enqueue((context.Request.Path.Value ?? "/", body, arrived));
            return Results.Ok();
        });
        app.MapGet("/metrics", () => Results.Text(
            "# TYPE bench_switch gauge\nbench_switch " + sink.Gauge.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n",
            "text/plain; version=0.0.4"));
        await app.StartAsync();
        sink.BaseUri = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return sink;
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
