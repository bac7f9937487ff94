using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Platform.Agents;
using Platform.Agents.Cli;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.Out.Write(CommandLine.Usage());
    return args.Length == 0 ? 2 : 0;
}

if (args[0] is "--version" or "version")
{
    Console.Out.WriteLine(typeof(Agent).Assembly.GetName().Version);
    return 0;
}

try
{
    var line = CommandLine.Parse(args);
    switch (line.Command)
    {
        case "install":
            foreach (var output in Installer.Install(line))
            {
                Console.Out.WriteLine(output);
            }

            return 0;
        case "uninstall":
            foreach (var output in Installer.Uninstall(line))
            {
                Console.Out.WriteLine(output);
            }

            return 0;
        default:
            break;
    }

    var options = Settings.ToOptions(line.EffectiveSettings());

    // Before the Kafka client starts its threads: each would otherwise get its own malloc arena.
    MallocArenas.Limit();
    using var loggerFactory = LoggerFactory.Create(b => b
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        })
        .SetMinimumLevel(LogLevel.Information));

    // This process is the agent alone: hand back what starting the runtime touched, and again at the later
    // start-up steps (see StartupPages). PLATFORM_AGENT_STARTUP_PAGEOUT=0 keeps every page.
    StartupPages.Enabled = Environment.GetEnvironmentVariable("PLATFORM_AGENT_STARTUP_PAGEOUT") != "0";
    StartupPages.Release();

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

    await using (await Agent.StartAsync(options, loggerFactory, stop.Token))
    {
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    return 0;
}
catch (AgentConfigurationException e)
{
    Console.Error.WriteLine($"platform-agent: {e.Message}");
    return 2;
}
