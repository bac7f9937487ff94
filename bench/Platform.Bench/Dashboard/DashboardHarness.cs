using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker;
using Platform.Dashboard.Hubs;

namespace Platform.Bench.Dashboard;

/// <summary>
/// The dashboard under load: a fleet of simulated hosts (1,000 by default) publishing one batch a second
/// through the platform broker, alerting (in this process) evaluating the default rules and a CPU rule that fires
/// for one host in nine, 100 SignalR clients watching one host and one watching the fleet, and real page sessions:
/// headless Chromium tabs, each a Blazor Server circuit, on 20 host pages and 5 fleet overviews. The dashboard runs
/// in its own process; the table gives its CPU and memory, the latency from a sample's timestamp to its push arriving
/// at the hub clients and to a host tab's DOM showing it. The reference is a bare SignalR hub broadcasting a
/// message of the same size to the same clients at the same rate (the floor that SignalR itself sets).
/// </summary>
internal sealed class DashboardHarness : IHarness
{
    public string Name => "dashboard";

    public string Description => "dashboard: 1,000 simulated hosts, 100 live clients on one host; CPU, memory, push latency vs bare SignalR";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var hosts = IntArg(args, "--hosts", 1000);
        var watchers = IntArg(args, "--clients", 100);
        var seconds = IntArg(args, "--seconds", 30);
        var warmup = IntArg(args, "--warmup", 10);
        var hostTabs = IntArg(args, "--host-tabs", 20, allowZero: true);
        var fleetTabs = IntArg(args, "--fleet-tabs", 5, allowZero: true);
        var root = Path.Combine(Path.GetTempPath(), $"dashboard-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        Console.WriteLine($"dashboard harness: {hosts} hosts at 1 Hz, {watchers} clients watching one host + 1 fleet client, {warmup} s warm-up, {seconds} s measured");
        try
        {
            Prometheus.Metrics.SuppressDefaultMetrics();
            await using var broker = await BrokerServer.StartAsync(
                new BrokerOptions { Listen = "127.0.0.1:0", DataDirectory = Path.Combine(root, "broker"), DefaultPartitions = 3 },
                NullLoggerFactory.Instance, cancellationToken);

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var produced = 0L;
            var producer = Task.Run(() => Produce(broker.BootstrapServers, hosts, stop.Token, ref produced), stop.Token);
            await using var alerting = await BenchAlerting.StartAsync(broker.BootstrapServers, Path.Combine(root, "alerting"), cancellationToken);
            await using var dashboard = await DashboardProcess.StartAsync(broker.BootstrapServers, FreePort(), cancellationToken, alerting.Url);
            var watched = FleetSimulator.HostId(hosts / 2);
            var tabs = Enumerable.Range(0, hostTabs).Select(i => FleetSimulator.HostId((hosts / 2 + (i * 37)) % hosts)).ToList();
            var platform = await MeasureDashboardAsync(dashboard, watched, watchers, tabs, fleetTabs, warmup, seconds, cancellationToken);
            var firing = await alerting.FiringCountAsync(cancellationToken);
            await stop.CancelAsync();
            await producer;
            Console.WriteLine($"produced {produced:N0} batches");

            var payload = platform.SampleMessage ?? throw new InvalidOperationException("no host update was received");
            var reference = await MeasureBareSignalRAsync(payload, watchers, warmup, seconds, cancellationToken);
            Print(hosts, watchers, seconds, platform, reference, hostTabs, fleetTabs, firing);
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static void Produce(string bootstrap, int hosts, CancellationToken cancellationToken, ref long produced)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            Acks = Acks.All,
            LingerMs = 5,
            CompressionType = CompressionType.Lz4,
            AllowAutoCreateTopics = true,
        }).Build();
        ulong sequence = 0;
        var next = Stopwatch.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            sequence++;
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (var h = 0; h < hosts; h++)
            {
                // Spread the fleet over the second as real agents are.
                var time = now + (h * 1000L / hosts);
                var value = FleetSimulator.Batch(h, time, sequence, sequence % 30 == 1);
                producer.Produce("metrics", new Message<string, byte[]> { Key = FleetSimulator.HostId(h), Value = value });
                produced++;
                if (h % 100 == 99)
                {
                    var target = next + ((h + 1) * Stopwatch.Frequency / hosts);
                    while (Stopwatch.GetTimestamp() < target && !cancellationToken.IsCancellationRequested)
                    {
                        Thread.Sleep(1);
                    }
                }
            }

