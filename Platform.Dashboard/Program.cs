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
Console.WriteLine($"Platform dashboard: {host.Url}  (Kafka bootstrap {host.Bootstrap})");
await host.WaitForShutdownAsync();
return 0;
