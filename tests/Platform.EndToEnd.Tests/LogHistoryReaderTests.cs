using Confluent.Kafka;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker;
using Platform.Dashboard.Services;
using Platform.Telemetry;
using Platform.Telemetry.V1;
using Platform.TestKit;

namespace Platform.EndToEnd.Tests;

/// <summary>The log history reader against the real broker: twelve hosts' lines over three partitions, read back for one host.</summary>
public sealed class LogHistoryReaderTests : IAsyncLifetime
{
    private const int BatchesPerHost = 5;
    private static readonly DateTimeOffset End = DateTimeOffset.UtcNow.AddMinutes(-1);
    private static readonly string[] Hosts = Enumerable.Range(1, 12).Select(i => $"h{i}").ToArray();
    private readonly TempDirectory _data = new("log-history");
    private BrokerServer _broker = null!;

    public async ValueTask InitializeAsync()
    {
        _broker = await BrokerServer.StartAsync(new BrokerOptions { Listen = "127.0.0.1:0", DataDirectory = _data.Path, DefaultPartitions = 3 }, NullLoggerFactory.Instance);
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers, Acks = Acks.All, LingerMs = 5 }).Build();
        for (var i = 0; i < BatchesPerHost; i++)
        {
            var at = End.AddMinutes(-10 + i);
            foreach (var host in Hosts)
            {
                producer.Produce(Topics.Logs, Message(host, at, $"line {i} of {host}"));
            }
        }

        // A host whose records sit where its key does not go now (written under another partition count).
        var moved = Enumerable.Range(0, 3).First(p => p != KeyPartitioner.PartitionFor(TelemetryCodec.EncodeKey("moved"), 3));
        producer.Produce(new TopicPartition(Topics.Logs, moved), Message("moved", End.AddMinutes(-5), "line of moved"));
        producer.Flush(TimeSpan.FromSeconds(30));
    }

    private static Message<string, byte[]> Message(string host, DateTimeOffset at, string text)
    {
        var batch = new LogBatch { SchemaVersion = 1, HostId = host, TimestampUnixMs = at.ToUnixTimeMilliseconds(), AgentRunId = "r" };
        batch.Records.Add(new LogRecord { TimestampUnixMs = at.ToUnixTimeMilliseconds(), Source = "/var/log/app.log", Severity = Severity.Info, Message = text });
        return new Message<string, byte[]> { Key = host, Value = batch.ToByteArray(), Timestamp = new Timestamp(at.UtcDateTime) };
    }

    public async ValueTask DisposeAsync()
    {
        await _broker.DisposeAsync();
        _data.Dispose();
    }

    private DashboardOptions Options(int slots = 2) => new() { Bootstrap = _broker.BootstrapServers, MaxConcurrentHistoryReads = slots };

    [Fact]
    public async Task ReadAsync_ReadsOnlyTheHostsPartition_WhenTheHostIsGiven()
    {
        using var reader = new LogHistoryReader(Options(), NullLogger<LogHistoryReader>.Instance);
        var ct = TestContext.Current.CancellationToken;
        var history = await reader.ReadAsync(End.AddHours(-1), End, l => l.HostId == "h1", ct, host: "h1");
        Assert.Equal(BatchesPerHost, history.Lines.Count);
        Assert.All(history.Lines, l => Assert.Equal("h1", l.HostId));
        var sharing = Hosts.Count(h => KeyPartitioner.PartitionFor(TelemetryCodec.EncodeKey(h), 3) == KeyPartitioner.PartitionFor(TelemetryCodec.EncodeKey("h1"), 3));
        Assert.True(sharing < Hosts.Length, "the hosts should spread over the partitions");
        Assert.True(history.Scanned <= sharing * BatchesPerHost + 1, $"scanned {history.Scanned}, h1's partition holds {sharing * BatchesPerHost}");

        // Without a host, every partition.
        var all = await reader.ReadAsync(End.AddHours(-1), End, _ => true, ct);
        Assert.Equal(Hosts.Length * BatchesPerHost + 1, all.Lines.Count);
    }

    [Fact]
    public async Task ReadAsync_ReadsEveryPartition_WhenTheHostsOwnHoldsNoneOfIt()
    {
        using var reader = new LogHistoryReader(Options(), NullLogger<LogHistoryReader>.Instance);
        var history = await reader.ReadAsync(End.AddHours(-1), End, l => l.HostId == "moved", TestContext.Current.CancellationToken, host: "moved");
        Assert.Equal("line of moved", Assert.Single(history.Lines).Message);
    }

    [Fact]
    public async Task ReadAsync_WaitsForASlotSharedWithTheMetricsHistory()
    {
        var options = Options(slots: 1);
        using var metrics = new HistoryReader(options, NullLogger<HistoryReader>.Instance);
        using var reader = new LogHistoryReader(options, NullLogger<LogHistoryReader>.Instance, metrics);
        var ct = TestContext.Current.CancellationToken;
        await metrics.Scans.WaitAsync(ct);
        Task<LogHistory> read;
        try
        {
            read = reader.ReadAsync(End.AddHours(-1), End, _ => true, ct, host: "h1");
            await Task.WhenAny(read, Task.Delay(TimeSpan.FromMilliseconds(500), ct));
            Assert.False(read.IsCompleted, "the log read should wait while the only slot is taken");
        }
        finally
        {
            metrics.Scans.Release();
        }

        Assert.Equal(BatchesPerHost, (await read).Lines.Count);
    }
}
