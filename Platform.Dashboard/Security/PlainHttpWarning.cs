using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Platform.Dashboard.Security;

/// <summary>
/// With security on, warns once the server has started when it answers plain HTTP on an address other than loopback:
/// passwords (login form, Basic) and session cookies would then cross the network in clear.
/// </summary>
public sealed partial class PlainHttpWarning(IServer server, IHostApplicationLifetime lifetime, ILogger<PlainHttpWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Check);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Logs the warning when one of the server's addresses is plain HTTP beyond loopback.</summary>
    public void Check()
    {
        if (Exposed(server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []) is { } address)
        {
            LogPlainHttp(logger, address);
        }
    }

    /// <summary>The first plain-HTTP address that is not loopback, or null.</summary>
    public static string? Exposed(IEnumerable<string> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        foreach (var address in addresses)
        {
            if (address.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !PlatformHost.IsLoopback(address))
            {
                return address;
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SECURITY: the dashboard answers plain HTTP on {Address}, which is not loopback: passwords and session cookies cross the network unencrypted. Serve HTTPS instead: --urls https://0.0.0.0:5001 with Kestrel__Certificates__Default__Path and Kestrel__Certificates__Default__KeyPath (PEM files) in the environment")]
    private static partial void LogPlainHttp(ILogger logger, string address);
}
