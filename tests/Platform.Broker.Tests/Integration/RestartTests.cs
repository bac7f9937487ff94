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
}
