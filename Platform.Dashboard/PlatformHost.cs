using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Platform.Agents;
using Platform.Alerting;
using Platform.Broker;
using Platform.Dashboard.Security;
using Platform.Dashboard.Services;

namespace Platform.Dashboard;

/// <summary>
/// The dashboard's web application and, when no bootstrap is given, the whole platform in one process:
/// the broker, alerting and a local agent, which still talk to each other through the Kafka protocol
/// over loopback. Start with <see cref="StartAsync"/>; <see cref="Url"/> is where the dashboard answers.
/// </summary>
public sealed partial class PlatformHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly BrokerServer? _broker;
    private readonly Agent? _agent;

    private PlatformHost(WebApplication app, string url, string bootstrap, BrokerServer? broker, Agent? agent)
    {
        _app = app;
        Url = url;
        Bootstrap = bootstrap;
        _broker = broker;
        _agent = agent;
    }

    /// <summary>The dashboard's address, e.g. "http://127.0.0.1:5000".</summary>
    public string Url { get; }

    /// <summary>The Kafka bootstrap servers the platform uses.</summary>
    public string Bootstrap { get; }

    /// <summary>Whether the broker, alerting and the local agent run in this process.</summary>
    public bool Embedded => _broker is not null;

    /// <summary>The local agent's host id (null when nothing is embedded).</summary>
    public string? LocalHostId => _agent?.HostId;

    public IServiceProvider Services => _app.Services;

    /// <exception cref="ArgumentException">The options are not valid.</exception>
    public static async Task<PlatformHost> StartAsync(PlatformHostOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Dashboard.Validate();
        var embed = options.Bootstrap is null;
        var data = Path.GetFullPath(options.DataDirectory);
        // Embedded alerting is called by this process on an http address over loopback; with only https addresses, an
        // extra listener on a free loopback port serves those calls (and nothing but the API, see Build).
        var selfCall = embed && !HasHttpAddress(options.Urls);
        var urls = selfCall ? options.Urls + ";" + SelfCallUrl : options.Urls;
        var (app, alerting) = Build(options, urls, embed ? Path.Combine(data, "alerting") : null, selfCall);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Platform.Dashboard.Host");
        if (options.Secure)
        {
            AnnounceInitialAdmin(app.Services.GetRequiredService<Alerting.Security.UserStore>(), options.Output ?? Console.Out);
        }

        BrokerServer? broker = null;
        Agent? agent = null;
        SecureClients? secure = null;
        try
        {
            var bootstrap = options.Bootstrap;
            if (embed)
            {
                (broker, secure) = await StartBrokerAsync(options, Path.Combine(data, "broker"), app.Services.GetRequiredService<ILoggerFactory>(), logger, cancellationToken);
                ApplyKafka(options.Dashboard.KafkaProperties, secure?.Dashboard);
                bootstrap = broker.BootstrapServers;
                app.Services.GetRequiredService<BrokerInspector>().EmbeddedLog = broker.Log;
            }

            options.Dashboard.Bootstrap = bootstrap!;
            if (alerting is not null)
            {
                // Alerting reads its options when the application starts, so the broker's real address goes in now.
                alerting.Bootstrap = bootstrap!;
                ApplyKafka(alerting.KafkaProperties, secure?.Alerting);
            }

            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException ex) when (options.Urls == PlatformHostOptions.DefaultUrls)
            {
                // The default port is taken: answer on a free one rather than not at all.
                LogWebPortTaken(logger, options.Urls, ex.Message);
                await app.DisposeAsync();
                selfCall = false;
                (app, alerting) = Build(options, "http://localhost:0", embed ? Path.Combine(data, "alerting") : null, selfCall);
                if (alerting is not null)
                {
                    alerting.Bootstrap = bootstrap!;
                    ApplyKafka(alerting.KafkaProperties, secure?.Alerting);
                }

                await app.StartAsync(cancellationToken);
            }

            if (embed)
            {
                agent = await Agent.StartAsync(
                    new AgentOptions
                    {
                        Bootstrap = bootstrap!,
                        Interval = options.AgentInterval,
                        StateDirectory = Path.Combine(data, "agent"),
                        Labels = { ["platform"] = "all-in-one" },
                        InventoryInterval = TimeSpan.FromSeconds(30),
                        LogPaths = options.AgentLogPaths.ToList(),
                        KafkaSettings = new Dictionary<string, string>(secure?.Agent ?? [], StringComparer.Ordinal),
                    },
                    app.Services.GetRequiredService<ILoggerFactory>(),
                    cancellationToken);
            }

            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var url = addresses.FirstOrDefault(a => !selfCall || a.StartsWith("https://", StringComparison.Ordinal)) ?? options.Urls;
            if (embed && options.Dashboard.AlertingUrl is null)
            {
                // Alerting answers in this process: the server calls it on its own bound address over loopback, never
                // through the public URL a browser uses (which may be a reverse proxy's), and over plain http (the https
                // addresses' certificate is issued for the public name, not for 127.0.0.1).
                options.Dashboard.AlertingUrl = LoopbackOf(addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? url);
                options.Dashboard.AlertingInProcess = true;
            }

            if (!options.Secure && addresses.FirstOrDefault(a => !IsLoopback(a)) is { } open)
            {
                LogOpenWithoutSecurity(logger, open);
            }

            return new PlatformHost(app, url, bootstrap!, broker, agent);
        }
        catch
        {
            if (agent is not null)
            {
                await agent.DisposeAsync();
            }

            await app.DisposeAsync();
            if (broker is not null)
            {
                await broker.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Builds the web application: the dashboard, and alerting (its API under /api/) when <paramref name="alertingState"/> is set.</summary>
    /// <remarks>
    /// With <paramref name="selfCall"/>, <paramref name="urls"/> ends with <see cref="SelfCallUrl"/>, every other address is
    /// https, and a request that did not come over TLS came through that listener: it is answered only under /api/, with the
    /// same authentication as on the public addresses, so that it serves this process's own calls and no pages.
    /// </remarks>
    private static (WebApplication App, AlertingOptions? Alerting) Build(PlatformHostOptions options, string urls, string? alertingState, bool selfCall)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(PlatformHost).Assembly.GetName().Name,
            EnvironmentName = options.EnvironmentName,
            ContentRootPath = AppContext.BaseDirectory,
        });

        // Serve blazor.web.js, MudBlazor's assets and wwwroot from the build output as well as from a publish.
        builder.WebHost.UseStaticWebAssets();
        builder.WebHost.UseUrls(urls);
        if (options.HttpsCertificate is { } certificate)
        {
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate));
        }

        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        if (options.Secure)
        {
            builder.Services.AddDashboardSecurity(options.DataDirectory);
        }

        if (options.Dashboard.AlertingUrl is null && builder.Configuration["Dashboard:AlertingUrl"] is { Length: > 0 } configured)
        {
            options.Dashboard.AlertingUrl = configured;
        }

        builder.Services.AddPlatformDashboard(options.Dashboard);
        AlertingOptions? alerting = null;
        if (alertingState is not null)
        {
            builder.Services.AddPlatformAlerting(o =>
            {
                o.StateDirectory = alertingState;
                alerting = o;
            });
        }

        var app = builder.Build();
        if (selfCall)
        {
            app.Use((context, next) =>
            {
                if (!context.Request.IsHttps && !context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }

                return next(context);
            });
        }

        app.MapPlatformDashboard();
        if (alerting is not null)
        {
            app.MapAlertingApi();
        }

        return (app, alerting);
    }

    private static async Task<(BrokerServer Broker, SecureClients? Secure)> StartBrokerAsync(PlatformHostOptions options, string dataDirectory, ILoggerFactory loggerFactory, ILogger logger, CancellationToken cancellationToken)
    {
        var listen = options.KafkaListen;
        if (!PortIsFree(listen))
        {
            var fallback = listen[..listen.LastIndexOf(':')] + ":0";
            LogKafkaPortTaken(logger, listen);
            listen = fallback;
        }

        var brokerOptions = new BrokerOptions { Listen = listen, DataDirectory = dataDirectory, AutoCreateTopics = true };
        var secure = options.Secure ? PrepareSecureBroker(brokerOptions, dataDirectory, listen[..listen.LastIndexOf(':')].Trim('[', ']'), options.TlsSubjectNames, logger) : null;
        return (await BrokerServer.StartAsync(brokerOptions, loggerFactory, cancellationToken), secure);
    }

    /// <summary>
    /// With no users yet, creates <c>admin</c> with a generated password and prints it, once, to the console: it is
    /// stored nowhere in clear and never logged.
    /// </summary>
    private static void AnnounceInitialAdmin(Alerting.Security.UserStore users, TextWriter output)
    {
        if (users.EnsureInitialAdmin() is not { } password)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine("  Security is on and there were no users: created user 'admin' with the password");
        output.WriteLine();
        output.WriteLine($"      {password}");
        output.WriteLine();
        output.WriteLine("  It is shown only this once. Sign in and change it (menu at the top right, 'Change password'), or set");
        output.WriteLine("  another one with: dotnet run --project Platform.Dashboard -- users set-password admin --data DIR");
        output.WriteLine();
    }

    /// <summary>The extra listener for this process's calls to its own alerting API when every address is https.</summary>
    internal const string SelfCallUrl = "http://127.0.0.1:0";

    /// <summary>Whether one of the ";"-separated addresses is plain http.</summary>
    internal static bool HasHttpAddress(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Any(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase));

    /// <summary>A listening address as this process reaches it over loopback: "http://0.0.0.0:5000", "http://[::]:5000" and
    /// "http://+:5000" become "http://127.0.0.1:5000/" (or [::1]); a named or specific address is kept.</summary>
    internal static string LoopbackOf(string address)
    {
        if (!TryParseListenUrl(address, out var uri))
        {
            return address;
        }

        var builder = new UriBuilder(uri) { Path = "/" };
        if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip))
        {
            if (ip.Equals(IPAddress.Any))
            {
                builder.Host = "127.0.0.1";
            }
            else if (ip.Equals(IPAddress.IPv6Any))
            {
                builder.Host = "[::1]";
            }
        }

        return builder.Uri.ToString();
    }

    /// <summary>Whether a listen URL (Kestrel's <c>+</c> and <c>*</c> meaning every address) is a loopback address only.</summary>
    internal static bool IsLoopback(string url)
    {
        if (!TryParseListenUrl(url, out var uri))
        {
            return false;
        }

        return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }

    /// <summary>Parses a listen URL, reading Kestrel's <c>+</c> and <c>*</c> (every address) as 0.0.0.0.</summary>
    private static bool TryParseListenUrl(string url, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? uri) =>
        Uri.TryCreate(url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out uri);

    private static bool PortIsFree(string hostPort)
    {
        var colon = hostPort.LastIndexOf(':');
        var port = int.Parse(hostPort.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture);
        if (port == 0)
        {
            return true;
        }

        var host = hostPort[..colon];
        var address = host is "localhost" or "" ? IPAddress.Loopback : IPAddress.TryParse(host, out var parsed) ? parsed : IPAddress.Any;
        try
        {
            using var probe = new TcpListener(address, port);
            probe.Start();
            probe.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Waits until the application is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops the agent first (it flushes to the broker), then the web application, then the broker.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_agent is not null)
        {
            await _agent.DisposeAsync();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Port of {Urls} is taken ({Reason}); the dashboard answers on a free port instead")]
    private static partial void LogWebPortTaken(ILogger logger, string urls, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Security is off and the dashboard answers on {Address}, which is not loopback: anyone who can reach it can change rules, silences and channels. Start with --secure to require a login")]
    private static partial void LogOpenWithoutSecurity(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka port of {Listen} is taken; the embedded broker listens on a free port instead")]
    private static partial void LogKafkaPortTaken(ILogger logger, string listen);
}
