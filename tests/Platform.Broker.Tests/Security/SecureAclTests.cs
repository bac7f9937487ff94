using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Platform.Broker.Tests.Integration;

namespace Platform.Broker.Tests.Security;

/// <summary>
/// The ACLs per API as Confluent.Kafka's admin client and consumer meet them: TOPIC_AUTHORIZATION_FAILED (29) and
/// GROUP_AUTHORIZATION_FAILED (30) for principals without the operation (agent: Write on metrics and logs; reader: Read on
/// shared* and reader-* groups). What a client cannot send once an earlier request is refused (Heartbeat, SyncGroup and
/// LeaveGroup after JoinGroup; ListOffsets after Metadata hid the topic) is covered over raw sockets in
/// <see cref="SaslProtocolTests"/>.
/// </summary>
[Collection(SecureBrokerCollectionDefinition.Name)]
public class SecureAclTests(SecureBrokerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private IAdminClient Admin(string user, string password)
    {
        var producer = fixture.Producer(user, password);
        return new AdminClientBuilder(new AdminClientConfig(producer)).SetLogHandler((_, _) => { }).Build();
    }

    [Fact]
    public async Task Configs_DescribeNeedsDescribe_AndAlteringNeedsCreate()
    {
        var metrics = new ConfigResource { Type = ResourceType.Topic, Name = "metrics" };
        using var reader = Admin("reader", SecureBrokerFixture.ReaderPassword);

        var refused = await Assert.ThrowsAsync<DescribeConfigsException>(() => reader.DescribeConfigsAsync([metrics], new DescribeConfigsOptions { RequestTimeout = Timeout }));
        Assert.Equal(Confluent.Kafka.ErrorCode.TopicAuthorizationFailed, Assert.Single(refused.Results).Error.Code);

        // The agent may write metrics, which implies Describe: it reads the settings but cannot change them.
        using var agent = Admin("agent", SecureBrokerFixture.AgentPassword);
        var described = Assert.Single(await agent.DescribeConfigsAsync([metrics], new DescribeConfigsOptions { RequestTimeout = Timeout }));
        Assert.Contains("retention.ms", described.Entries.Keys);
        var alter = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => agent.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>>
            {
                [metrics] = [new ConfigEntry { Name = "retention.ms", Value = "1000", IncrementalOperation = AlterConfigOpType.Set }],
            },
            new IncrementalAlterConfigsOptions { RequestTimeout = Timeout }));
        Assert.Equal(Confluent.Kafka.ErrorCode.TopicAuthorizationFailed, Assert.Single(alter.Results).Error.Code);

        using var superUser = Admin("admin", SecureBrokerFixture.AdminPassword);
        var after = Assert.Single(await superUser.DescribeConfigsAsync([metrics], new DescribeConfigsOptions { RequestTimeout = Timeout }));
        Assert.NotEqual("1000", after.Entries["retention.ms"].Value);
    }

    [Fact]
    public async Task CreateTopics_WithoutCreate_Answers29()
    {
        using var admin = Admin("agent", SecureBrokerFixture.AgentPassword);

        var e = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync(
            [new TopicSpecification { Name = BrokerFixture.UniqueTopic("agent-made"), NumPartitions = 1, ReplicationFactor = 1 }],
            new CreateTopicsOptions { RequestTimeout = Timeout }));

        Assert.Equal(Confluent.Kafka.ErrorCode.TopicAuthorizationFailed, Assert.Single(e.Results).Error.Code);
    }

    [Fact]
    public async Task DeleteTopics_WithoutDelete_Answers29_AndTheTopicStays()
    {
        using var admin = Admin("agent", SecureBrokerFixture.AgentPassword);

        var e = await Assert.ThrowsAsync<DeleteTopicsException>(() => admin.DeleteTopicsAsync(["metrics"], new DeleteTopicsOptions { RequestTimeout = Timeout }));

        Assert.Equal(Confluent.Kafka.ErrorCode.TopicAuthorizationFailed, Assert.Single(e.Results).Error.Code);
        using var superUser = Admin("admin", SecureBrokerFixture.AdminPassword);
        Assert.Contains(superUser.GetMetadata(Timeout).Topics, t => t.Topic == "metrics");
    }

    [Fact]
    public async Task DescribeGroups_WithoutDescribe_Answers30_AndListGroupsLeavesTheGroupOut()
    {
        var group = "admin-only-" + Guid.NewGuid().ToString("N");
        var topic = BrokerFixture.UniqueTopic("shared-groups");
        fixture.Broker.Log.CreateTopic(topic, 1);
        using (var owner = new ConsumerBuilder<Ignore, string>(fixture.Consumer("admin", SecureBrokerFixture.AdminPassword, group)).SetLogHandler((_, _) => { }).Build())
        {
            owner.Commit([new TopicPartitionOffset(topic, 0, 0)]);
        }

        using var reader = Admin("reader", SecureBrokerFixture.ReaderPassword);

        var e = await Assert.ThrowsAsync<DescribeConsumerGroupsException>(() => reader.DescribeConsumerGroupsAsync([group], new DescribeConsumerGroupsOptions { RequestTimeout = Timeout }));
        Assert.Equal(Confluent.Kafka.ErrorCode.GroupAuthorizationFailed, Assert.Single(e.Results.ConsumerGroupDescriptions).Error.Code);

        var listed = await reader.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { RequestTimeout = Timeout });
        Assert.DoesNotContain(listed.Valid, g => g.GroupId == group);
        using var superUser = Admin("admin", SecureBrokerFixture.AdminPassword);
        Assert.Contains((await superUser.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { RequestTimeout = Timeout })).Valid, g => g.GroupId == group);
    }

    [Fact]
    public async Task OffsetCommit_OnAnUnreadableTopic_Answers29_AndOffsetFetchOfAForeignGroup_Answers30()
    {
        using (var reader = new ConsumerBuilder<Ignore, string>(fixture.Consumer("reader", SecureBrokerFixture.ReaderPassword, "reader-" + Guid.NewGuid().ToString("N"))).SetLogHandler((_, _) => { }).Build())
        {
            var e = Assert.ThrowsAny<KafkaException>(() => reader.Commit([new TopicPartitionOffset("metrics", 0, 1)]));
            var committed = e is TopicPartitionOffsetException partitions ? Assert.Single(partitions.Results).Error.Code : e.Error.Code;
            Assert.Equal(Confluent.Kafka.ErrorCode.TopicAuthorizationFailed, committed);
        }

        using var admin = Admin("reader", SecureBrokerFixture.ReaderPassword);
        var fetch = await Assert.ThrowsAnyAsync<KafkaException>(() => admin.ListConsumerGroupOffsetsAsync(
            [new ConsumerGroupTopicPartitions("someone-elses-group", [new TopicPartition("metrics", 0)])],
            new ListConsumerGroupOffsetsOptions { RequestTimeout = Timeout }));
        var code = fetch is ListConsumerGroupOffsetsException listed ? Assert.Single(listed.Results).Error.Code : fetch.Error.Code;
        Assert.Equal(Confluent.Kafka.ErrorCode.GroupAuthorizationFailed, code);
    }
}
