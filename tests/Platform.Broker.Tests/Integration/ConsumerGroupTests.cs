using System.Collections.Concurrent;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Platform.TestKit;

namespace Platform.Broker.Tests.Integration;

[Collection(BrokerCollectionDefinition.Name)]
public class ConsumerGroupTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>A member that consumes and commits each record synchronously, recording what it saw.</summary>
    private sealed class Member : IDisposable
    {
        private readonly IConsumer<Null, string> _consumer;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Member(ConsumerConfig config, string topic, ConcurrentBag<(int Partition, long Offset, string Value, bool Committed)> seen)
        {
            _consumer = new ConsumerBuilder<Null, string>(config).Build();
            _consumer.Subscribe(topic);
            _loop = Task.Run(() =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var r = _consumer.Consume(TimeSpan.FromMilliseconds(100));
                    if (r is null || r.IsPartitionEOF)
                    {
                        continue;
                    }

                    var committed = true;
                    try
                    {
                        _consumer.Commit(r);
                    }
                    catch (KafkaException)
                    {
                        committed = false; // the partition moved during a rebalance: may be seen again
                    }

                    seen.Add((r.Partition.Value, r.Offset.Value, r.Message.Value, committed));
                }
            });
        }

        public List<TopicPartition> Assignment => _consumer.Assignment;

        public void Dispose()
        {
            _stop.Cancel();
            _loop.Wait(Deadline);
            _consumer.Close();
            _consumer.Dispose();
            _stop.Dispose();
        }
    }

    [Fact]
    public async Task GroupOfThree_Rebalances_WhenOneMemberLeaves_WithoutLossOrDuplicatesAfterCommit()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("group3");
        var group = "g3-" + Guid.NewGuid().ToString("N");
        using (var admin = new AdminClientBuilder(fixture.AdminConfig()).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 6, ReplicationFactor = 1 }]);
        }

        var seen = new ConcurrentBag<(int Partition, long Offset, string Value, bool Committed)>();
        var config = fixture.ConsumerConfig(group);
        config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.RoundRobin;
        using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
        var members = new List<Member> { new(config, topic, seen), new(config, topic, seen), new(config, topic, seen) };
        try
        {
            await Poll.UntilAsync(() => members.All(m => m.Assignment.Count == 2), Deadline, "6 partitions spread over 3 members", ct);
            for (var i = 0; i < 300; i++)
            {
                producer.Produce(topic, new Message<Null, string> { Value = $"a{i}" });
            }

            producer.Flush(Deadline);
            await Poll.UntilAsync(() => seen.Count >= 300, Deadline, "the first 300 records consumed", ct);

            members[2].Dispose();
            members.RemoveAt(2);
            await Poll.UntilAsync(() => members.All(m => m.Assignment.Count == 3), Deadline, "the 2 remaining members take over all 6 partitions", ct);

            for (var i = 0; i < 300; i++)
            {
                producer.Produce(topic, new Message<Null, string> { Value = $"b{i}" });
            }

            producer.Flush(Deadline);
            await Poll.UntilAsync(() => seen.Select(s => s.Value).Distinct().Count() >= 600, Deadline, "all 600 records consumed", ct);
        }
        finally
        {
            foreach (var m in members)
            {
                m.Dispose();
            }
        }

        var values = seen.Select(s => s.Value).ToHashSet();
        Assert.Equal(600, values.Count);
        // A record whose commit succeeded is never delivered again.
        var duplicates = seen.GroupBy(s => (s.Partition, s.Offset)).Where(g => g.Count() > 1).ToList();
        // (each delivery is committed synchronously before the next poll, so at most the last delivery of a record committed)
        Assert.All(duplicates, d => Assert.True(d.Count(x => x.Committed) <= 1, $"record {d.Key} was consumed again after a successful commit"));

        using var admin2 = new AdminClientBuilder(fixture.AdminConfig()).Build();
        var listed = await admin2.ListConsumerGroupsAsync();
        Assert.Contains(listed.Valid, g => g.GroupId == group);
    }

    [Fact]
    public async Task RangeAssignor_SplitsPartitionsBetweenTwoMembers_AndConsumesEverything()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("range");
        var group = "gr-" + Guid.NewGuid().ToString("N");
        fixture.Broker.Log.CreateTopic(topic, 4);
        var seen = new ConcurrentBag<(int Partition, long Offset, string Value, bool Committed)>();
        var config = fixture.ConsumerConfig(group);
        config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.Range;
        using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
        using var first = new Member(config, topic, seen);
        using var second = new Member(config, topic, seen);

        await Poll.UntilAsync(() => first.Assignment.Count == 2 && second.Assignment.Count == 2, Deadline, "4 partitions split 2 + 2", ct);
        // Range hands each member a contiguous run of partitions.
        var ranges = new[] { first.Assignment, second.Assignment }.Select(a => a.Select(tp => tp.Partition.Value).Order().ToArray()).OrderBy(a => a[0]).ToList();
        Assert.Equal([0, 1], ranges[0]);
        Assert.Equal([2, 3], ranges[1]);
        for (var i = 0; i < 100; i++)
        {
            producer.Produce(new TopicPartition(topic, i % 4), new Message<Null, string> { Value = $"r{i}" });
        }

        producer.Flush(Deadline);
        await Poll.UntilAsync(() => seen.Select(s => s.Value).Distinct().Count() >= 100, Deadline, "all 100 records consumed", ct);
    }

    [Fact]
    public async Task ParkedJoinGroup_LeavesTheRebalance_WhenItsConnectionCloses_SoTheOtherMemberGetsEveryPartition()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("deadjoin");
        var group = "gd-" + Guid.NewGuid().ToString("N");
        fixture.Broker.Log.CreateTopic(topic, 2);
        var seen = new ConcurrentBag<(int Partition, long Offset, string Value, bool Committed)>();
        using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
        using var member = new Member(fixture.ConsumerConfig(group), topic, seen);
        await Poll.UntilAsync(() => member.Assignment.Count == 2, Deadline, "the consumer owning both partitions", ct);

        // A raw JoinGroup v1 (session and rebalance timeouts 120 s, the "range" protocol with a valid subscription) parks
        // in the rebalance it starts; then its connection closes.
        var subscription = new RequestWriter().Int16(0).Int32(1).String(topic).Bytes(null).ToFrame()[4..];
        var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);
        await raw.SendRawAsync(new RequestWriter().Int16(11).Int16(1).Int32(1).String("dead-member")
            .String(group).Int32(120_000).Int32(120_000).String("").String("consumer").Int32(1).String("range").Bytes(subscription).ToFrame(), ct);
        Assert.True(fixture.Broker.Groups.TryGetGroup(group, out var state));
        var generation = state.GenerationId;
        await Poll.UntilAsync(() => state.MemberCount == 2, Deadline, "the raw member to join", ct);
        await raw.DisposeAsync();

        // The rebalance completes without the dead member, promptly (its timeouts are 120 s): the consumer gets both
        // partitions in the next generation and reads both.
        await Poll.UntilAsync(() => state.State == Platform.Broker.Groups.GroupState.Stable && state.GenerationId > generation && state.MemberCount == 1,
            TimeSpan.FromSeconds(20), "a stable generation with the live member alone", ct);
        for (var i = 0; i < 20; i++)
        {
            producer.Produce(new TopicPartition(topic, i % 2), new Message<Null, string> { Value = $"d{i}" });
        }

        producer.Flush(Deadline);
        await Poll.UntilAsync(() => seen.Select(s => s.Value).Distinct().Count() >= 20, TimeSpan.FromSeconds(30), "all 20 records consumed by the live member", ct);
        await Poll.UntilAsync(() => member.Assignment.Count == 2, Deadline, "the consumer owning both partitions again", ct);
    }

    [Fact]
    public async Task CooperativeStickyAssignor_SpreadsPartitions_AndConsumesEverything()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("coop");
        var group = "gc-" + Guid.NewGuid().ToString("N");
        using (var admin = new AdminClientBuilder(fixture.AdminConfig()).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 4, ReplicationFactor = 1 }]);
        }

        var seen = new ConcurrentBag<(int Partition, long Offset, string Value, bool Committed)>();
        var config = fixture.ConsumerConfig(group);
        config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
        using var first = new Member(config, topic, seen);
        await Poll.UntilAsync(() => first.Assignment.Count == 4, Deadline, "the first member owns all 4 partitions", ct);
        using var second = new Member(config, topic, seen);
        await Poll.UntilAsync(() => first.Assignment.Count == 2 && second.Assignment.Count == 2, Deadline, "an incremental rebalance gives each member 2 partitions", ct);

        using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
        for (var i = 0; i < 200; i++)
        {
            producer.Produce(topic, new Message<Null, string> { Value = $"c{i}" });
        }

        producer.Flush(Deadline);
        await Poll.UntilAsync(() => seen.Select(s => s.Value).Distinct().Count() == 200, Deadline, "all 200 records consumed", ct);
        Assert.Equal(200, seen.Count);
    }

    [Fact]
    public async Task DescribeConsumerGroups_ShowsStableGroupWithItsMembers()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("describe");
        var group = "gd-" + Guid.NewGuid().ToString("N");
        var seen = new ConcurrentBag<(int Partition, long Offset, string Value, bool Committed)>();
        using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
        await producer.ProduceAsync(topic, new Message<Null, string> { Value = "x" }, ct);
        using (var member = new Member(fixture.ConsumerConfig(group), topic, seen))
        {
            await Poll.UntilAsync(() => member.Assignment.Count == 3, Deadline, "the member owns all 3 partitions", ct);
            using var admin = new AdminClientBuilder(fixture.AdminConfig()).Build();
            var described = (await admin.DescribeConsumerGroupsAsync([group])).ConsumerGroupDescriptions.Single();
            Assert.Equal(ConsumerGroupState.Stable, described.State);
            Assert.Single(described.Members);
            Assert.Equal(3, described.Members[0].Assignment.TopicPartitions.Count);
        }
    }
}
