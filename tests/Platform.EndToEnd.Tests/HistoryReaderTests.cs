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

    // Twelve hosts over three partitions: h1's partition holds some of the others too, the other two none of h1's.
    private static readonly string[] Hosts = Enumerable.Range(1, 12).Select(i => $"h{i}").ToArray();
    private readonly Dictionary<string, int> _partitionOf = new(StringComparer.Ordinal);
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
            foreach (var host in Hosts)
            {
                var batch = new MetricBatch { SchemaVersion = 1, HostId = host, TimestampUnixMs = t.ToUnixTimeMilliseconds(), AgentRunId = "r" };
                batch.Samples.Add(new Sample { Name = SeriesNames.CpuUtilization, Unit = "1", Value = host == "h1" ? MinutesSinceStart(t.ToUnixTimeMilliseconds()) / 1000.0 : 0.99 });
                batch.Samples.Add(new Sample { Name = SeriesNames.DiskIo, Unit = "By", Kind = MetricKind.Counter, Value = (t - End.AddHours(-2)).TotalSeconds * 1000 });
                producer.Produce("metrics", new Message<string, byte[]> { Key = host, Value = batch.ToByteArray(), Timestamp = new Timestamp(t.UtcDateTime) },
                    report =>
                    {
                        lock (_partitionOf)
                        {
                            _partitionOf[host] = report.Partition.Value;
                        }
                    });
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
    public void PartitionFor_IsWhereTheProducersDefaultPartitionerPutEachHost()
    {
        // The producer above uses librdkafka's default partitioner, as the agent does.
        Assert.Equal(Hosts.Length, _partitionOf.Count);
        foreach (var host in Hosts)
        {
            Assert.Equal(_partitionOf[host], KeyPartitioner.PartitionFor(System.Text.Encoding.UTF8.GetBytes(host), 3));
        }

        Assert.True(_partitionOf.Values.Distinct().Count() > 1, "the hosts should spread over the partitions");
    }

    [Fact]
    public async Task ReadAsync_ReadsOnlyTheHostsPartition_AmongManyHosts()
    {
        var from = End.AddMinutes(-30);
        var history = await Reader().ReadAsync("h1", from, End, 30, TestContext.Current.CancellationToken);

        // 181 batches per host over the 30 minutes (plus the minute of slack after End, which holds none): only the hosts
        // sharing h1's partition are read, not the twelve.
        var sharing = Hosts.Count(h => _partitionOf[h] == _partitionOf["h1"]);
        Assert.InRange(history.Records, 180, 181);
        Assert.InRange(history.Scanned, 180 * sharing, 181 * sharing);
        Assert.True(sharing < Hosts.Length);
        Assert.False(history.Sampled);
    }

    [Fact]
    public async Task ReadAsync_SamplesALongRange_WithBucketsAcrossTheWholeRange()
    {
        var from = End.AddHours(-2);
        // Sample whenever the partition holds more than 100 records over the range (the 24 h case at 1,000 hosts).
        var reader = new HistoryReader(new DashboardOptions { Bootstrap = _broker.BootstrapServers }, NullLogger<HistoryReader>.Instance) { SampleAbove = 100, RecordsPerBucket = 2 };
        var history = await reader.ReadAsync("h1", from, End, 24, TestContext.Current.CancellationToken);

        Assert.True(history.Sampled);
        Assert.False(history.Truncated);
        var cpu = Assert.Single(history.Named(SeriesNames.HostCpu));
        // A point in every 5-minute bucket, the first and the last included, each near its own minute's value.
        Assert.Equal(24, cpu.Points.Count);
        Assert.InRange(cpu.Points[0].TimeUnixMs, from.ToUnixTimeMilliseconds(), from.AddMinutes(5).ToUnixTimeMilliseconds());
        Assert.InRange(cpu.Points[^1].TimeUnixMs, End.AddMinutes(-5).ToUnixTimeMilliseconds(), End.ToUnixTimeMilliseconds());
        Assert.All(cpu.Points, p => Assert.InRange(p.Value, (MinutesSinceStart(p.TimeUnixMs) - 3) / 1000.0, (MinutesSinceStart(p.TimeUnixMs) + 3) / 1000.0));
        // Two of h1's records per bucket, and far fewer records read than the partition holds over the range.
        Assert.InRange(history.Records, 24, 48);
        var sharing = Hosts.Count(h => _partitionOf[h] == _partitionOf["h1"]);
        Assert.True(history.Scanned < 721 * sharing / 4, $"read {history.Scanned} records");
    }

    [Fact]
    public async Task ReadAsync_LeavesOutARepeatedBatch_OfTheSameAgentRun()
    {
        // The agent delivers at least once: after its crash, batches the broker took are sent again with their run and
        // sequence. Ten batches, each produced twice, then a new run starting again at sequence 1.
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers, Acks = Acks.All }).Build())
        {
            void Send(string run, ulong sequence, DateTimeOffset at, double cpu)
            {
                var batch = new MetricBatch { SchemaVersion = 1, HostId = "dup", TimestampUnixMs = at.ToUnixTimeMilliseconds(), AgentRunId = run, Sequence = sequence };
                batch.Samples.Add(new Sample { Name = SeriesNames.CpuUtilization, Unit = "1", Value = cpu });
                producer.Produce("metrics", new Message<string, byte[]> { Key = "dup", Value = batch.ToByteArray(), Timestamp = new Timestamp(at.UtcDateTime) });
            }

            for (ulong i = 1; i <= 10; i++)
            {
                var at = End.AddMinutes(-10).AddSeconds(10 * (int)i);
                Send("run-1", i, at, 0.5);
                Send("run-1", i, at, 0.5);
            }

            Send("run-2", 1, End.AddMinutes(-5), 0.5);
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        var history = await Reader().ReadAsync("dup", End.AddMinutes(-15), End, 30, TestContext.Current.CancellationToken);

        Assert.Equal(11, history.Records);
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
