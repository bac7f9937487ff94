using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Broker.Groups;
using Platform.Broker.Hosting;
using Platform.Broker.Metrics;
using Platform.Broker.Network;
using Platform.Broker.Protocol;
using Platform.Broker.Security;
using Platform.Broker.Storage;

namespace Platform.Broker;

/// <summary>
/// The broker: the durable log, the group coordinator, the Kafka listener and (optionally) the HTTP listener for
/// Prometheus /metrics and /health. Dispose stops accepting, closes connections, persists committed offsets and
/// flushes and closes every partition.
/// </summary>
public sealed partial class BrokerServer : IAsyncDisposable
{
    private readonly KafkaListener _listener;
    private readonly GroupCoordinator _groups;
    private readonly WebApplication? _web;
    private readonly ILogger _logger;
    private int _disposed;

    private BrokerServer(LogManager log, GroupCoordinator groups, KafkaListener listener, WebApplication? web, BrokerMetrics metrics, string? metricsUrl, ILogger logger)
    {
        Log = log;
        _groups = groups;
        _listener = listener;
        _web = web;
        Metrics = metrics;
        MetricsUrl = metricsUrl;
        _logger = logger;
        var ep = listener.LocalEndPoint;
        BootstrapServers = ep.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ep.Address}]:{ep.Port}" : $"{ep.Address}:{ep.Port}";
    }

    /// <summary>host:port of the Kafka listener, with the real port when the configured one was 0.</summary>
    public string BootstrapServers { get; }

    /// <summary>Base URL of the /metrics and /health listener, or null when it is off.</summary>
    public string? MetricsUrl { get; }

    /// <summary>The log (for the broker's own views only; clients go through the Kafka protocol).</summary>
    public LogManager Log { get; }

    internal BrokerMetrics Metrics { get; }

    /// <summary>SASL, TLS and ACL state, or null when the listener is plain and open.</summary>
    internal BrokerSecurity? Security { get; private init; }

    internal GroupCoordinator Groups => _groups;

    /// <summary>Bytes of requests read and not yet answered, over every connection (bounded by MaxQueuedRequestBytes).</summary>
    internal long QueuedRequestBytes => _listener.QueuedRequestBytes;

    /// <summary>Bytes of Fetch answers built and not yet written (and the most held at once), over every connection.</summary>
    internal Network.ResponseByteGauge FetchResponseBytes => _listener.FetchResponseBytes;

    /// <summary>Open client connections.</summary>
    internal int ConnectionCount => _listener.ConnectionCount;

    public static async Task<BrokerServer> StartAsync(BrokerOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var logger = loggerFactory.CreateLogger("Platform.Broker");
        var endpoint = await ParseEndPointAsync(options.Listen, nameof(options.Listen), cancellationToken);
        if (options.DefaultPartitions <= 0)
        {
            throw new ArgumentException($"DefaultPartitions must be positive, was {options.DefaultPartitions}", nameof(options));
        }

        if (options.ConnectionIdleTimeout <= TimeSpan.Zero || options.FrameTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("ConnectionIdleTimeout and FrameTimeout must be positive.", nameof(options));
        }

        if (options.AdvertisedListen is { Length: > 0 } advertised)
        {
            RequestDispatcher.ParseHostPort(advertised);
        }

        if (options.OffsetsRetention <= TimeSpan.Zero)
        {
            throw new ArgumentException("OffsetsRetention must be positive.", nameof(options));
        }

        if (options.MaxFetchBytes <= 0)
        {
            throw new ArgumentException($"MaxFetchBytes must be positive, was {options.MaxFetchBytes}", nameof(options));
        }

        Directory.CreateDirectory(options.DataDirectory);
        var log = LogManager.Open(options.ToLogOptions(), loggerFactory);
        GroupCoordinator? groups = null;
        KafkaListener? listener = null;
        WebApplication? web = null;
        BrokerSecurity? security = null;
        try
        {
            var metrics = new BrokerMetrics();
            groups = new GroupCoordinator(options.DataDirectory, options.GroupInitialRebalanceDelay,
                options.GroupMinSessionTimeoutMs, options.GroupMaxSessionTimeoutMs, options.OffsetsRetention, loggerFactory.CreateLogger("Platform.Broker.Groups"));
            metrics.AttachState(log, groups);
            var dispatcher = new RequestDispatcher(log, groups, options, logger);
            security = BrokerSecurity.Create(options, metrics, loggerFactory);
            listener = new KafkaListener(endpoint, dispatcher, options, metrics, security, loggerFactory.CreateLogger("Platform.Broker.Network"));
            var budgets = listener;
            metrics.AttachBudgets(() => budgets.QueuedRequestBytes, () => budgets.FetchResponseBytes.Held);
            string? metricsUrl = null;
            if (options.MetricsListen is { Length: > 0 } metricsListen)
            {
                var metricsEndpoint = await ParseEndPointAsync(metricsListen, nameof(options.MetricsListen), cancellationToken);
                (web, metricsUrl) = await StartHttpAsync(metricsEndpoint, metrics, listener, cancellationToken);
            }

            var server = new BrokerServer(log, groups, listener, web, metrics, metricsUrl, logger) { Security = security };
            var dataDirectory = Path.GetFullPath(options.DataDirectory);
            LogStarted(logger, server.BootstrapServers, dataDirectory, metricsUrl ?? "off");
            return server;
        }
        catch
        {
            if (web is not null)
            {
                await web.DisposeAsync();
            }

            if (listener is not null)
            {
                await listener.DisposeAsync();
            }

            if (groups is not null)
            {
                await groups.DisposeAsync();
            }

            await log.DisposeAsync();
            security?.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        LogStopping(_logger);
        if (_web is not null)
        {
            await _web.StopAsync();
            await _web.DisposeAsync();
        }

        await _listener.DisposeAsync();
        await _groups.DisposeAsync();
        await Log.DisposeAsync();
        Security?.Dispose();
        LogStopped(_logger);
    }

    private static async Task<(WebApplication, string)> StartHttpAsync(IPEndPoint endpoint, BrokerMetrics metrics, KafkaListener listener, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, NullHostLifetime>();
        builder.WebHost.ConfigureKestrel(k => k.Listen(endpoint));
        var app = builder.Build();
        app.MapGet("/metrics", async (HttpContext http) =>
        {
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.Registry.CollectAndExportAsTextAsync(http.Response.Body, http.RequestAborted);
        });
        app.MapGet("/health", () => Results.Text($"ok: {listener.ConnectionCount} connections\n"));
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? $"http://{endpoint}";
        return (app, address);
    }

    private static async Task<IPEndPoint> ParseEndPointAsync(string value, string name, CancellationToken cancellationToken)
    {
        if (!HostPort.TryParse(value, 0, out var host, out var port))
        {
            throw new ArgumentException($"{name} must be host:port, was '{value}'", name);
        }

        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        var addresses = await Dns.GetHostAddressesAsync(host, System.Net.Sockets.AddressFamily.InterNetwork, cancellationToken);
        if (addresses.Length == 0)
        {
            throw new ArgumentException($"{name}: host '{host}' has no IPv4 address", name);
        }

        return new IPEndPoint(addresses[0], port);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Broker listening on {Bootstrap}, data in {DataDirectory}, metrics {MetricsUrl}")]
    private static partial void LogStarted(ILogger logger, string bootstrap, string dataDirectory, string metricsUrl);

    [LoggerMessage(Level = LogLevel.Information, Message = "Broker stopping: closing connections, persisting offsets, flushing the log")]
    private static partial void LogStopping(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Broker stopped")]
    private static partial void LogStopped(ILogger logger);
}
