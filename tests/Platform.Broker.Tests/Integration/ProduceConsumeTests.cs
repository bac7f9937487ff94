using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Platform.Broker.Tests.Integration;

[Collection(BrokerCollectionDefinition.Name)]
public class ProduceConsumeTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static TheoryData<CompressionType> Codecs => new()
    {
        CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd,
    };

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task Produce_ThenConsume_RoundTripsEveryRecord_WithEachCompressionCodec(CompressionType codec)
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic($"codec-{codec}".ToLowerInvariant());
        var config = fixture.ProducerConfig();
        config.CompressionType = codec;
        config.LingerMs = 20;
        using (var producer = new ProducerBuilder<string, string>(config).Build())
        {
            var deliveries = new List<Task<DeliveryResult<string, string>>>();
            for (var i = 0; i < 300; i++)
            {
                deliveries.Add(producer.ProduceAsync(topic, new Message<string, string> { Key = $"k{i % 7}", Value = $"value-{i}-" + new string('x', i % 50) }, ct));
            }

            var results = await Task.WhenAll(deliveries);
            Assert.All(results, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
        }

        // The batches are stored as the client compressed them (codec bits 0-2 of the attributes at byte 21; librdkafka
        // sends a batch uncompressed when compressing would not make it smaller).
        Assert.True(fixture.Broker.Log.TryGetTopic(topic, out var log));
        var codecs = new HashSet<int>();
        foreach (var partition in log.Partitions)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            partition.Read(partition.LogStartOffset, 64 << 20, buffer);
            for (var at = 0; at < buffer.WrittenCount;)
            {
                var span = buffer.WrittenSpan[at..];
                codecs.Add(span[22] & 0x07);
                at += 12 + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(span[8..]);
            }
        }

        Assert.Contains((int)codec, codecs);
        Assert.Subset(new HashSet<int> { 0, (int)codec }, codecs);

        var consumed = ConsumeAll(topic, 300, ct);
        Assert.Equal(300, consumed.Count);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"value-{i}-" + new string('x', i % 50)).Order(StringComparer.Ordinal),
            consumed.Select(m => m.Message.Value).Order(StringComparer.Ordinal));
        foreach (var partition in consumed.GroupBy(m => m.Partition.Value))
        {
            var offsets = partition.Select(m => m.Offset.Value).ToList();
            Assert.Equal(Enumerable.Range(0, offsets.Count).Select(i => (long)i), offsets);
        }
    }

    [Fact]
    public async Task Produce_WithAcksZero_StoresRecordsWithoutResponses()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("acks0");
        await CreateTopicAsync(topic, 1);
        var config = fixture.ProducerConfig();
        config.Acks = Acks.None;
        using (var producer = new ProducerBuilder<Null, string>(config).Build())
        {
            for (var i = 0; i < 200; i++)
            {
                producer.Produce(topic, new Message<Null, string> { Value = $"m{i}" });
            }

            Assert.Equal(0, producer.Flush(Deadline));
        }

        var consumed = ConsumeAll(topic, 200, ct);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"m{i}"), consumed.Select(m => m.Message.Value));
    }

    [Fact]
    public async Task IdempotentProducer_DeliversEveryRecordOnceAndInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("idempotent");
        await CreateTopicAsync(topic, 1);
        var config = fixture.ProducerConfig();
        config.EnableIdempotence = true;
        config.MaxInFlight = 5;
        config.LingerMs = 1;
        using (var producer = new ProducerBuilder<Null, string>(config).Build())
        {
            var deliveries = Enumerable.Range(0, 1000).Select(i => producer.ProduceAsync(topic, new Message<Null, string> { Value = $"i{i}" }, ct)).ToList();
            var results = await Task.WhenAll(deliveries);
            Assert.Equal(Enumerable.Range(0, 1000).Select(i => (long)i), results.Select(r => r.Offset.Value));
        }

        var consumed = ConsumeAll(topic, 1000, ct);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"i{i}"), consumed.Select(m => m.Message.Value));
    }

    [Fact]
    public async Task OffsetsForTimes_FindsFirstRecordAtOrAfterTimestamp()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("by-time");
        await CreateTopicAsync(topic, 1);
        var baseTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 100_000;
        using (var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build())
        {
            for (var i = 0; i < 10; i++)
            {
                await producer.ProduceAsync(topic, new Message<Null, string> { Value = $"t{i}", Timestamp = new Timestamp(baseTime + (i * 1000), TimestampType.CreateTime) }, ct);
            }
        }

        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig("by-time-" + Guid.NewGuid().ToString("N"))).Build();
        var tp = new TopicPartition(topic, 0);
        var found = consumer.OffsetsForTimes([new TopicPartitionTimestamp(tp, new Timestamp(baseTime + 4500, TimestampType.CreateTime))], Deadline);
        Assert.Equal(5, found.Single().Offset.Value);

        var exact = consumer.OffsetsForTimes([new TopicPartitionTimestamp(tp, new Timestamp(baseTime + 3000, TimestampType.CreateTime))], Deadline);
        Assert.Equal(3, exact.Single().Offset.Value);

        var watermarks = consumer.QueryWatermarkOffsets(tp, Deadline);
        Assert.Equal(0, watermarks.Low.Value);
        Assert.Equal(10, watermarks.High.Value);

        consumer.Assign(found.Single());
        var first = consumer.Consume(Deadline);
        Assert.Equal("t5", first.Message.Value);
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task OffsetsForTimes_FindsTheExactRecord_InsideACompressedBatch(CompressionType codec)
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("by-time-" + codec.ToString().ToLowerInvariant());
        await CreateTopicAsync(topic, 1);
        var baseTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 100_000;
        var config = fixture.ProducerConfig();
        config.CompressionType = codec;
        config.LingerMs = 1000; // the 10 records leave together, in one compressed batch
        using (var producer = new ProducerBuilder<Null, string>(config).Build())
        {
            // A first record (offset 0) connects the producer and learns the leader, so the next ten are batched.
            await producer.ProduceAsync(topic, new Message<Null, string> { Value = "warm-up", Timestamp = new Timestamp(baseTime - 10_000, TimestampType.CreateTime) }, ct);
            for (var i = 0; i < 10; i++)
            {
                producer.Produce(topic, new Message<Null, string> { Value = $"{codec} record {i} " + new string('z', 100), Timestamp = new Timestamp(baseTime + (i * 1000), TimestampType.CreateTime) });
            }

            Assert.Equal(0, producer.Flush(Deadline));
        }

        // The record at offset 6 (timestamp baseTime + 5000) sits inside a compressed batch, not at its start.
        Assert.True(fixture.Broker.Log.TryGetTopic(topic, out var log));
        var stored = new System.Buffers.ArrayBufferWriter<byte>();
        log.Partitions[0].Read(6, 1 << 20, stored);
        var header = new Platform.Broker.Storage.RecordBatchHeader(stored.WrittenSpan);
        Assert.NotEqual(0, header.Compression);
        Assert.True(header.BaseOffset < 6 && header.BaseOffset + header.LastOffsetDelta >= 6, $"batch {header.BaseOffset}+{header.LastOffsetDelta}");

        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig("by-time-" + Guid.NewGuid().ToString("N"))).Build();
        var tp = new TopicPartition(topic, 0);
        var found = consumer.OffsetsForTimes([new TopicPartitionTimestamp(tp, new Timestamp(baseTime + 4500, TimestampType.CreateTime))], Deadline);
        Assert.Equal(6, found.Single().Offset.Value);
        var exact = consumer.OffsetsForTimes([new TopicPartitionTimestamp(tp, new Timestamp(baseTime + 7000, TimestampType.CreateTime))], Deadline);
        Assert.Equal(8, exact.Single().Offset.Value);
    }

    [Fact]
    public async Task AdminClient_CreatesDescribesAndDeletesTopics()
    {
        var topic = BrokerFixture.UniqueTopic("admin");
        using var admin = new AdminClientBuilder(fixture.AdminConfig()).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 4, ReplicationFactor = 1, Configs = new() { ["retention.ms"] = "3600000" } }]);

        var metadata = admin.GetMetadata(topic, Deadline);
        Assert.Equal(4, metadata.Topics.Single().Partitions.Count);
        Assert.Equal([0, 1, 2, 3], metadata.Topics.Single().Partitions.Select(p => p.PartitionId).Order());

        var duplicate = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1 }]));
        Assert.Equal(Confluent.Kafka.ErrorCode.TopicAlreadyExists, duplicate.Results.Single().Error.Code);

        var badConfig = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync(
            [new TopicSpecification { Name = topic + "-bad", NumPartitions = 1, Configs = new() { ["no.such.setting"] = "1" } }]));
        Assert.Equal(Confluent.Kafka.ErrorCode.InvalidConfig, badConfig.Results.Single().Error.Code);

        await admin.DeleteTopicsAsync([topic]);
        Assert.False(fixture.Broker.Log.TryGetTopic(topic, out _));
    }

    private async Task CreateTopicAsync(string topic, int partitions)
    {
        using var admin = new AdminClientBuilder(fixture.AdminConfig()).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }]);
    }

    private List<ConsumeResult<string, string>> ConsumeAll(string topic, int count, CancellationToken ct)
    {
        var config = fixture.ConsumerConfig("reader-" + Guid.NewGuid().ToString("N"));
        using var consumer = new ConsumerBuilder<string, string>(config).Build();
        consumer.Subscribe(topic);
        var list = new List<ConsumeResult<string, string>>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (list.Count < count && clock.Elapsed < Deadline)
        {
            ct.ThrowIfCancellationRequested();
            var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r is not null && !r.IsPartitionEOF)
            {
                list.Add(r);
            }
        }

        consumer.Close();
        return list;
    }
}
