using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker;
using Platform.TestKit;

namespace Platform.Faults.Tests;

/// <summary>
/// Malformed and mutated request frames from several raw connections against the in-process broker, while a
/// well-behaved producer and consumer keep working: no crash, no hung connection, the broker keeps answering
/// ApiVersions, and every record the good producer had acknowledged reaches the good consumer.
/// </summary>
public class ProtocolFuzzTests(ITestOutputHelper output)
{
    private const int FramesPerConnection = 64;
    private const int FuzzConnections = 3;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public Task FuzzedFrames_TwentyThousand_BrokerStaysUpAndGoodClientsLoseNothing() => RunAsync("short", 20_000, seed: 9);

    [Fact]
    [Trait("Category", "Slow")]
    public Task FuzzedFrames_OneMillion_BrokerStaysUpAndGoodClientsLoseNothing() => RunAsync("long", 1_000_000, seed: 1009);

    private async Task RunAsync(string variant, int frames, int seed)
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = Stopwatch.StartNew();
        var report = new FaultReport("fuzzed protocol frames", variant, output);
        using var dir = new TempDirectory("fault-fuzz");
        var broker = await BrokerServer.StartAsync(new BrokerOptions
        {
            Listen = "127.0.0.1:0",
            DataDirectory = dir.Path,
            AutoCreateTopics = false, // mutated Metadata requests must not create a topic per flipped name
            DefaultPartitions = 1,
            GroupInitialRebalanceDelay = TimeSpan.FromMilliseconds(100),
            SegmentBytes = 4 * 1024 * 1024,
            RetentionBytes = 16 * 1024 * 1024,
        }, NullLoggerFactory.Instance, ct);
        broker.Log.CreateTopic("fuzz", 1);
        var goodTopic = "good-clients";
        broker.Log.CreateTopic(goodTopic, 2);

        using var stop = new CancellationTokenSource();
        var good = new GoodClients(broker.BootstrapServers, goodTopic);
        var goodTask = Task.Run(() => good.Run(stop.Token), ct);
        try
        {
            await FuzzAsync(broker, good, stop, goodTask, report, frames, seed, ct);
        }
        finally
        {
            report.Write(clock.Elapsed);
            await stop.CancelAsync();
            await goodTask.WaitAsync(Deadline, CancellationToken.None);
            // A broker that cannot stop (a connection it never closes) fails the run instead of hanging it.
            await broker.DisposeAsync().AsTask().WaitAsync(Deadline, CancellationToken.None);
        }

