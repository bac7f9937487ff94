using Confluent.Kafka;
using Platform.TestKit;

namespace Platform.Broker.Tests.Integration;

/// <summary>Committed offsets of groups without members expire after OffsetsRetention; empty groups are then forgotten.</summary>
public sealed class OffsetRetentionTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new("broker-offsets-retention");
    private BrokerServer _broker = null!;

    public async ValueTask InitializeAsync()
    {
        var options = BrokerFixture.Options(_directory.Path);
        options.OffsetsRetention = TimeSpan.FromSeconds(2);
        _broker = await BrokerServer.StartAsync(options, BrokerFixture.CreateLoggerFactory());
    }

    public async ValueTask DisposeAsync()
    {
        await _broker.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task OffsetsOfAnEmptyGroup_Expire_AndTheGroupIsForgotten_WhileAGroupWithAMemberKeepsItsOffsets()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("retained");
        _broker.Log.CreateTopic(topic, 1);
        var active = "ga-" + Guid.NewGuid().ToString("N");
        var left = "gl-" + Guid.NewGuid().ToString("N");

        using var member = new ConsumerBuilder<Null, string>(BrokerFixture.ConsumerConfigFor(_broker.BootstrapServers, active)).Build();
        member.Subscribe(topic);
        await Poll.UntilAsync(() => { member.Consume(TimeSpan.FromMilliseconds(50)); return member.Assignment.Count == 1; }, Deadline, "the active member's assignment", ct);
        member.Commit([new TopicPartitionOffset(topic, 0, 3)]);

        using (var leaving = new ConsumerBuilder<Null, string>(BrokerFixture.ConsumerConfigFor(_broker.BootstrapServers, left)).Build())
        {
            leaving.Subscribe(topic);
            await Poll.UntilAsync(() => { leaving.Consume(TimeSpan.FromMilliseconds(50)); return leaving.Assignment.Count == 1; }, Deadline, "the other member's assignment", ct);
            leaving.Commit([new TopicPartitionOffset(topic, 0, 7)]);
            leaving.Close();
        }

        Assert.True(_broker.Groups.Offsets.TryGet(left, topic, 0, out _));
        await Poll.UntilAsync(() =>
        {
            member.Consume(TimeSpan.FromMilliseconds(50)); // keeps the active member in its group
            return !_broker.Groups.Offsets.TryGet(left, topic, 0, out _) && !_broker.Groups.TryGetGroup(left, out _);
        }, Deadline, "the empty group's offsets to expire and the group to be forgotten", ct);

        // The active group's commit is older than the expired one, yet kept: its group has a member.
        Assert.True(_broker.Groups.Offsets.TryGet(active, topic, 0, out var kept));
        Assert.Equal(3, kept.Offset);
        Assert.DoesNotContain(_broker.Groups.ListGroups(), g => g.GroupId == left);
        member.Close();
    }
}
