using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Platform.Broker.Storage;

namespace Platform.Broker.Tests.Integration;

/// <summary>Topic settings through Confluent.Kafka's AdminClient: CreateTopics, DescribeConfigs, IncrementalAlterConfigs.</summary>
[Collection(BrokerCollectionDefinition.Name)]
public class TopicConfigTests(BrokerFixture fixture)
{
    [Fact]
    public async Task CreateTopics_AcceptsHarmlessKafkaKeys_AndDescribeConfigsReportsTheTopicsOwnRetention()
    {
        var topic = BrokerFixture.UniqueTopic("described");
        using var admin = new AdminClientBuilder(fixture.AdminConfig()).Build();
        await admin.CreateTopicsAsync([new TopicSpecification
        {
            Name = topic,
            NumPartitions = 1,
            ReplicationFactor = 1,
            Configs = new()
            {
                ["retention.ms"] = "3600000",
                ["min.insync.replicas"] = "1",
                ["compression.type"] = "producer",
                ["unclean.leader.election.enable"] = "false",
                ["message.downconversion.enable"] = "true",
            },
        }]);

        var result = (await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = topic }])).Single();

        var retention = result.Entries["retention.ms"];
        Assert.Equal("3600000", retention.Value);
        Assert.False(retention.IsDefault);
        Assert.Equal(ConfigSource.DynamicTopicConfig, retention.Source);
        var segment = result.Entries["segment.bytes"];
        Assert.Equal(TopicConfig.Default.SegmentBytes!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), segment.Value);
        Assert.True(segment.IsDefault);
        Assert.Equal("delete", result.Entries["cleanup.policy"].Value);
        Assert.DoesNotContain("min.insync.replicas", result.Entries.Keys);
    }

    [Theory]
    [InlineData("no.such.setting", "1")]
    [InlineData("min.insync.replicas", "many")]
    [InlineData("compression.type", "gzip")]
    [InlineData("retention.ms", "-5")]
    public async Task CreateTopics_RejectsUnknownKeysAndBadValues_WithInvalidConfig(string key, string value)
    {
        using var admin = new AdminClientBuilder(fixture.AdminConfig()).Build();
        var error = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync(
            [new TopicSpecification { Name = BrokerFixture.UniqueTopic("badcfg"), NumPartitions = 1, Configs = new() { [key] = value } }]));

        Assert.Equal(Confluent.Kafka.ErrorCode.InvalidConfig, error.Results.Single().Error.Code);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_ChangesRetentionOfALiveTopic_WhichTakesEffectAndIsPersisted()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("altered");
        using var admin = new AdminClientBuilder(fixture.AdminConfig()).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["segment.bytes"] = "1024" } }]);
        using (var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build())
        {
            for (var i = 0; i < 40; i++)
            {
                await producer.ProduceAsync(topic, new Message<Null, string> { Value = new string('x', 200) }, ct);
            }
        }

        Assert.True(fixture.Broker.Log.TryGetTopic(topic, out var log));
        var partition = log.Partitions[0];
        fixture.Broker.Log.EnforceRetention();
        Assert.Equal(0, partition.LogStartOffset); // no size limit yet

        var resource = new ConfigResource { Type = ResourceType.Topic, Name = topic };
        await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [resource] =
            [
                new ConfigEntry { Name = "retention.bytes", Value = "2048", IncrementalOperation = AlterConfigOpType.Set },
                new ConfigEntry { Name = "retention.ms", Value = "86400000", IncrementalOperation = AlterConfigOpType.Set },
            ],
        });

        fixture.Broker.Log.EnforceRetention();
        Assert.True(partition.LogStartOffset > 0, "retention.bytes=2048 deleted old segments");
        var described = (await admin.DescribeConfigsAsync([resource])).Single().Entries;
        Assert.Equal("2048", described["retention.bytes"].Value);
        Assert.Equal("86400000", described["retention.ms"].Value);
        Assert.Equal("1024", described["segment.bytes"].Value);
        var onDisk = Platform.Broker.Storage.TopicMetadata.TryRead(partition.Directory, out _);
        Assert.NotNull(onDisk);
        Assert.Equal("2048", onDisk.Config["retention.bytes"]);

        // DELETE returns a setting to the broker default.
        await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [resource] = [new ConfigEntry { Name = "retention.ms", IncrementalOperation = AlterConfigOpType.Delete }],
        });
        Assert.True(fixture.Broker.Log.TryGetTopic(topic, out log));
        Assert.Null(log.Config.RetentionMs);
        Assert.True((await admin.DescribeConfigsAsync([resource])).Single().Entries["retention.ms"].IsDefault);

        var bad = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [resource] = [new ConfigEntry { Name = "retention.bytes", Value = "lots", IncrementalOperation = AlterConfigOpType.Set }],
        }));
        Assert.Equal(Confluent.Kafka.ErrorCode.InvalidConfig, bad.Results.Single().Error.Code);
    }

    [Fact]
    public async Task DescribeConfigs_OfTheBroker_ListsItsDefaults()
    {
        using var admin = new AdminClientBuilder(fixture.AdminConfig()).Build();

        var result = (await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Broker, Name = "1" }])).Single();

        Assert.Equal(TopicConfig.Default.RetentionMs!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Entries["log.retention.ms"].Value);
        Assert.Equal("-1", result.Entries["log.retention.bytes"].Value);
        Assert.Equal("3", result.Entries["num.partitions"].Value);
        Assert.True(result.Entries["log.retention.ms"].IsReadOnly);
    }

    [Fact]
    public async Task DescribeConfigsV0_ReportsIsDefault_ForTheRequestedKeysOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("describev0");
        fixture.Broker.Log.CreateTopic(topic, 1, new TopicConfig { RetentionMs = 60000 });
        await using var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);

        // DescribeConfigs v0: [resource type 2, name, keys [retention.ms, segment.bytes]].
        var r = new ResponseReader(await raw.SendAsync(32, 0, w => w.Int32(1).Int8(2).String(topic).Int32(2).String("retention.ms").String("segment.bytes"), ct));

        Assert.Equal(0, r.Int32()); // throttle
        Assert.Equal(1, r.Int32());
        Assert.Equal(0, r.Int16());
        Assert.Null(r.String());
        Assert.Equal(2, r.Bytes(1)[0]); // resource type
        Assert.Equal(topic, r.String());
        Assert.Equal(2, r.Int32());
        Assert.Equal(("retention.ms", "60000"), (r.String(), r.String()));
        Assert.Equal([0, 0, 0], r.Bytes(3)); // read-only false, is_default false, sensitive false
        Assert.Equal("segment.bytes", r.String());
        r.String();
        Assert.Equal([0, 1, 0], r.Bytes(3)); // is_default true
        Assert.Equal(0, r.Remaining);
    }

    [Fact]
    public async Task AlterConfigs_ReplacesTheTopicsOwnSettings_WithExactlyTheOnesGiven()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("replaced");
        fixture.Broker.Log.CreateTopic(topic, 1, new TopicConfig { SegmentBytes = 4096, RetentionMs = 60000 });
        await using var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);

        // AlterConfigs v0: [resource type 2, name, configs [retention.bytes = 1000000]], validate_only false.
        var r = new ResponseReader(await raw.SendAsync(33, 0, w => w.Int32(1).Int8(2).String(topic).Int32(1).String("retention.bytes").String("1000000").Int8(0), ct));

        Assert.Equal(0, r.Int32());
        Assert.Equal(1, r.Int32());
        Assert.Equal(0, r.Int16());
        Assert.Null(r.String());
        Assert.True(fixture.Broker.Log.TryGetTopic(topic, out var log));
        Assert.Equal(new TopicConfig { RetentionBytes = 1_000_000 }, log.Config);
    }
}