        Assert.Equal(0, report.LossesFound);
    }

    private static async Task FuzzAsync(BrokerServer broker, GoodClients good, CancellationTokenSource stop, Task goodTask, FaultReport report, int frames, int seed, CancellationToken ct)
    {

        long sent = 0, sessions = 0, probes = 0;
        var sessionTimes = new List<double>();
        var failures = new ConcurrentQueue<string>();
        var fuzzers = Enumerable.Range(0, FuzzConnections).Select(i => Task.Run(async () =>
        {
            var fuzzer = new FrameFuzzer(seed * 31 + i, "fuzz");
            while (Interlocked.Read(ref sent) < frames && failures.IsEmpty)
            {
                var session = Stopwatch.StartNew();
                var n = await RunSessionAsync(broker.BootstrapServers, fuzzer, failures, ct);
                lock (sessionTimes)
                {
                    sessionTimes.Add(session.Elapsed.TotalMilliseconds);
                }

                Interlocked.Add(ref sent, n);
                Interlocked.Increment(ref sessions);
            }
        }, ct)).ToList();
        var prober = Task.Run(async () =>
        {
            while (!fuzzers.All(f => f.IsCompleted))
            {
                if (!await ApiVersionsAnswersAsync(broker.BootstrapServers, ct))
                {
                    failures.Enqueue("ApiVersions got no answer within 15 s during the fuzzing");
                    return;
                }

                Interlocked.Increment(ref probes);
                await Task.Delay(250, ct); // a probe's pace, not a wait for a condition
            }
        }, ct);

        await Task.WhenAll(fuzzers);
        await prober;
        report.FaultsInjected = Interlocked.Read(ref sent);
        if (!failures.IsEmpty)
        {
            report.LossesFound = failures.Count;
            report.Notes = $"fuzz connections={Interlocked.Read(ref sessions)} FAILED: {string.Join(" | ", failures)}";
            Assert.Fail(string.Join('\n', failures));
        }

        Assert.True(await ApiVersionsAnswersAsync(broker.BootstrapServers, ct), "ApiVersions after the fuzzing");

        // The good clients: keep going a moment after the fuzzing, then everything acknowledged must be consumed.
        var ackedAtEnd = good.Acked + 200;
        await Poll.UntilAsync(() => good.Acked >= ackedAtEnd || good.Error is not null, Deadline, "the good producer to keep producing", ct);
        await stop.CancelAsync();
        await goodTask;
        Assert.Null(good.Error);
        var missing = good.AckedIds.Keys.Count(id => !good.ConsumedIds.ContainsKey(id));
        report.RecordsChecked = good.AckedIds.Count;
        report.LossesFound = missing + good.DeliveryErrors;
        report.Notes = $"fuzz connections={Interlocked.Read(ref sessions)} ApiVersions probes={probes} connection ms p50={Percentile(sessionTimes, 0.5):0} max={Percentile(sessionTimes, 1):0} good records acked={good.AckedIds.Count} consumed={good.ConsumedIds.Count} delivery errors={good.DeliveryErrors}";
        Assert.Equal(0, good.DeliveryErrors);
        Assert.Equal(0, missing);
    }

    private static double Percentile(List<double> values, double q)
    {
        values.Sort();
        return values.Count == 0 ? 0 : values[(int)Math.Min(values.Count - 1, q * values.Count)];
    }

    /// <summary>One connection: up to 64 fuzzed frames, then the write side closed; the broker must close its side in time.</summary>
    private static async Task<int> RunSessionAsync(string bootstrap, FrameFuzzer fuzzer, ConcurrentQueue<string> failures, CancellationToken ct)
    {
        using var client = new TcpClient();
        var colon = bootstrap.LastIndexOf(':');
        await client.ConnectAsync(bootstrap[..colon], int.Parse(bootstrap[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), ct);
        var stream = client.GetStream();
        var drain = DrainAsync(stream, ct);
        var n = 0;
        var sentFrames = new List<byte[]>();
        try
        {
            for (; n < FramesPerConnection; n++)
            {
                var frame = fuzzer.Next(out var last);
                sentFrames.Add(frame);
                await stream.WriteAsync(frame, ct);
                if (last)
                {
                    n++;
                    break;
                }
            }

            client.Client.Shutdown(SocketShutdown.Send);
        }
        catch (IOException)
        {
            // The broker closed the connection on a malformed frame: what it should do.
        }
        catch (SocketException)
        {
        }

        if (await Task.WhenAny(drain, Task.Delay(TimeSpan.FromSeconds(30), ct)) != drain)
        {
            failures.Enqueue($"a fuzz connection stayed open 30 s after its write side closed ({n} frames sent; the last: " +
                string.Join(", ", sentFrames.TakeLast(3).Select(f => Convert.ToHexString(f.AsSpan(0, Math.Min(f.Length, 96))))) + ")");
        }

        return n;
    }

    private static async Task DrainAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (await stream.ReadAsync(buffer, ct) > 0)
            {
            }
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static async Task<bool> ApiVersionsAnswersAsync(string bootstrap, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        using var client = new TcpClient();
        var colon = bootstrap.LastIndexOf(':');
        try
        {
            await client.ConnectAsync(bootstrap[..colon], int.Parse(bootstrap[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), timeout.Token);
            var stream = client.GetStream();
            // ApiVersions v0: size, api key 18, version 0, correlation 42, client id "probe".
            byte[] request = [0, 0, 0, 15, 0, 18, 0, 0, 0, 0, 0, 42, 0, 5, (byte)'p', (byte)'r', (byte)'o', (byte)'b', (byte)'e'];
            await stream.WriteAsync(request, timeout.Token);
            var header = new byte[10];
            await stream.ReadExactlyAsync(header, timeout.Token);
            return BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4)) == 42 && BinaryPrimitives.ReadInt16BigEndian(header.AsSpan(8)) == 0;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
            return false;
        }
    }

    /// <summary>A producer (acks=all) and a group consumer that do ordinary work beside the fuzzing.</summary>
    private sealed class GoodClients(string bootstrap, string topic)
    {
        private long _acked;
        private long _deliveryErrors;

        public ConcurrentDictionary<long, byte> AckedIds { get; } = new();

        public ConcurrentDictionary<long, byte> ConsumedIds { get; } = new();

        public long Acked => Interlocked.Read(ref _acked);

        public long DeliveryErrors => Interlocked.Read(ref _deliveryErrors);

        public string? Error { get; private set; }

        public void Run(CancellationToken stop)
        {
            try
            {
                using var producer = new ProducerBuilder<Null, string>(Clients.Producer(bootstrap)).Build();
                using var consumer = new ConsumerBuilder<Ignore, string>(Clients.Consumer(bootstrap, "good-group")).Build();
                consumer.Subscribe(topic);
                long id = 0;
                while (!stop.IsCancellationRequested)
                {
                    for (var i = 0; i < 20; i++)
                    {
                        var current = id++;
                        producer.Produce(topic, new Message<Null, string> { Value = current.ToString(System.Globalization.CultureInfo.InvariantCulture) }, d =>
                        {
                            if (d.Error.IsError)
                            {
                                Interlocked.Increment(ref _deliveryErrors);
                            }
                            else
                            {
                                AckedIds[current] = 0;
                                Interlocked.Increment(ref _acked);
                            }
                        });
                    }

                    ConsumeFor(consumer, TimeSpan.FromMilliseconds(20));
                }

                if (producer.Flush(Deadline) != 0)
                {
                    Error = "the good producer could not flush";
                    return;
                }

                var clock = Stopwatch.StartNew();
                while (AckedIds.Keys.Any(k => !ConsumedIds.ContainsKey(k)) && clock.Elapsed < Deadline)
                {
                    ConsumeFor(consumer, TimeSpan.FromMilliseconds(200));
                }

                consumer.Close();
            }
            catch (KafkaException e)
            {
                Error = e.ToString();
            }
        }

        private void ConsumeFor(IConsumer<Ignore, string> consumer, TimeSpan time)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < time)
            {
                var r = consumer.Consume(TimeSpan.FromMilliseconds(10));
                if (r is { IsPartitionEOF: false, Message: not null })
                {
                    ConsumedIds[long.Parse(r.Message.Value, System.Globalization.CultureInfo.InvariantCulture)] = 0;
                }
            }
        }
    }
}
