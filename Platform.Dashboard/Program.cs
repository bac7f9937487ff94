using Platform.Dashboard;

PlatformHostOptions options;
try
{
    options = PlatformHostOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

await using var host = await PlatformHost.StartAsync(options);
Console.WriteLine(host.Embedded
    ? $"Platform running: dashboard {host.Url}  (embedded broker at {host.Bootstrap}, data in {Path.GetFullPath(options.DataDirectory)}, local agent {host.LocalHostId})"
    : $"Platform dashboard: {host.Url}  (Kafka bootstrap {host.Bootstrap})");
await host.WaitForShutdownAsync();
return 0;
