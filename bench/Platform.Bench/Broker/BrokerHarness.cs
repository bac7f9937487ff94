using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker;
using Platform.Broker.Storage;

namespace Platform.Bench.Broker;

/// <summary>
/// Produce and consume throughput of the platform broker through Confluent.Kafka (acks=all, fsync before the ack),
/// against NATS JetStream (file storage) started from Debian's nats-server on loopback, then the backlog experiment:
/// rounds of produce with nobody consuming, each round's rate. Prints markdown tables with the ratios.
/// </summary>
internal sealed class BrokerHarness : IHarness
{
    public string Name => "broker";

    public string Description => "Kafka-protocol broker vs NATS JetStream: produce/consume rate, ack latency, backlog rounds";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var records = IntArg(args, "--records", 1_000_000);
        var size = IntArg(args, "--size", 200);
        var rounds = IntArg(args, "--rounds", 6);
        var roundSize = IntArg(args, "--round-records", 500_000);
        var window = IntArg(args, "--window", 4096);
        var consumers = IntArg(args, "--consumers", 2);
        var repeat = IntArg(args, "--repeat", 5);
        var skipPeer = args.Contains("--no-peer");
        KafkaWorkload.LingerMs = IntArg(args, "--linger-ms", 1);
        var skipBacklog = args.Contains("--no-backlog");
        var series = Math.Max(1, IntArg(args, "--backlog-series", 3));

