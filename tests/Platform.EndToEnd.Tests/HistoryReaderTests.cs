using Confluent.Kafka;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker;
using Platform.Dashboard.Services;
using Platform.TestKit;
using Platform.Telemetry.V1;

namespace Platform.EndToEnd.Tests;

/// <summary>The history reader against the real broker: records with timestamps over the past hours, read back by time.</summary>
public sealed class HistoryReaderTests : IAsyncLifetime
{
    private static readonly DateTimeOffset End = DateTimeOffset.UtcNow.AddMinutes(-1);
    private readonly TempDirectory _data = new("history");
    private BrokerServer _broker = null!;

    public async ValueTask InitializeAsync()
    {
        _broker = await BrokerServer.StartAsync(new BrokerOptions { Listen = "127.0.0.1:0", DataDirectory = _data.Path, DefaultPartitions = 3 }, NullLoggerFactory.Instance);

        // Two hosts, one batch every 10 s over the past two hours; the CPU of h1 is the whole minutes since the first
        // batch / 1000 (it rises steadily: the minute of the hour would fall back to 0 at the hour, and a bucket over
        // that turn would average 0.59 with 0).
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers, Acks = Acks.All, LingerMs = 5 }).Build();
        for (var t = End.AddHours(-2); t <= End; t = t.AddSeconds(10))
        {
            foreach (var host in new[] { "h1", "h2" })
            {
                var batch = new MetricBatch { SchemaVersion = 1, HostId = host, TimestampUnixMs = t.ToUnixTimeMilliseconds(), AgentRunId = "r" };
                batch.Samples.Add(new Sample { Name = SeriesNames.CpuUtilization, Unit = "1", Value = host == "h1" ? MinutesSinceStart(t.ToUnixTimeMilliseconds()) / 1000.0 : 0.99 });
                batch.Samples.Add(new Sample { Name = SeriesNames.DiskIo, Unit = "By", Kind = MetricKind.Counter, Value = (t - End.AddHours(-2)).TotalSeconds * 1000 });
                producer.Produce("metrics", new Message<string, byte[]> { Key = host, Value = batch.ToByteArray(), Timestamp = new Timestamp(t.UtcDateTime) });
            }
        }

        producer.Flush(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        await _broker.DisposeAsync();
        _data.Dispose();
    }

    private static long MinutesSinceStart(long timeUnixMs) => (timeUnixMs - End.AddHours(-2).ToUnixTimeMilliseconds()) / 60_000;

    private HistoryReader Reader() => new(new DashboardOptions { Bootstrap = _broker.BootstrapServers }, NullLogger<HistoryReader>.Instance);

    [Fact]
    public async Task ReadAsync_ReturnsOnlyTheRangeOfTheHost_Downsampled()
    {
        var from = End.AddMinutes(-30);
        var history = await Reader().ReadAsync("h1", from, End, 30, TestContext.Current.CancellationToken);

        // 30 minutes of one batch per 10 s: 181 records (both ends included), none of h2.
        Assert.InRange(history.Records, 180, 181);
        Assert.False(history.Truncated);
        var cpu = Assert.Single(history.Named(SeriesNames.HostCpu));
        Assert.Equal(30, cpu.Points.Count);
        Assert.All(cpu.Points, p => Assert.InRange(p.TimeUnixMs, from.ToUnixTimeMilliseconds(), End.ToUnixTimeMilliseconds()));
        // Each one-minute bucket averages the six samples of its minute: its value is that minute's / 1000.
        var bucket = cpu.Points[10];
        var minute = MinutesSinceStart(bucket.TimeUnixMs);
        Assert.InRange(bucket.Value, (minute - 1) / 1000.0, (minute + 1) / 1000.0);
        Assert.DoesNotContain(cpu.Points, p => p.Value > 0.6);

        // Counters come back as rates: 1000 B per second.
        var disk = Assert.Single(history.Named(SeriesNames.DiskIo));
        Assert.All(disk.Points, p => Assert.Equal(1000, p.Value, 3));
    }

    [Fact]
    public async Task ReadAsync_ReturnsNothing_ForARangeBeforeTheLog()
    {
        var history = await Reader().ReadAsync("h1", End.AddDays(-3), End.AddDays(-2), 100, TestContext.Current.CancellationToken);
        Assert.Empty(history.Series);
        Assert.Equal(0, history.Records);
    }

    [Fact]
    public async Task ReadAsync_Rejects_AReversedRange() =>
        await Assert.ThrowsAsync<ArgumentException>(() => Reader().ReadAsync("h1", End, End.AddHours(-1), 100, TestContext.Current.CancellationToken));
}
