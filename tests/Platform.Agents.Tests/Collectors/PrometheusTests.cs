using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Agents.Collectors.Prometheus;
using Platform.Agents.Health;
using Platform.Telemetry.V1;
using static Platform.Agents.Tests.FixtureTree;

namespace Platform.Agents.Tests.Collectors;

public sealed class PrometheusTests
{
    private const string Exposition = """
        # HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
        # TYPE node_cpu_seconds_total counter
        node_cpu_seconds_total{cpu="0",mode="idle"} 385.76
        node_cpu_seconds_total{cpu="0",mode="user"} 64.55
        # TYPE node_load1 gauge
        node_load1 0.28
        # TYPE http_request_duration_seconds histogram
        http_request_duration_seconds_bucket{le="0.1"} 5
        http_request_duration_seconds_bucket{le="+Inf"} 7
        http_request_duration_seconds_sum 1.5
        http_request_duration_seconds_count 7
        # TYPE app_info gauge
        app_info{version="1.2 \"beta\"",path="C:\\tmp",note="a\nb"} 1 1764000000123
        untyped_thing NaN
        weird_value -Inf
        this is not a sample
        """;

    [Fact]
    public void Parse_ReadsSamplesLabelsKindsAndSpecialValues()
    {
        var (samples, bad) = PrometheusTextParser.Parse(Exposition, new Label { Name = "instance", Value = "127.0.0.1:9100" });

        Assert.Equal(1, bad);
        Assert.Equal(10, samples.Count);
        var idle = samples[0];
        Assert.Equal(("node_cpu_seconds_total", 385.76, MetricKind.Counter), (idle.Name, idle.Value, idle.Kind));
        Assert.Equal(["cpu=0", "mode=idle", "instance=127.0.0.1:9100"], idle.Labels.Select(l => $"{l.Name}={l.Value}"));
        Assert.Equal((0.28, MetricKind.Gauge), (samples[2].Value, samples[2].Kind));
        Assert.All(samples.Skip(3).Take(4), s => Assert.Equal(MetricKind.Counter, s.Kind)); // histogram parts
        Assert.Equal("+Inf", samples[4].Labels[0].Value);
        var info = samples[7];
        Assert.Equal(["1.2 \"beta\"", "C:\\tmp", "a\nb"], info.Labels.Take(3).Select(l => l.Value));
        Assert.Equal(1764000000123, info.TimestampUnixMs);
        Assert.True(double.IsNaN(samples[8].Value));
        Assert.Equal(double.NegativeInfinity, samples[9].Value);
    }

    [Fact]
    public async Task Scraper_ForwardsSamples_FromAnHttpEndpoint_AndCountsFailures()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
            var stream = client.GetStream();
            var buffer = new byte[4096];
            var received = 0;
            while (!Encoding.ASCII.GetString(buffer, 0, received).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                received += await stream.ReadAsync(buffer.AsMemory(received), TestContext.Current.CancellationToken);
            }

            var body = Encoding.UTF8.GetBytes("# TYPE up gauge\nup 1\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), TestContext.Current.CancellationToken);
            await stream.WriteAsync(body, TestContext.Current.CancellationToken);
        }, TestContext.Current.CancellationToken);
        var counters = new AgentCounters();
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now
        using var scraper = new PrometheusScraper([$"http://127.0.0.1:{port}/metrics", $"http://127.0.0.1:{closedPort}/metrics"], TimeSpan.FromSeconds(5), counters, NullLogger.Instance);
        var (batch, sink) = NewBatch();

        await scraper.CollectAsync(sink, 0, TestContext.Current.CancellationToken);
        await server;

        Assert.Equal(1, Value(batch, "up", ("instance", $"127.0.0.1:{port}")));
        Assert.Equal(1, counters.CollectErrors);
        Assert.Equal(1, counters.PrometheusSamples);
    }

    [Fact]
    public async Task Scraper_RefusesAndCounts_AResponseOverTheCap()
    {
        var ct = TestContext.Current.CancellationToken;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var line = Encoding.ASCII.GetBytes("up{pad=\"" + new string('x', 1000) + "\"} 1\n");
        var lines = (PrometheusScraper.MaxResponseBytes / line.Length) + 100;
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(ct);
            var stream = client.GetStream();
            var buffer = new byte[4096];
            var received = 0;
            while (!Encoding.ASCII.GetString(buffer, 0, received).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                received += await stream.ReadAsync(buffer.AsMemory(received), ct);
            }

            try
            {
                // No Content-Length: the client only finds out while reading.
                await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"), ct);
                for (var i = 0; i < lines; i++)
                {
                    await stream.WriteAsync(line, ct);
                }
            }
            catch (IOException)
            {
                // the client gave up at the cap
            }
        }, ct);
        var counters = new AgentCounters();
        using var scraper = new PrometheusScraper([$"http://127.0.0.1:{port}/metrics"], TimeSpan.FromSeconds(30), counters, NullLogger.Instance);
        var (batch, sink) = NewBatch();

        await scraper.CollectAsync(sink, 0, ct);
        await server;

        Assert.Empty(batch.Samples);
        Assert.Equal(1, counters.CollectErrorsOf(CollectorKind.Scrape));
    }
}
