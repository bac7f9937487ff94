using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker;
using Platform.Broker.Security;

namespace Platform.Bench.Broker;

/// <summary>
/// What security costs end to end: the same Confluent.Kafka produce/consume workload against a plaintext broker and a
/// SASL_SSL broker with ACLs (SCRAM-SHA-256, TLS 1.3, a non-super-user principal so every request is authorised), and
/// the time to open an authenticated connection (client start, TLS handshake, SASL exchange, first Metadata).
/// </summary>
internal sealed class SecurityHarness : IHarness
{
    public string Name => "security";

    public string Description => "plaintext vs SASL_SSL + ACLs: produce/consume rate, ack latency, connection set-up time";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var records = IntArg(args, "--records", 500_000);
        var size = IntArg(args, "--size", 200);
        var repeat = IntArg(args, "--repeat", 3);
        var connections = IntArg(args, "--connections", 20);
        var root = Path.Combine(Path.GetTempPath(), $"security-bench-{Guid.NewGuid():N}");
        Prometheus.Metrics.SuppressDefaultMetrics();
        try
        {
            Console.WriteLine($"security harness: {records:N0} records of {size} B, acks=all; {connections} connections for set-up time");
            var plain = await MeasureAsync(new BrokerOptions { Listen = "127.0.0.1:0", DataDirectory = Path.Combine(root, "plain"), DefaultPartitions = 3 },
                null, records, size, repeat, connections, cancellationToken);

            var options = new BrokerOptions { Listen = "127.0.0.1:0", DataDirectory = Path.Combine(root, "secure"), DefaultPartitions = 3 };
            var ca = CertificateAuthority.CreateOrLoad(Path.Combine(root, "tls"), ["127.0.0.1"]);
            options.Security.Enabled = true;
            options.Security.CertificatePath = ca.CertificatePath;
            options.Security.KeyPath = ca.KeyPath;
            SecurityFiles.SetUser(options, "bench", "bench-password");
            SecurityFiles.Allow(options, new AclRule { Principal = "bench", ResourceType = AclResourceType.Topic, Name = "bench-*", Operations = [AclOperation.All] });
            SecurityFiles.Allow(options, new AclRule { Principal = "bench", ResourceType = AclResourceType.Group, Name = "bench-*", Operations = [AclOperation.Read] });
            var client = new Dictionary<string, string>
            {
                ["security.protocol"] = "SASL_SSL",
                ["sasl.mechanism"] = "SCRAM-SHA-256",
                ["sasl.username"] = "bench",
                ["sasl.password"] = "bench-password",
                ["ssl.ca.location"] = ca.CaCertificatePath,
            };
            var secure = await MeasureAsync(options, client, records, size, repeat, connections, cancellationToken);

            Console.WriteLine();
            Console.WriteLine("| | plaintext | SASL_SSL + ACLs | ratio |");
            Console.WriteLine("|---|---:|---:|---:|");
            Row("produce, records/s", plain.Run.ProduceRate, secure.Run.ProduceRate, "N0");
            Row("ack latency p50, ms", plain.Run.P50Ms, secure.Run.P50Ms, "0.00");
            Row("ack latency p99, ms", plain.Run.P99Ms, secure.Run.P99Ms, "0.00");
            Row("consume, records/s", plain.Run.ConsumeRate, secure.Run.ConsumeRate, "N0");
            Row("connection set-up, ms", plain.ConnectMs, secure.ConnectMs, "0.0");
            return 0;
        }
        finally
        {
            KafkaWorkload.ExtraSettings = null;
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<(Result Run, double ConnectMs)> MeasureAsync(BrokerOptions options, Dictionary<string, string>? client, int records, int size, int repeat, int connections, CancellationToken ct)
    {
        var label = client is null ? "plaintext" : "SASL_SSL";
        KafkaWorkload.ExtraSettings = client;
        await using var broker = await BrokerServer.StartAsync(options, NullLoggerFactory.Instance, ct);
        var runs = new List<Result>();
        for (var i = 0; i < repeat; i++)
        {
            runs.Add(KafkaWorkload.Run(broker.BootstrapServers, $"bench-{i}", records, size, 4096, 1, ct));
            Console.WriteLine($"{label} run {i + 1}: {runs[^1]}");
        }

        var times = new List<double>();
        for (var i = 0; i < connections; i++)
        {
            var config = new AdminClientConfig { BootstrapServers = broker.BootstrapServers, BrokerAddressFamily = BrokerAddressFamily.V4 };
            foreach (var (k, v) in client ?? [])
            {
                config.Set(k, v);
            }

            var clock = Stopwatch.StartNew();
            using (var admin = new AdminClientBuilder(config).Build())
            {
                admin.GetMetadata("bench-0", TimeSpan.FromSeconds(10));
            }

            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        var connectMs = times[times.Count / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label} connection set-up (median of {connections}): {connectMs:0.0} ms"));
        return (Result.Median(runs), connectMs);
    }

    private static void Row(string what, double plain, double secure, string format) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {what} | {plain.ToString(format, CultureInfo.InvariantCulture)} | {secure.ToString(format, CultureInfo.InvariantCulture)} | {secure / plain:0.00} |"));

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }
}
