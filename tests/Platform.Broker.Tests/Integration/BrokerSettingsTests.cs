using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker.Storage;
using Platform.TestKit;

namespace Platform.Broker.Tests.Integration;

/// <summary>Broker settings that change what clients see or when data reaches the disk.</summary>
public class BrokerSettingsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AdvertisedListen_IsTheAddressInMetadataAndFindCoordinator()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("broker-advertised");
        var options = BrokerFixture.Options(dir.Path);
        options.AdvertisedListen = "kafka.example.net:19092";
        await using var broker = await BrokerServer.StartAsync(options, NullLoggerFactory.Instance, ct);
        await using var raw = await RawKafkaClient.ConnectAsync(broker.BootstrapServers);

        // Metadata v1 with no topics: brokers [node id, host, port, rack], ...
        var metadata = new ResponseReader(await raw.SendAsync(3, 1, w => w.Int32(0), ct));
        Assert.Equal(1, metadata.Int32());
        Assert.Equal(1, metadata.Int32());
        Assert.Equal("kafka.example.net", metadata.String());
        Assert.Equal(19092, metadata.Int32());

        // FindCoordinator v0: key → error, node id, host, port.
        var coordinator = new ResponseReader(await raw.SendAsync(10, 0, w => w.String("some-group"), ct));
        Assert.Equal(0, coordinator.Int16());
        Assert.Equal(1, coordinator.Int32());
        Assert.Equal("kafka.example.net", coordinator.String());
        Assert.Equal(19092, coordinator.Int32());
    }

    [Theory]
    [InlineData("no-port")]
    [InlineData("host:0")]
    [InlineData(":9092")]
    public async Task AdvertisedListen_IsRejectedAtStart_WhenItIsNotHostAndPort(string value)
    {
        using var dir = new TempDirectory("broker-advertised-bad");
        var options = BrokerFixture.Options(dir.Path);
        options.AdvertisedListen = value;

        await Assert.ThrowsAsync<ArgumentException>(() => BrokerServer.StartAsync(options, NullLoggerFactory.Instance, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task FlushBytes_ForcesAGroupCommitOnceThatManyBytesAreUnflushed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("broker-flushbytes");
        var options = BrokerFixture.Options(dir.Path);
        options.FlushMode = FlushMode.GroupCommit;
        options.FlushInterval = TimeSpan.FromHours(1); // only the byte threshold can trigger a flush here
        options.FlushBytes = 8 * 1024;
        await using var broker = await BrokerServer.StartAsync(options, NullLoggerFactory.Instance, ct);
        var topic = BrokerFixture.UniqueTopic("flushbytes");
        var partition = broker.Log.CreateTopic(topic, 1).Partitions[0];
        using var producer = new ProducerBuilder<Null, string>(BrokerFixture.ProducerConfigFor(broker.BootstrapServers)).Build();

        await producer.ProduceAsync(topic, new Message<Null, string> { Value = "small" }, ct);
        Assert.True(partition.UnflushedBytes > 0, "a small append stays unflushed until the interval");

        await producer.ProduceAsync(topic, new Message<Null, string> { Value = new string('x', 10 * 1024) }, ct);
        await Poll.UntilAsync(() => partition.UnflushedBytes == 0, Deadline, "the byte threshold to flush the partition", ct);
    }
}