        var root = Path.Combine(Path.GetTempPath(), $"broker-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            Console.WriteLine($"broker harness: {records:N0} records of {size} B, acks=all, at most {window:N0} unacknowledged; backlog {rounds} rounds of {roundSize:N0}");
            Prometheus.Metrics.SuppressDefaultMetrics();
            var options = new BrokerOptions { Listen = "127.0.0.1:0", DataDirectory = Path.Combine(root, "broker"), DefaultPartitions = 3 };
            if (args.Contains("--group-commit"))
            {
                options.FlushMode = FlushMode.GroupCommit; // acks before the fsync: how much of the ack latency is the disk
            }

            Result platform;
            Result? peer = null;
            double[][] backlog = [];
            await using (var broker = await BrokerServer.StartAsync(options, NullLoggerFactory.Instance, cancellationToken))
            await using (var nats = skipPeer ? null : await NatsServerProcess.StartAsync(Path.Combine(root, "nats"), FreePort(), cancellationToken))
            {
                // A warm-up run each (half the records, not counted: JIT tiers, first files, connections), then the runs
                // alternate between the two systems, so a busy spell of this shared machine falls on both alike.
                KafkaWorkload.Run(broker.BootstrapServers, "warmup", Math.Max(1, records / 2), size, window, consumers, cancellationToken);
                if (nats is not null)
                {
                    await NatsWorkload.RunAsync(nats.Url, "warmup", Math.Max(1, records / 2), size, window, consumers, cancellationToken);
                }

                var runs = new List<Result>();
                var peerRuns = new List<Result>();
                for (var i = 0; i < repeat; i++)
                {
                    runs.Add(KafkaWorkload.Run(broker.BootstrapServers, $"bench-{i}", records, size, window, consumers, cancellationToken));
                    Console.WriteLine($"platform-broker run {i + 1}: {runs[^1]}");
                    if (nats is not null)
                    {
                        peerRuns.Add(await NatsWorkload.RunAsync(nats.Url, $"bench{i}", records, size, window, consumers, cancellationToken));
                        Console.WriteLine($"nats-jetstream run {i + 1}: {peerRuns[^1]}");
                    }
                }

                platform = Result.Median(runs);
                peer = peerRuns.Count > 0 ? Result.Median(peerRuns) : null;
                await PrintBrokerSideAsync(broker);
                if (!skipBacklog)
                {
                    // The whole experiment runs `series` times, each on a topic of its own; a round's rate is the median
                    // over the series, so a slow spell of this shared machine does not pass for the log slowing down.
                    var rates = backlog = new double[series][];
                    for (var s = 0; s < series; s++)
                    {
                        rates[s] = new double[rounds];
                        var (requests, seconds) = await BrokerProduceTimeAsync(broker);
                        for (var i = 0; i < rounds; i++)
                        {
                            var (rate, _, _) = KafkaWorkload.Produce(broker.BootstrapServers, $"backlog-{s}", roundSize, size, window, cancellationToken);
                            var (requestsNow, secondsNow) = await BrokerProduceTimeAsync(broker);
                            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                                $"backlog series {s + 1} round {i + 1}: {rate:N0} records/s; broker: {requestsNow - requests:N0} produce requests, {(secondsNow - seconds) * 1000 / Math.Max(1, requestsNow - requests):0.00} ms each"));
                            (requests, seconds) = (requestsNow, secondsNow);
                            rates[s][i] = rate;
                        }
                    }
                }
            }

            PrintTables(records, size, window, repeat, platform, peer, backlog, roundSize, series);
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

    private static void PrintTables(int records, int size, int window, int repeat, Result platform, Result? peer, double[][] backlog, int roundSize, int series)
    {
        static string F(double v, string format = "N0") => v.ToString(format, CultureInfo.InvariantCulture);
        string Ratio(double a, double? b, bool lowerIsBetter = false) =>
            b is null or 0 ? "–" : (lowerIsBetter ? b.Value / a : a / b.Value).ToString("0.00", CultureInfo.InvariantCulture) + "×";

        Console.WriteLine();
        Console.WriteLine($"### Broker: {records:N0} records × {size} B, acks=all (Confluent.Kafka) vs NATS JetStream (file storage, NATS.Net), {window:N0} unacknowledged at most, median of {repeat} runs");
        Console.WriteLine();
        Console.WriteLine("| metric | platform-broker | nats-jetstream | ratio |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| produce records/s | {F(platform.ProduceRate)} | {(peer is null ? "–" : F(peer.ProduceRate))} | {Ratio(platform.ProduceRate, peer?.ProduceRate)} |");
        Console.WriteLine($"| produce MB/s | {F(platform.ProduceRate * size / 1e6, "0.0")} | {(peer is null ? "–" : F(peer.ProduceRate * size / 1e6, "0.0"))} | |");
        Console.WriteLine($"| ack latency p50 ms | {F(platform.P50Ms, "0.00")} | {(peer is null ? "–" : F(peer.P50Ms, "0.00"))} | {Ratio(platform.P50Ms, peer?.P50Ms, true)} |");
        Console.WriteLine($"| ack latency p99 ms | {F(platform.P99Ms, "0.00")} | {(peer is null ? "–" : F(peer.P99Ms, "0.00"))} | {Ratio(platform.P99Ms, peer?.P99Ms, true)} |");
        Console.WriteLine($"| consume records/s | {F(platform.ConsumeRate)} | {(peer is null ? "–" : F(peer.ConsumeRate))} | {Ratio(platform.ConsumeRate, peer?.ConsumeRate)} |");
        Console.WriteLine($"| consume MB/s | {F(platform.ConsumeRate * size / 1e6, "0.0")} | {(peer is null ? "–" : F(peer.ConsumeRate * size / 1e6, "0.0"))} | |");
        if (backlog.Length > 0)
        {
            var rounds = backlog[0].Length;
            var median = Enumerable.Range(0, rounds).Select(i => backlog.Select(r => r[i]).Order().ElementAt(series / 2)).ToArray();
            Console.WriteLine();
            Console.WriteLine($"### Backlog: {rounds} rounds of {roundSize:N0} records, nobody consuming; {series} series, each on its own topic");
            Console.WriteLine();
            Console.WriteLine($"| round | log size before (records) | {string.Join(" | ", Enumerable.Range(1, series).Select(n => $"series {n}"))} | median records/s | vs round 2 |");
            Console.WriteLine($"|---:|---:|{string.Concat(Enumerable.Repeat("---:|", series))}---:|---:|");
            for (var i = 0; i < rounds; i++)
            {
                var vs = rounds > 1 ? (median[i] / median[1]).ToString("P0", CultureInfo.InvariantCulture) : "–";
                Console.WriteLine($"| {i + 1} | {F((double)i * roundSize)} | {string.Join(" | ", backlog.Select(r => F(r[i])))} | {F(median[i])} | {vs} |");
            }
        }
    }

    /// <summary>What the broker itself measured: requests by API and the time spent building their answers.</summary>
    private static async Task PrintBrokerSideAsync(BrokerServer broker)
    {
        using var stream = new MemoryStream();
        await broker.Metrics.Registry.CollectAndExportAsTextAsync(stream);
        var lines = System.Text.Encoding.UTF8.GetString(stream.ToArray()).Split('\n');
        foreach (var api in new[] { "Produce", "Fetch" })
        {
            var count = lines.FirstOrDefault(l => l.StartsWith($"broker_request_duration_seconds_count{{api=\"{api}\"}}", StringComparison.Ordinal))?.Split(' ')[1];
            var sum = lines.FirstOrDefault(l => l.StartsWith($"broker_request_duration_seconds_sum{{api=\"{api}\"}}", StringComparison.Ordinal))?.Split(' ')[1];
            Console.WriteLine($"  broker side: {api} requests {count}, total seconds in handler {sum}");
        }
    }

    private static async Task<(double Requests, double Seconds)> BrokerProduceTimeAsync(BrokerServer broker)
    {
        using var stream = new MemoryStream();
        await broker.Metrics.Registry.CollectAndExportAsTextAsync(stream);
        var lines = System.Text.Encoding.UTF8.GetString(stream.ToArray()).Split('\n');
        double Value(string prefix) => double.Parse(lines.First(l => l.StartsWith(prefix, StringComparison.Ordinal)).Split(' ')[1], CultureInfo.InvariantCulture);
        return (Value("broker_request_duration_seconds_count{api=\"Produce\"}"), Value("broker_request_duration_seconds_sum{api=\"Produce\"}"));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}

/// <summary>One system's numbers.</summary>
internal sealed record Result(double ProduceRate, double P50Ms, double P99Ms, double ConsumeRate)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"produce {ProduceRate:N0}/s (p50 {P50Ms:0.00} ms, p99 {P99Ms:0.00} ms), consume {ConsumeRate:N0}/s");

    /// <summary>Each metric's median over the runs (the machine is shared; one run can be disturbed).</summary>
    public static Result Median(List<Result> runs)
    {
        static double M(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted[sorted.Count / 2];
        }

        return new Result(M(runs.Select(r => r.ProduceRate)), M(runs.Select(r => r.P50Ms)), M(runs.Select(r => r.P99Ms)), M(runs.Select(r => r.ConsumeRate)));
    }

    public static (double P50, double P99) Percentiles(long[] latencyTicks, int count)
    {
        Array.Sort(latencyTicks, 0, count);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        return (Ms(latencyTicks[(int)(count * 0.50)]), Ms(latencyTicks[Math.Min(count - 1, (int)(count * 0.99))]));
    }
}
