using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.Alerting.Tests.Support;

/// <summary>A real HTTP server (Kestrel on 127.0.0.1:0) that records every POST per path. Paths can be told to
/// answer with given status codes first (e.g. 500, 500, then 200).</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> _scripts = new(StringComparer.Ordinal);

    private WebhookReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<(string Path, JsonNode Body, long ArrivedTicks)> Requests { get; } = new();

    /// <summary>The Authorization header of every POST, per path (null when absent).</summary>
    public ConcurrentQueue<(string Path, string? Authorization)> Authorizations { get; } = new();

    public Uri BaseUri { get; private set; } = null!;

    public Uri Url(string path) => new(BaseUri, path);

    public IEnumerable<JsonNode> BodiesOf(string path) => Requests.Where(r => r.Path == path).Select(r => r.Body);

    /// <summary>The next requests to <paramref name="path"/> answer these status codes, then 200.</summary>
    public void Script(string path, params int[] statuses) => _scripts[path] = new ConcurrentQueue<int>(statuses);

    /// <summary>Requests to this path wait this long before answering (a slow channel).</summary>
    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromSeconds(30);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            var path = context.Request.Path.Value ?? "/";
            var body = await JsonNode.ParseAsync(context.Request.Body) ?? new JsonObject();
            receiver.Authorizations.Enqueue((path, context.Request.Headers.Authorization.FirstOrDefault()));
            receiver.Requests.Enqueue((path, body, Stopwatch.GetTimestamp()));
            if (path.StartsWith("/slow", StringComparison.Ordinal))
            {
                await Task.Delay(receiver.SlowDelay, context.RequestAborted);
            }

            var status = receiver._scripts.TryGetValue(path, out var script) && script.TryDequeue(out var s) ? s : 200;
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.BaseUri = new Uri(address + "/");
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            await _app.StopAsync(timeout.Token);
        }

        await _app.DisposeAsync();
    }
}
