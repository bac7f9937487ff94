using Platform.Dashboard;
using Platform.Dashboard.Security;

if (args is ["-h"] or ["--help"])
{
    Console.WriteLine(PlatformHostOptions.Usage);
    return 0;
}

if (args is ["users", .. var rest])
{
    return UsersCli.Run(rest, Console.In, Console.Out, Console.Error);
}

PlatformHostOptions options;
try
{
    options = PlatformHostOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine("Run with --help for the options.");
    return 2;
}

await using var host = await PlatformHost.StartAsync(options);
Console.WriteLine();
if (host.Embedded)
{
    Console.WriteLine("  The platform is running in this process.");
    Console.WriteLine($"  Dashboard:  {host.Url}");
    Console.WriteLine($"  Kafka:      {host.Bootstrap}  (embedded broker, data in {Path.GetFullPath(options.DataDirectory)})");
    Console.WriteLine($"  Alerting:   {host.Url}/api/rules  (the dashboard calls it at {options.Dashboard.AlertingUrl})");
    Console.WriteLine($"  Agent:      this host, as '{host.LocalHostId}'");
}
else
{
    Console.WriteLine($"  Dashboard:  {host.Url}  (reading the broker at {host.Bootstrap})");
    Console.WriteLine(options.Dashboard.AlertingUrl is { } alertingUrl
        ? $"  Alerting:   {alertingUrl}  (the API the dashboard's actions call)"
        : "  Alerting:   none configured (--alerting-url URL): alerts, rules and channels are read-only");
}

Console.WriteLine("  Ctrl+C stops it.");
Console.WriteLine();
await host.WaitForShutdownAsync();
return 0;