            producer.Poll(TimeSpan.Zero);
            next += Stopwatch.Frequency;
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait > TimeSpan.Zero)
            {
                cancellationToken.WaitHandle.WaitOne(wait);
            }
        }

        producer.Flush(TimeSpan.FromSeconds(10));
    }

    private static async Task<Measurement> MeasureDashboardAsync(DashboardProcess dashboard, string watched, int watchers, List<string> hostTabs, int fleetTabs, int warmup, int seconds, CancellationToken cancellationToken)
    {
        PageSessions? pages = null;
        var latencies = new ConcurrentBag<double>();
        var measuring = false;
        HostUpdate? sample = null;
        var updates = 0L;
        var fleetUpdates = 0L;
        var connections = new List<HubConnection>();
        try
        {
            for (var i = 0; i < watchers; i++)
            {
                var connection = new HubConnectionBuilder().WithUrl(dashboard.Url + LiveHub.Path).Build();
                connection.On<HostUpdate>(LiveHub.HostMessage, u =>
                {
                    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    sample ??= u;
                    if (Volatile.Read(ref measuring))
                    {
                        latencies.Add(now - u.LastSeenUnixMs);
                        Interlocked.Increment(ref updates);
                    }
                });
                await connection.StartAsync(cancellationToken);
                await connection.InvokeAsync<HostUpdate?>(nameof(LiveHub.WatchHost), watched, cancellationToken);
                connections.Add(connection);
            }

            var fleet = new HubConnectionBuilder().WithUrl(dashboard.Url + LiveHub.Path).Build();
            fleet.On<FleetUpdate>(LiveHub.FleetMessage, _ =>
            {
                if (Volatile.Read(ref measuring))
                {
                    Interlocked.Increment(ref fleetUpdates);
                }
            });
            await fleet.StartAsync(cancellationToken);
            await fleet.InvokeAsync<FleetUpdate>(nameof(LiveHub.WatchFleet), cancellationToken);
            connections.Add(fleet);
            if (hostTabs.Count + fleetTabs > 0)
            {
                var opening = Stopwatch.StartNew();
                pages = await PageSessions.OpenAsync(dashboard.Url, hostTabs, fleetTabs);
                Console.WriteLine($"opened {hostTabs.Count} host tabs and {fleetTabs} fleet tabs in {opening.Elapsed.TotalSeconds:0.0} s");
            }

            await Task.Delay(TimeSpan.FromSeconds(warmup), cancellationToken);
            if (pages is not null)
            {
                await pages.ResetAsync();
            }

            var cpuBefore = dashboard.CpuTime();
            var clock = Stopwatch.StartNew();
            Volatile.Write(ref measuring, true);
            await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
            Volatile.Write(ref measuring, false);
            var elapsed = clock.Elapsed;
            var cpu = dashboard.CpuTime() - cpuBefore;
            var (rss, peak) = dashboard.Memory();
            var (renders, rendersPerTab) = pages is null ? ([], 0) : await pages.CollectAsync(elapsed);
            var size = sample is null ? 0 : System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(sample).Length;
            return new Measurement(latencies.ToArray(), updates / elapsed.TotalSeconds / watchers, fleetUpdates / elapsed.TotalSeconds, cpu / elapsed * 100, rss, peak, size, sample)
            {
                Renders = renders,
                RendersPerTabPerSecond = rendersPerTab,
            };
        }
        finally
        {
            if (pages is not null)
            {
                await pages.DisposeAsync();
            }

            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static async Task<Measurement> MeasureBareSignalRAsync(HostUpdate payload, int watchers, int warmup, int seconds, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSignalR();
        var app = builder.Build();
        app.MapHub<BareHub>("/hubs/bare");
        await app.StartAsync(cancellationToken);
        var url = app.Urls.First();
        var hub = app.Services.GetRequiredService<IHubContext<BareHub>>();
        var latencies = new ConcurrentBag<double>();
        var measuring = false;
        var updates = 0L;
        var connections = new List<HubConnection>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            for (var i = 0; i < watchers; i++)
            {
                var connection = new HubConnectionBuilder().WithUrl(url + "/hubs/bare").Build();
                connection.On<HostUpdate>(LiveHub.HostMessage, u =>
                {
                    if (Volatile.Read(ref measuring))
                    {
                        latencies.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - u.SentUnixMs);
                        Interlocked.Increment(ref updates);
                    }
                });
                await connection.StartAsync(cancellationToken);
                connections.Add(connection);
            }

            var broadcaster = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                while (await timer.WaitForNextTickAsync(stop.Token))
                {
                    await hub.Clients.All.SendAsync(LiveHub.HostMessage, payload with { SentUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, stop.Token);
                }
            }, stop.Token);

            await Task.Delay(TimeSpan.FromSeconds(Math.Min(warmup, 3)), cancellationToken);
            var clock = Stopwatch.StartNew();
            Volatile.Write(ref measuring, true);
            await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
            Volatile.Write(ref measuring, false);
            var elapsed = clock.Elapsed;
            await stop.CancelAsync();
            try
            {
                await broadcaster;
            }
            catch (OperationCanceledException)
            {
            }

            return new Measurement(latencies.ToArray(), updates / elapsed.TotalSeconds / watchers, 0, double.NaN, 0, 0, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(payload).Length, null);
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }

            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    private static void Print(int hosts, int watchers, int seconds, Measurement platform, Measurement reference, int hostTabs, int fleetTabs, int firing)
    {
        static string Ms(double v) => v.ToString("0", CultureInfo.InvariantCulture);
        static string Ratio(double a, double b) => b > 0 ? (a / b).ToString("0.0", CultureInfo.InvariantCulture) + "×" : "–";
        Console.WriteLine();
        Console.WriteLine($"{hosts} hosts × 1 batch/s, {watchers} clients on one host, {seconds} s measured, {Environment.ProcessorCount} cores");
        Console.WriteLine();
        Console.WriteLine("| measure | platform dashboard | bare SignalR broadcast | ratio |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| push latency p50 (ms) | {Ms(platform.Percentile(50))} | {Ms(reference.Percentile(50))} | {Ratio(platform.Percentile(50), reference.Percentile(50))} |");
        Console.WriteLine($"| push latency p99 (ms) | {Ms(platform.Percentile(99))} | {Ms(reference.Percentile(99))} | {Ratio(platform.Percentile(99), reference.Percentile(99))} |");
        Console.WriteLine($"| push latency max (ms) | {Ms(platform.Percentile(100))} | {Ms(reference.Percentile(100))} | |");
        Console.WriteLine($"| updates per client per s | {platform.UpdatesPerClientPerSecond:0.00} | {reference.UpdatesPerClientPerSecond:0.00} | |");
        Console.WriteLine($"| message size (bytes, JSON) | {platform.MessageBytes} | {reference.MessageBytes} | |");
        Console.WriteLine($"| fleet updates per s (1 client) | {platform.FleetUpdatesPerSecond:0.00} | – | |");
        Console.WriteLine($"| dashboard CPU (% of one core) | {platform.CpuPercent:0} | – | |");
        Console.WriteLine($"| dashboard memory RSS / peak (MiB) | {platform.RssBytes / 1048576.0:0} / {platform.PeakRssBytes / 1048576.0:0} | – | |");
        Console.WriteLine($"| page sessions (Chromium tabs: host / fleet) | {hostTabs} / {fleetTabs} | – | |");
        Console.WriteLine($"| host tab render delay p50 / p99 (ms) | {Ms(Stats.Percentile(platform.Renders, 50))} / {Ms(Stats.Percentile(platform.Renders, 99))} | – | |");
        Console.WriteLine($"| host tab renders per s | {platform.RendersPerTabPerSecond:0.00} | – | |");
        Console.WriteLine($"| firing alerts at the end (alerting) | {firing} | – | |");
        Console.WriteLine($"| load average (1 min) at the end | {Stats.LoadAverage()} | | |");
        Console.WriteLine();
        Console.WriteLine("Platform latency: from the sample's timestamp (the producer's clock) through produce (acks=all), the broker, the dashboard's consumer and its 1 Hz push to receipt; bare SignalR: from send to receipt.");
    }

    private static int IntArg(string[] args, string name, int fallback, bool allowZero = false)
    {
        var i = Array.IndexOf(args, name);
        if (i < 0)
        {
            return fallback;
        }

        if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < (allowZero ? 0 : 1))
        {
            throw new ArgumentException($"{name} needs a {(allowZero ? "non-negative" : "positive")} integer");
        }

        return value;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class BareHub : Hub;

    private sealed record Measurement(double[] Latencies, double UpdatesPerClientPerSecond, double FleetUpdatesPerSecond, double CpuPercent, long RssBytes, long PeakRssBytes, int MessageBytes, HostUpdate? SampleMessage)
    {
        public double[] Renders { get; init; } = [];

        public double RendersPerTabPerSecond { get; init; }

        public double Percentile(double p) => Stats.Percentile(Latencies, p);
    }
}
