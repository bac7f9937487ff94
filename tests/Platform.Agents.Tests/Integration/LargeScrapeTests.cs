using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker;
using Platform.Telemetry;
using Platform.Telemetry.V1;
using Platform.TestKit;

namespace Platform.Agents.Tests.Integration;

/// <summary>
/// A scrape endpoint with 100k samples: the tick's metrics go out as several batches, each well under
/// librdkafka's 1,000,000-byte message limit, and every sample arrives, with the host's own samples.
/// </summary>
public sealed class LargeScrapeTests : IDisposable
{
    private const int Samples = 100_000;
    private readonly TempDirectory _dir = new("agent-scrape");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task LargeScrape_IsSplitIntoBatchesUnderOneMegabyte_AndEverySampleArrives()
    {
        var ct = TestContext.Current.CancellationToken;
        var body = new StringBuilder("# TYPE big_metric gauge\n");
        for (var i = 0; i < Samples; i++)
        {
            body.Append("big_metric{shard=\"").Append(i).Append("\",region=\"eu-west-1\"} ").Append(i).Append('\n');
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var server = ServeAsync(listener, Encoding.UTF8.GetBytes(body.ToString()), stop.Token);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var broker = await BrokerServer.StartAsync(TelemetryReadBack.BrokerAt("127.0.0.1:0", Path.Join(_dir.Path, "broker")), NullLoggerFactory.Instance, ct);
        try
        {
            var options = new AgentOptions
            {
                Bootstrap = broker.BootstrapServers,
                Interval = TimeSpan.FromSeconds(30), // one tick
                HostId = "scrape-host",
                StateDirectory = Path.Join(_dir.Path, "agent"),
                CollectContainers = false,
                LogsFromBeginning = true,
            };
            var log = Path.Join(_dir.Path, "app.log");
            File.WriteAllText(log, "one line, so that the logs topic exists for the consumer\n");
            options.LogPaths.Add(log);
            options.ScrapeTargets.Add($"http://127.0.0.1:{port}/metrics");
            var agent = await Agent.StartAsync(options, NullLoggerFactory.Instance, ct);
            await Poll.UntilAsync(() => agent.Counters.PrometheusSamples >= Samples && agent.Counters.BatchesPublished >= 2,
                TimeSpan.FromSeconds(90), "the first tick scraped and publishing", ct);
            await Poll.UntilAsync(() => agent.Spool.PendingRecords == 0 && agent.Counters.BatchesPublished >= (long)agent.MetricSequence + 1,
                TimeSpan.FromSeconds(90), "the first tick's batches published", ct);
            await agent.DisposeAsync(); // the tick is over: its batches are all numbered
            var batches = (int)agent.MetricSequence;
            Assert.True(batches >= 2, "split into several batches");

            var received = new List<(int Size, MetricBatch Batch)>();
            TelemetryReadBack.ReadUntil(broker.BootstrapServers, TimeSpan.FromSeconds(90), () => received.Count >= batches,
                (message, batch) => received.Add((message.Value.Length, batch)), (_, _) => { });

            Assert.Equal(Enumerable.Range(1, batches).Select(i => (ulong)i), received.Select(r => r.Batch.Sequence));
            Assert.All(received, r => Assert.True(r.Size < 1_000_000, $"a record of {r.Size} bytes"));
            Assert.Single(received.Select(r => r.Batch.TimestampUnixMs).Distinct());
            var scraped = received.SelectMany(r => r.Batch.Samples).Where(s => s.Name == "big_metric").Select(s => s.Value).ToList();
            Assert.Equal(Enumerable.Range(0, Samples).Select(i => (double)i), scraped);
            Assert.Contains(received[0].Batch.Samples, s => s.Name == MetricNames.LoadAverage1m);
            Assert.NotNull(received[0].Batch.Host);
        }
        finally
        {
            await stop.CancelAsync();
            listener.Stop();
            await server;
            await broker.DisposeAsync();
        }
    }

    /// <summary>Answers every GET with <paramref name="body"/> until cancelled.</summary>
    private static async Task ServeAsync(TcpListener listener, byte[] body, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                using var client = await listener.AcceptTcpClientAsync(cancellationToken);
                var stream = client.GetStream();
                var buffer = new byte[8192];
                var received = 0;
                while (!Encoding.ASCII.GetString(buffer, 0, received).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(received), cancellationToken);
                    if (n == 0)
                    {
                        break;
                    }

                    received += n;
                }

                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), cancellationToken);
                await stream.WriteAsync(body, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
        }
    }
}
