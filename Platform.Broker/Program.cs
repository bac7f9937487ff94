using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Platform.Broker;

// platform-broker: settings from (later wins) environment variables BROKER__*, then command-line switches.
// See the README for the list; `--help` prints it. `users ...` and `acls ...` manage the security files.
var command = args.Length > 0 && args[0] is "users" or "acls" ? args : null;
if (command is not null)
{
    args = [.. args.Where((a, i) => a is "--data-dir" or "--credentials-file" or "--acl-file" || (i > 0 && args[i - 1] is "--data-dir" or "--credentials-file" or "--acl-file"))];
}

if (command is null && (args.Contains("--help") || args.Contains("-h")))
{
    Console.WriteLine("""
        usage: platform-broker [--listen HOST:PORT] [--advertised-listen HOST:PORT] [--data-dir DIR] [--metrics-listen HOST:PORT] [--partitions N]
                               [--auto-create-topics true|false] [--flush-mode Strict|GroupCommit] [--node-id N]
        Every setting is also the configuration key Broker:<Name> and the environment variable BROKER__<NAME>
        (Listen, AdvertisedListen, DataDirectory, MetricsListen, DefaultPartitions, AutoCreateTopics, FlushMode, FlushInterval,
        FlushBytes, NodeId, ClusterId, MaxFrameBytes, MaxConnections, MaxInFlightRequestsPerConnection, MaxQueuedRequestBytes,
        ConnectionIdleTimeout, FrameTimeout, MaxFetchWait, MaxFetchBytes, MaxQueuedFetchBytes, RetentionMs, RetentionBytes, RetentionCheckInterval,
        SegmentBytes, SegmentMs, IndexIntervalBytes, MaxMessageBytes, GroupInitialRebalanceDelay, GroupMinSessionTimeoutMs,
        GroupMaxSessionTimeoutMs, OffsetsRetention).
        Security (Broker:Security:<Name>, BROKER__SECURITY__<NAME>): Enabled, CertificatePath, KeyPath, Mechanisms,
        CredentialsFile, AclFile, SuperUsers, MaxFailedAuthentications, FailureWindow, FailureDelay, HandshakeTimeout;
        switches --security true|false --tls-cert FILE --tls-key FILE.

        """ + Platform.Broker.Security.SecurityCli.Usage);
    return 0;
}

Prometheus.Metrics.SuppressDefaultMetrics();
var switches = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["--listen"] = "Broker:Listen",
    ["--advertised-listen"] = "Broker:AdvertisedListen",
    ["--data-dir"] = "Broker:DataDirectory",
    ["--metrics-listen"] = "Broker:MetricsListen",
    ["--partitions"] = "Broker:DefaultPartitions",
    ["--auto-create-topics"] = "Broker:AutoCreateTopics",
    ["--flush-mode"] = "Broker:FlushMode",
    ["--node-id"] = "Broker:NodeId",
    ["--security"] = "Broker:Security:Enabled",
    ["--tls-cert"] = "Broker:Security:CertificatePath",
    ["--tls-key"] = "Broker:Security:KeyPath",
    ["--credentials-file"] = "Broker:Security:CredentialsFile",
    ["--acl-file"] = "Broker:Security:AclFile",
};
IConfiguration configuration;
try
{
    configuration = new ConfigurationBuilder()
        .AddEnvironmentVariables()
        .AddCommandLine(args, switches)
        .Build();
}
catch (FormatException ex)
{
    Console.Error.WriteLine($"platform-broker: {ex.Message}");
    return 2;
}

var options = new BrokerOptions();
try
{
    configuration.GetSection("Broker").Bind(options);
}
catch (InvalidOperationException ex)
{
    Console.Error.WriteLine($"platform-broker: bad setting: {ex.Message}");
    return 2;
}

if (command is not null)
{
    return Platform.Broker.Security.SecurityCli.Run(command, options, Console.In, Console.Out, Console.Error);
}

using var loggerFactory = LoggerFactory.Create(b => b
    .AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "HH:mm:ss.fff ";
    })
    .SetMinimumLevel(LogLevel.Information));

using var stop = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
{
    c.Cancel = true;
    stop.Cancel();
});
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c =>
{
    c.Cancel = true;
    stop.Cancel();
});

BrokerServer server;
try
{
    server = await BrokerServer.StartAsync(options, loggerFactory, stop.Token);
}
catch (Exception ex) when (ex is ArgumentException or IOException or System.Net.Sockets.SocketException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"platform-broker: cannot start: {ex.Message}");
    return 1;
}

await using (server)
{
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
        // SIGTERM or SIGINT: dispose below closes connections and flushes everything.
    }
}

return 0;
