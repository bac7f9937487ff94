using System.Buffers.Binary;
using Confluent.Kafka;
using Platform.TestKit;

namespace Platform.Broker.Tests.Integration;

[Collection(BrokerCollectionDefinition.Name)]
public class RawProtocolTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ApiVersionsV0_ListsEveryAdvertisedApi()
    {
        await using var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);
        var r = new ResponseReader(await raw.SendAsync(18, 0, _ => { }, TestContext.Current.CancellationToken));

        Assert.Equal(0, r.Int16());
        var count = r.Int32();
        var apis = new Dictionary<short, (short Min, short Max)>();
        for (var i = 0; i < count; i++)
        {
            apis[r.Int16()] = (r.Int16(), r.Int16());
        }

        Assert.Equal((3, 8), apis[0]);
        Assert.Equal((4, 11), apis[1]);
        Assert.Equal((0, 3), apis[18]);
        Assert.Equal((0, 1), apis[22]);
        Assert.Equal((0, 2), apis[32]); // DescribeConfigs
        Assert.Equal((0, 1), apis[33]); // AlterConfigs
        Assert.Equal((0, 0), apis[44]); // IncrementalAlterConfigs
        Assert.False(apis.ContainsKey(23));
    }

    [Fact]
    public async Task ApiVersionsV3_AnswersFlexibleBodyWithV0Header()
    {
        await using var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);
        // v3 request header v2: tagged fields after client id; body: compact strings name and version, tags.
        var body = await raw.SendAsync(18, 3, w => w.Raw([0]).Raw([5, (byte)'t', (byte)'e', (byte)'s', (byte)'t', 2, (byte)'1', 0]), TestContext.Current.CancellationToken);

        Assert.Equal(0, BinaryPrimitives.ReadInt16BigEndian(body));
        Assert.Equal(22 + 1, body[2]); // compact array: count + 1 (20 APIs plus SaslHandshake and SaslAuthenticate)
        Assert.Equal(2 + 1 + (22 * 7) + 4 + 1, body.Length);
    }

    [Fact]
    public async Task ApiVersionsV4_FallsBackToV0BodyWithUnsupportedVersion_AndKeepsTheConnection()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);
        var r = new ResponseReader(await raw.SendAsync(18, 4, w => w.Raw([0, 0, 0, 0]), ct));

        Assert.Equal(35, r.Int16());
        Assert.True(r.Int32() >= 17);

        var again = new ResponseReader(await raw.SendAsync(18, 2, _ => { }, ct));
        Assert.Equal(0, again.Int16());
    }

    [Fact]
    public async Task UnknownApiKeyAndUnsupportedVersion_GetUnsupportedVersion_AndTheConnectionStaysUsable()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);

        Assert.Equal(35, new ResponseReader(await raw.SendAsync(99, 0, _ => { }, ct)).Int16());
        Assert.Equal(35, new ResponseReader(await raw.SendAsync(3, 12, _ => { }, ct)).Int16()); // Metadata v12 (flexible)
        Assert.Equal(35, new ResponseReader(await raw.SendAsync(23, 0, _ => { }, ct)).Int16()); // OffsetForLeaderEpoch: not offered
        Assert.Equal(0, new ResponseReader(await raw.SendAsync(18, 1, _ => { }, ct)).Int16());
    }

    public static TheoryData<string, byte[]> MalformedFrames => new()
    {
        { "garbage", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray() },
        { "huge length", [0x7F, 0xFF, 0xFF, 0xFF, 0, 3, 0, 1] },
        { "negative length", [0xFF, 0xFF, 0xFF, 0xF0] },
        { "truncated header", [0, 0, 0, 12, 0, 3, 0, 1, 0, 0, 0, 1, 0, 50, (byte)'x', (byte)'y'] },
        // Metadata v1 whose topic array announces 1,000,000 topics in a 14-byte body.
        { "lying array count", [0, 0, 0, 14, 0, 3, 0, 1, 0, 0, 0, 1, 0xFF, 0xFF, 0, 0x0F, 0x42, 0x40] },
        // Produce v3 cut off inside the topic array.
        { "truncated body", [0, 0, 0, 18, 0, 0, 0, 3, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0, 1, 0, 0, 0x13, 0x88] },
    };

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public async Task MalformedFrame_ClosesOnlyItsConnection_WhileAClientKeepsWorking(string what, byte[] frame)
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("survivor");
        using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
        await producer.ProduceAsync(topic, new Message<Null, string> { Value = "before" }, ct);

        await using (var bad = await RawKafkaClient.ConnectAsync(fixture.Bootstrap))
        {
            await bad.SendRawAsync(frame, ct);
            if (what == "truncated header")
            {
                bad.Stream.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            }

            // The broker closes the connection: the read ends without a response.
            var response = await bad.ReadFrameAsync(ct).WaitAsync(Deadline, ct);
            Assert.Null(response);
        }

        var after = await producer.ProduceAsync(topic, new Message<Null, string> { Value = "after" }, ct);
        Assert.Equal(PersistenceStatus.Persisted, after.Status);
    }

    [Fact]
    public async Task RetriedIdempotentBatch_IsNotAppendedTwice_AndGetsTheOriginalOffset()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("retry");
        fixture.Broker.Log.CreateTopic(topic, 1);
        await using var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);

        // InitProducerId v1: null transactional id, timeout → throttle, error, producer id, epoch.
        var init = new ResponseReader(await raw.SendAsync(22, 1, w => w.String(null).Int32(60000), ct));
        Assert.Equal(0, init.Int32());
        Assert.Equal(0, init.Int16());
        var producerId = init.Int64();
        Assert.Equal(0, init.Int16());

        var first = await ProduceAsync(raw, topic, TestBatch.Build(producerId, 0, 0, 1000, "a", "b", "c"), ct);
        var retry = await ProduceAsync(raw, topic, TestBatch.Build(producerId, 0, 0, 1000, "a", "b", "c"), ct);
        var next = await ProduceAsync(raw, topic, TestBatch.Build(producerId, 0, 3, 1000, "d"), ct);
        var gap = await ProduceAsync(raw, topic, TestBatch.Build(producerId, 0, 10, 1000, "z"), ct);

        Assert.Equal((0, 0L), first);
        Assert.Equal((0, 0L), retry);
        Assert.Equal((0, 3L), next);
        Assert.Equal(45, gap.Error); // OUT_OF_ORDER_SEQUENCE_NUMBER
        Assert.True(fixture.Broker.Log.TryGetTopic(topic, out var log));
        Assert.Equal(4, log.Partitions[0].LogEndOffset);
    }

    [Fact]
    public async Task CorruptBatch_IsRejectedWithCorruptMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("corrupt");
        fixture.Broker.Log.CreateTopic(topic, 1);
        await using var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);
        var batch = TestBatch.Build(-1, -1, -1, 1000, "payload");
        batch[^1] ^= 0xFF;

        var result = await ProduceAsync(raw, topic, batch, ct);

        Assert.Equal(2, result.Error);
        Assert.True(fixture.Broker.Log.TryGetTopic(topic, out var log));
        Assert.Equal(0, log.Partitions[0].LogEndOffset);
    }

    [Fact]
    public async Task ParkedFetch_DoesNotBlockOtherConnections_AndWakesOnAppend()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("longpoll");
        fixture.Broker.Log.CreateTopic(topic, 1);
        await using var fetcher = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);
        await using var producer = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);

        var fetch = fetcher.SendAsync(1, 4, w => FetchV4(w, topic, maxWaitMs: 20000, offset: 0), ct);
        // Another connection is served while the fetch waits (there is no data, so it cannot have answered).
        var metadata = new ResponseReader(await producer.SendAsync(3, 1, w => w.Int32(0), ct));
        Assert.Equal(1, metadata.Int32());
        Assert.False(fetch.IsCompleted);

        var produced = await ProduceAsync(producer, topic, TestBatch.Build(-1, -1, -1, 1000, "wake"), ct);
        Assert.Equal((0, 0L), produced);

        var r = new ResponseReader(await fetch.WaitAsync(Deadline, ct));
        Assert.Equal(0, r.Int32()); // throttle
        Assert.Equal(1, r.Int32());
        Assert.Equal(topic, r.String());
        Assert.Equal(1, r.Int32());
        Assert.Equal(0, r.Int32()); // partition
        Assert.Equal(0, r.Int16()); // error
        Assert.Equal(1, r.Int64()); // high watermark
        Assert.Equal(1, r.Int64()); // last stable offset
        Assert.Equal(0, r.Int32()); // aborted transactions
        var records = r.Bytes();
        Assert.NotNull(records);
        Assert.True(records.Length > 61);
    }

    [Fact]
    public async Task ParkedFetch_IsCancelledAndItsConnectionClosed_WhenTheClientClosesItsSide()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("halfclose");
        fixture.Broker.Log.CreateTopic(topic, 1);
        await using var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);

        // Fetch v4 with max wait 60 s on an empty partition: it parks.
        var frame = FetchV4(new RequestWriter().Int16(1).Int16(4).Int32(7).String("halfclose"), topic, maxWaitMs: 60000, offset: 0).ToFrame();
        await raw.SendRawAsync(frame, ct);
        raw.Stream.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);

        // The broker sees the end of input, cancels the parked fetch and closes: the read ends (null) long before 60 s.
        var answer = await raw.ReadFrameAsync(ct).WaitAsync(TimeSpan.FromSeconds(15), ct);
        Assert.Null(answer);
    }

    [Fact]
    public async Task Fetch_ParksNoLongerThanMaxFetchWait_WhateverItsMaxWait()
    {
        var ct = TestContext.Current.CancellationToken;
        using var directory = new TempDirectory("broker-fetchcap");
        var options = BrokerFixture.Options(directory.Path);
        options.MaxFetchWait = TimeSpan.FromMilliseconds(300);
        await using var broker = await BrokerServer.StartAsync(options, BrokerFixture.CreateLoggerFactory(), ct);
        var topic = BrokerFixture.UniqueTopic("fetchcap");
        broker.Log.CreateTopic(topic, 1);
        await using var raw = await RawKafkaClient.ConnectAsync(broker.BootstrapServers);

        // max wait int.MaxValue ms (~24 days) on an empty partition: answered empty at the cap instead.
        var r = new ResponseReader(await raw.SendAsync(1, 4, w => FetchV4(w, topic, maxWaitMs: int.MaxValue, offset: 0), ct)
            .WaitAsync(TimeSpan.FromSeconds(15), ct));
        Assert.Equal(0, r.Int32()); // throttle
        Assert.Equal(1, r.Int32());
        Assert.Equal(topic, r.String());
        Assert.Equal(1, r.Int32());
        Assert.Equal(0, r.Int32()); // partition
        Assert.Equal(0, r.Int16()); // error
        Assert.Equal(0, r.Int64()); // high watermark
    }

    [Fact]
    public async Task FetchBeyondLogEnd_ReturnsOffsetOutOfRange()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("oor");
        fixture.Broker.Log.CreateTopic(topic, 1);
        await using var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);

        var r = new ResponseReader(await raw.SendAsync(1, 4, w => FetchV4(w, topic, maxWaitMs: 0, offset: 500), ct));
        r.Int32();
        r.Int32();
        r.String();
        r.Int32();
        r.Int32();
        Assert.Equal(1, r.Int16());
    }

    [Fact]
    public async Task PipelinedRequests_BeyondTheInFlightLimit_AreAllAnsweredInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);
        const int count = 300; // more than MaxInFlightRequestsPerConnection (64): reading pauses, nothing is lost
        var frames = new List<byte>();
        for (var i = 0; i < count; i++)
        {
            frames.AddRange(new RequestWriter().Int16(18).Int16((short)(i % 3)).Int32(1000 + i).String("pipeline").ToFrame());
        }

        await raw.SendRawAsync([.. frames], ct);
        for (var i = 0; i < count; i++)
        {
            var response = await raw.ReadFrameAsync(ct).WaitAsync(Deadline, ct) ?? throw new IOException($"closed after {i} responses");
            Assert.Equal(1000 + i, BinaryPrimitives.ReadInt32BigEndian(response));
        }
    }

    [Fact]
    public async Task SilentMember_IsExpelledAfterItsSessionTimeout()
    {
        var ct = TestContext.Current.CancellationToken;
        var group = "silent-" + Guid.NewGuid().ToString("N");
        await using var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);

        // JoinGroup v0: group, session timeout 5 s, member "", protocol type, [protocol name, metadata]. The session
        // runs from the join: it must outlast the SyncGroup and the first Heartbeat below on a loaded machine.
        var join = new ResponseReader(await raw.SendAsync(11, 0, w => w.String(group).Int32(5000).String("").String("consumer")
            .Int32(1).String("range").Bytes([0, 1, 2]), ct));
        Assert.Equal(0, join.Int16());
        var generation = join.Int32();
        Assert.Equal("range", join.String());
        var leader = join.String();
        var memberId = join.String();
        Assert.Equal(leader, memberId);
        Assert.Equal(1, join.Int32());

        // SyncGroup v0: the leader assigns itself.
        var sync = new ResponseReader(await raw.SendAsync(14, 0, w => w.String(group).Int32(generation).String(memberId)
            .Int32(1).String(memberId).Bytes([7, 7]), ct));
        Assert.Equal(0, sync.Int16());
        Assert.Equal(new byte[] { 7, 7 }, sync.Bytes());
        Assert.Equal(0, new ResponseReader(await raw.SendAsync(12, 0, w => w.String(group).Int32(generation).String(memberId), ct)).Int16());

        // No more heartbeats: the coordinator expels the member and the group goes back to Empty (and, with no
        // committed offsets, is then forgotten: Dead).
        await Poll.UntilAsync(() => fixture.Broker.Groups.Describe(group).State is Platform.Broker.Groups.GroupState.Empty or Platform.Broker.Groups.GroupState.Dead,
            Deadline, "the silent member expelled", ct);
        Assert.Equal(25, new ResponseReader(await raw.SendAsync(12, 0, w => w.String(group).Int32(generation).String(memberId), ct)).Int16());
    }

    [Fact]
    public async Task ParkedFetch_IsAnsweredPromptlyWithUnknownTopic_WhenItsTopicIsDeleted()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("deleted");
        fixture.Broker.Log.CreateTopic(topic, 1);
        await using var fetcher = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);
        await using var admin = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var fetch = fetcher.SendAsync(1, 4, w => FetchV4(w, topic, maxWaitMs: 60000, offset: 0), ct);
        // A round trip on another connection after sending the fetch: the fetch has had time to park (it cannot have
        // answered, there is no data).
        Assert.Equal(1, new ResponseReader(await admin.SendAsync(3, 1, w => w.Int32(0), ct)).Int32());
        Assert.False(fetch.IsCompleted);

        // DeleteTopics v0: [name], timeout.
        var deleted = new ResponseReader(await admin.SendAsync(20, 0, w => w.Int32(1).String(topic).Int32(5000), ct));
        Assert.Equal(1, deleted.Int32());
        Assert.Equal(topic, deleted.String());
        Assert.Equal(0, deleted.Int16());

        var r = new ResponseReader(await fetch.WaitAsync(Deadline, ct));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"answered after {clock.Elapsed}"); // MaxFetchWait is 10 s
        Assert.Equal(0, r.Int32());
        Assert.Equal(1, r.Int32());
        Assert.Equal(topic, r.String());
        Assert.Equal(1, r.Int32());
        Assert.Equal(0, r.Int32());
        Assert.Equal(3, r.Int16()); // UNKNOWN_TOPIC_OR_PARTITION

        // The connection is still usable.
        Assert.Equal(0, new ResponseReader(await fetcher.SendAsync(18, 1, _ => { }, ct)).Int16());
    }

    [Fact]
    public async Task FetchWithNoPartitions_IsAnsweredEmptyAfterMaxWait_AndKeepsTheConnection()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);

        // Fetch v4: replica -1, max wait 300 ms, min bytes 1, max bytes, isolation, no topics.
        var r = new ResponseReader(await raw.SendAsync(1, 4, w => w.Int32(-1).Int32(300).Int32(1).Int32(1 << 20).Int8(0).Int32(0), ct).WaitAsync(Deadline, ct));

        Assert.Equal(0, r.Int32());
        Assert.Equal(0, r.Int32());
        Assert.Equal(0, new ResponseReader(await raw.SendAsync(18, 1, _ => { }, ct)).Int16());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task MalformedOffsetCommit_CommitsNothing_AndClosesTheConnection(bool truncated)
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("badcommit");
        var group = "gb-" + Guid.NewGuid().ToString("N");
        fixture.Broker.Log.CreateTopic(topic, 2);
        await using var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);

        // OffsetCommit v2: group, generation -1, member "", retention -1, [topic [partition 0 → 5 "m"], topic [partition 1 → ...]]:
        // the first topic is whole, so a handler committing while it parses would already have stored it.
        var w = new RequestWriter().Int16(8).Int16(2).Int32(1).String("raw-test")
            .String(group).Int32(-1).String("").Int64(-1)
            .Int32(2).String(topic).Int32(1).Int32(0).Int64(5).String("m")
            .String(topic).Int32(1);
        w = truncated
            ? w.Int32(1).Int64(7) // the second topic's partition stops before its metadata
            : w.Int32(1).Int64(7).String("m").Raw([0xAB, 0xCD]); // complete, then bytes past the last field
        await raw.SendRawAsync(w.ToFrame(), ct);

        Assert.Null(await raw.ReadFrameAsync(ct).WaitAsync(Deadline, ct));
        Assert.False(fixture.Broker.Groups.Offsets.TryGet(group, topic, 0, out _));
        Assert.False(fixture.Broker.Groups.Offsets.TryGet(group, topic, 1, out _));
    }

    internal static async Task<(short Error, long BaseOffset)> ProduceAsync(RawKafkaClient raw, string topic, byte[] batch, CancellationToken ct)
    {
        // Produce v3: transactional id null, acks -1, timeout, [topic [partition 0, records]].
        var r = new ResponseReader(await raw.SendAsync(0, 3, w => w.String(null).Int16(-1).Int32(10000)
            .Int32(1).String(topic).Int32(1).Int32(0).Bytes(batch), ct));
        Assert.Equal(1, r.Int32());
        Assert.Equal(topic, r.String());
        Assert.Equal(1, r.Int32());
        Assert.Equal(0, r.Int32());
        return (r.Int16(), r.Int64());
    }

    /// <summary>A Fetch v4 body: replica -1, max wait, min bytes 1, max bytes 1 MiB, isolation 0, [topic [partition 0, offset, 1 MiB]].</summary>
    internal static RequestWriter FetchV4(RequestWriter w, string topic, int maxWaitMs, long offset) =>
        w.Int32(-1).Int32(maxWaitMs).Int32(1).Int32(1 << 20).Int8(0).Int32(1).String(topic).Int32(1).Int32(0).Int64(offset).Int32(1 << 20);
}
