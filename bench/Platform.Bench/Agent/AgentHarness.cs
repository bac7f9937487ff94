using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker;

namespace Platform.Bench.Agent;

/// <summary>
/// The agent's CPU seconds and peak RSS over a run at a 1 s interval, next to node_exporter scraped once a
/// second over the same time, both as separate processes measured from /proc. Options:
/// <c>--seconds 60</c>, <c>--agent-exe PATH</c> (a published binary, e.g. Native AOT; default: the built
/// platform-agent.dll under dotnet), <c>--output null|kafka</c> (null: encode and spool, send nowhere; kafka:
/// publish to <c>--bootstrap HOST:PORT</c>, or without it to a broker this harness starts in-process, whose
/// CPU is the harness's, not the agent's), <c>--node-exporter PATH</c>, <c>--agent-env NAME=VALUE</c> (repeatable:
/// the agent's environment, e.g. <c>PLATFORM_AGENT_STARTUP_PAGEOUT=0</c>).
/// </summary>
internal sealed class AgentHarness : IHarness
{
    public string Name => "agent";

    public string Description => "agent CPU and peak RSS at a 1 s interval vs node_exporter scraped every second";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var seconds = 60;
        string? agentExe = null;
        var output = "null";
        string? bootstrap = null;
        var nodeExporter = "/usr/bin/prometheus-node-exporter";
        var agentEnv = new List<KeyValuePair<string, string>>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds": seconds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--agent-exe": agentExe = args[++i]; break;
                case "--output": output = args[++i]; break;
                case "--bootstrap": bootstrap = args[++i]; break;
                case "--node-exporter": nodeExporter = args[++i]; break;
                case "--agent-env" when args.Length > i + 1 && args[i + 1].IndexOf('=', StringComparison.Ordinal) > 0:
                    var pair = args[++i];
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    agentEnv.Add(new(pair[..eq], pair[(eq + 1)..]));
                    break;
                default:
                    await Console.Error.WriteLineAsync($"agent: unknown option {args[i]}");
                    return 2;
            }
        }

        if (!File.Exists(nodeExporter))
        {
            await Console.Error.WriteLineAsync($"agent: node_exporter not found at {nodeExporter} (apt-get install prometheus-node-exporter)");
            return 2;
        }

        var state = Path.Join(Path.GetTempPath(), "platform-bench-agent-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(state);
        await using var broker = output == "kafka" && bootstrap is null
            ? await BrokerServer.StartAsync(new BrokerOptions { Listen = "127.0.0.1:0", DataDirectory = Path.Join(state, "broker") }, NullLoggerFactory.Instance, cancellationToken)
            : null;
        bootstrap ??= broker?.BootstrapServers;
        var port = FreePort();
        using var exporter = Start(nodeExporter, $"--web.listen-address=127.0.0.1:{port}", []);
        var agentArgs = $"run --interval 1s --host-id bench --state-dir {state} --output {output}"
            + (bootstrap is null ? "" : $" --bootstrap {bootstrap}");
        using var agent = agentExe is null
            ? Start(DotnetHost(), $"{Path.Join(AppContext.BaseDirectory, "platform-agent.dll")} {agentArgs}", agentEnv)
            : Start(agentExe, agentArgs, agentEnv);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var url = new Uri($"http://127.0.0.1:{port}/metrics");
            var ready = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    await http.GetStringAsync(url, cancellationToken);
                    break;
                }
                catch (HttpRequestException) when (ready.Elapsed < TimeSpan.FromSeconds(20))
                {
                    await Task.Delay(100, cancellationToken);
                }
            }

            // Both are up; measure the window.
            var agentCpu0 = ProcessStats.CpuSeconds(agent.Id);
            var exporterCpu0 = ProcessStats.CpuSeconds(exporter.Id);
            long scrapedBytes = 0;
            var scrapes = 0;
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            var window = Stopwatch.StartNew();
            while (window.Elapsed < TimeSpan.FromSeconds(seconds) && await timer.WaitForNextTickAsync(cancellationToken))
            {
                scrapedBytes += (await http.GetStringAsync(url, cancellationToken)).Length;
                scrapes++;
                if (agent.HasExited)
                {
                    await Console.Error.WriteLineAsync($"agent: the agent exited early with code {agent.ExitCode}: {await agent.StandardError.ReadToEndAsync(cancellationToken)}");
                    return 1;
                }
            }

            var agentCpu = ProcessStats.CpuSeconds(agent.Id);
            var exporterCpu = ProcessStats.CpuSeconds(exporter.Id);
            var agentRss = ProcessStats.PeakRssBytes(agent.Id);
            var exporterRss = ProcessStats.PeakRssBytes(exporter.Id);
            var kind = agentExe is null ? "platform-agent.dll on dotnet (JIT)" : Path.GetFileName(agentExe) + " (published binary)";

            var target = output == "kafka" ? $" to {bootstrap}{(broker is null ? "" : " (in-process broker)")}" : "";
            Console.WriteLine($"agent harness: {window.Elapsed.TotalSeconds:0} s window, agent interval 1 s, output {output}{target}; node_exporter scraped {scrapes} times ({scrapedBytes / Math.Max(1, scrapes)} bytes each)");
            Console.WriteLine($"agent: {kind}{(agentEnv.Count == 0 ? "" : " with " + string.Join(' ', agentEnv.Select(p => $"{p.Key}={p.Value}")))}");
            Console.WriteLine();
            Console.WriteLine("| measure | platform-agent | node_exporter | agent / node_exporter |");
            Console.WriteLine("|---|---:|---:|---:|");
            Console.WriteLine($"| CPU seconds in the window | {agentCpu - agentCpu0:0.00} | {exporterCpu - exporterCpu0:0.00} | {Ratio(agentCpu - agentCpu0, exporterCpu - exporterCpu0)} |");
            Console.WriteLine($"| CPU seconds incl. start-up | {agentCpu:0.00} | {exporterCpu:0.00} | {Ratio(agentCpu, exporterCpu)} |");
            Console.WriteLine($"| peak RSS (VmHWM), MiB | {agentRss / 1048576.0:0.0} | {exporterRss / 1048576.0:0.0} | {Ratio(agentRss, exporterRss)} |");
            return 0;
        }
        finally
        {
            Stop(agent);
            Stop(exporter);
            try
            {
                Directory.Delete(state, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string Ratio(double a, double b) => b <= 0 ? "n/a" : (a / b).ToString("0.00", CultureInfo.InvariantCulture);

    private static Process Start(string file, string arguments, List<KeyValuePair<string, string>> environment)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        // Drain output so a chatty child never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return process;
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : File.Exists("/usr/share/dotnet/dotnet") ? "/usr/share/dotnet/dotnet" : "dotnet";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
