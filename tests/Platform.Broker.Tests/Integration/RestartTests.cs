using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Platform.TestKit;

namespace Platform.Broker.Tests.Integration;

/// <summary>Each test runs its own broker and restarts it on the same data directory.</summary>
public class RestartTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Consumer_ResumesFromCommittedOffset_AfterBrokerRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("broker-restart");
        const string topic = "resume";
        const string group = "resume-group";
        var broker = await BrokerServer.StartAsync(BrokerFixture.Options(dir.Path), BrokerFixture.CreateLoggerFactory(), ct);
        try
        {
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build())
            {
                await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]);
            }

            using (var producer = new ProducerBuilder<Null, string>(BrokerFixture.ProducerConfigFor(broker.BootstrapServers)).Build())
            {
                for (var i = 0; i < 100; i++)
                {
                    producer.Produce(topic, new Message<Null, string> { Value = $"r{i}" });
                }

                Assert.Equal(0, producer.Flush(Deadline));
            }

            using (var consumer = new ConsumerBuilder<Null, string>(BrokerFixture.ConsumerConfigFor(broker.BootstrapServers, group)).Build())
            {
                consumer.Subscribe(topic);
                ConsumeResult<Null, string>? last = null;
                for (var n = 0; n < 60;)
                {
                    var r = consumer.Consume(Deadline) ?? throw new TimeoutException("no record");
                    last = r;
                    n++;
                }

                Assert.Equal("r59", last!.Message.Value);
                consumer.Commit(last);
                consumer.Close();
            }
        }
        finally
        {
            await broker.DisposeAsync();
        }

        // Same data directory, new port: the log and the group's committed offset come back.
        broker = await BrokerServer.StartAsync(BrokerFixture.Options(dir.Path), BrokerFixture.CreateLoggerFactory(), ct);
        await using (broker)
        {
            using var consumer = new ConsumerBuilder<Null, string>(BrokerFixture.ConsumerConfigFor(broker.BootstrapServers, group)).Build();
            consumer.Subscribe(topic);
            var first = consumer.Consume(Deadline) ?? throw new TimeoutException("no record after restart");
            Assert.Equal("r60", first.Message.Value);
            Assert.Equal(60, first.Offset.Value);
            consumer.Close();
        }
    }

    [Fact]
    public async Task CommittedOffsetMetadata_SurvivesRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("broker-restart");
        var broker = await BrokerServer.StartAsync(BrokerFixture.Options(dir.Path), BrokerFixture.CreateLoggerFactory(), ct);
        try
        {
            broker.Log.CreateTopic("meta", 2);
            await using var raw = await RawKafkaClient.ConnectAsync(broker.BootstrapServers);
            // OffsetCommit v2: group, generation -1, member "", retention -1, [topic [partition 1, offset 42, metadata]].
            var response = new ResponseReader(await raw.SendAsync(8, 2, w => w
                .String("meta-group").Int32(-1).String("").Int64(-1)
                .Int32(1).String("meta").Int32(1).Int32(1).Int64(42).String("checkpoint:7"), ct));
            Assert.Equal(1, response.Int32());
            Assert.Equal("meta", response.String());
            Assert.Equal(1, response.Int32());
            Assert.Equal(1, response.Int32());
            Assert.Equal(0, response.Int16());
        }
        finally
        {
            await broker.DisposeAsync();
        }

        broker = await BrokerServer.StartAsync(BrokerFixture.Options(dir.Path), BrokerFixture.CreateLoggerFactory(), ct);
        await using (broker)
        {
            await using var raw = await RawKafkaClient.ConnectAsync(broker.BootstrapServers);
            // OffsetFetch v3: group, [topic [partitions]] → throttle, topics [name, [index, offset, metadata, error]], error.
            var r = new ResponseReader(await raw.SendAsync(9, 3, w => w.String("meta-group").Int32(1).String("meta").Int32(1).Int32(1), ct));
            Assert.Equal(0, r.Int32());
            Assert.Equal(1, r.Int32());
            Assert.Equal("meta", r.String());
            Assert.Equal(1, r.Int32());
            Assert.Equal(1, r.Int32());
            Assert.Equal(42, r.Int64());
            Assert.Equal("checkpoint:7", r.String());
            Assert.Equal(0, r.Int16());
            Assert.Equal(0, r.Int16());
        }
    }

    [Fact]
    public async Task IdempotentProducerState_SurvivesRestart_SoARetryIsNotAppendedAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("broker-restart");
        long producerId;
        var broker = await BrokerServer.StartAsync(BrokerFixture.Options(dir.Path), BrokerFixture.CreateLoggerFactory(), ct);
        try
        {
            broker.Log.CreateTopic("idem", 1);
            await using var raw = await RawKafkaClient.ConnectAsync(broker.BootstrapServers);
            var init = new ResponseReader(await raw.SendAsync(22, 0, w => w.String(null).Int32(60000), ct));
            init.Int32();
            Assert.Equal(0, init.Int16());
            producerId = init.Int64();
            Assert.Equal((0, 0L), await ProduceAsync(raw, TestBatch.Build(producerId, 0, 0, 1000, "x", "y"), ct));
        }
        finally
        {
            await broker.DisposeAsync();
        }

        broker = await BrokerServer.StartAsync(BrokerFixture.Options(dir.Path), BrokerFixture.CreateLoggerFactory(), ct);
        await using (broker)
        {
            await using var raw = await RawKafkaClient.ConnectAsync(broker.BootstrapServers);
            // The retry of the acknowledged batch gets its original offset and appends nothing.
            Assert.Equal((0, 0L), await ProduceAsync(raw, TestBatch.Build(producerId, 0, 0, 1000, "x", "y"), ct));
            Assert.Equal((0, 2L), await ProduceAsync(raw, TestBatch.Build(producerId, 0, 2, 1000, "z"), ct));
            Assert.True(broker.Log.TryGetTopic("idem", out var topic));
            Assert.Equal(3, topic.Partitions[0].LogEndOffset);

            // A new producer id is never one handed out before the restart.
            var init = new ResponseReader(await raw.SendAsync(22, 0, w => w.String(null).Int32(60000), ct));
            init.Int32();
            init.Int16();
            Assert.NotEqual(producerId, init.Int64());
        }
    }

    [Fact]
    public async Task ConnectionLimit_ClosesConnectionsBeyondIt_AndServesTheOthers()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("broker-limits");
        var options = BrokerFixture.Options(dir.Path);
        options.MaxConnections = 2;
        await using var broker = await BrokerServer.StartAsync(options, BrokerFixture.CreateLoggerFactory(), ct);
        await using var a = await RawKafkaClient.ConnectAsync(broker.BootstrapServers);
        await using var b = await RawKafkaClient.ConnectAsync(broker.BootstrapServers);
        Assert.Equal(0, new ResponseReader(await a.SendAsync(18, 0, _ => { }, ct)).Int16());
        Assert.Equal(0, new ResponseReader(await b.SendAsync(18, 0, _ => { }, ct)).Int16());

        await using var c = await RawKafkaClient.ConnectAsync(broker.BootstrapServers);
        await c.SendRawAsync(new RequestWriter().Int16(18).Int16(0).Int32(1).String("c").ToFrame(), ct);
        Assert.Null(await c.ReadFrameAsync(ct).WaitAsync(Deadline, ct));

        Assert.Equal(0, new ResponseReader(await a.SendAsync(18, 0, _ => { }, ct)).Int16());
    }

    private static async Task<(short Error, long BaseOffset)> ProduceAsync(RawKafkaClient raw, byte[] batch, CancellationToken ct)
    {
        var r = new ResponseReader(await raw.SendAsync(0, 3, w => w.String(null).Int16(-1).Int32(10000)
            .Int32(1).String("idem").Int32(1).Int32(0).Bytes(batch), ct));
        r.Int32();
        r.String();
        r.Int32();
        r.Int32();
        return (r.Int16(), r.Int64());
    }
}
