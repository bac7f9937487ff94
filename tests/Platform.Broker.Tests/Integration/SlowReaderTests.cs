using System.Net.Sockets;
using Confluent.Kafka;
using Platform.TestKit;

namespace Platform.Broker.Tests.Integration;

/// <summary>
/// Clients that pipeline Fetches and do not read their answers: the broker holds one Fetch answer per connection, and
/// closes a connection whose answer cannot be sent within FrameTimeout, while other clients keep working.
/// </summary>
public sealed class SlowReaderTests : IAsyncLifetime
{
    private const int Batches = 10;
    private const int BatchChars = 150_000; // answers of 1.5 MB: sent in 1 MiB chunks
    private const int Fetches = 64;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new("broker-slowreader");
    private BrokerServer _broker = null!;

    public async ValueTask InitializeAsync()
    {
        var options = BrokerFixture.Options(_directory.Path);
        options.FrameTimeout = TimeSpan.FromSeconds(1);
        _broker = await BrokerServer.StartAsync(options, BrokerFixture.CreateLoggerFactory());
    }

    public async ValueTask DisposeAsync()
    {
        await _broker.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task ClientThatStopsReading_IsClosed_AtTheWriteDeadline_WhileAProducerKeepsWorking()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = await CreateBigPartitionAsync(_broker, ct);
        using var silent = await PipelineFetchesAsync(_broker, topic, ct);

        using (var producer = new ProducerBuilder<Null, string>(BrokerFixture.ProducerConfigFor(_broker.BootstrapServers)).Build())
        {
            var result = await producer.ProduceAsync(BrokerFixture.UniqueTopic("other"), new Message<Null, string> { Value = "x" }, ct);
            Assert.Equal(PersistenceStatus.Persisted, result.Status);
        }

        // The producer's connections close with it; the reader that never reads is closed by the broker.
        await Poll.UntilAsync(() => _broker.ConnectionCount == 0, Deadline, "the connection that stopped reading to be closed", ct);
        await Poll.UntilAsync(() => _broker.FetchResponseBytes.Held == 0 && _broker.QueuedRequestBytes == 0, Deadline, "the closed connection's answers and requests given back", ct);
        Assert.Equal(1, _broker.Metrics.TimedOutConnections.Value); // counted once, not on every sweep
    }

    [Fact]
    public async Task PipelinedFetches_HoldOneAnswerPerConnection_AndAreAllAnsweredInOrder_WhileAConsumerConsumes()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = await CreateBigPartitionAsync(_broker, ct);
        using var slow = await PipelineFetchesAsync(_broker, topic, ct);

        ConsumeEveryBatch(_broker, topic, "slow-reader-neighbour");

        // Reading slowly now: every answer arrives, in order, each with the whole partition.
        using var stream = new NetworkStream(slow, ownsSocket: false);
        var header = new byte[4];
        for (var i = 1; i <= Fetches; i++)
        {
            await stream.ReadExactlyAsync(header, ct).AsTask().WaitAsync(Deadline, ct);
            var body = new byte[System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header)];
            await stream.ReadExactlyAsync(body, ct).AsTask().WaitAsync(Deadline, ct);
            Assert.Equal(i, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(body));
            Assert.True(body.Length > Batches * BatchChars, $"answer {i}: {body.Length} bytes");
        }

        // One connection's pipelined answers never sat in memory together: at most its answer and the consumer's.
        Assert.InRange(_broker.FetchResponseBytes.Peak, Batches * BatchChars, 3 * Batches * BatchChars);
        await Poll.UntilAsync(() => _broker.FetchResponseBytes.Held == 0, Deadline, "every answer written", ct);
    }

    [Fact]
    public async Task SilentClientsOnManyConnections_HoldNoMoreThanTheFetchAnswerBudget_AndAConsumerStillGetsEverything()
    {
        // A budget that fits one 1.5 MB answer: four connections pipelining Fetches of the whole partition and reading
        // nothing would hold four answers (one each) without it.
        var ct = TestContext.Current.CancellationToken;
        using var directory = new TempDirectory("broker-fetchbudget");
        var options = BrokerFixture.Options(directory.Path);
        options.FrameTimeout = TimeSpan.FromSeconds(1);
        options.MaxQueuedFetchBytes = 2_000_000;
        await using var broker = await BrokerServer.StartAsync(options, BrokerFixture.CreateLoggerFactory(), ct);
        var topic = await CreateBigPartitionAsync(broker, ct);
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                silent.Add(await PipelineFetchesAsync(broker, topic, ct));
            }

            await Poll.UntilAsync(() => broker.FetchResponseBytes.Held > Batches * BatchChars, Deadline, "a silent client's answer held", ct);
            using (var exposition = new MemoryStream())
            {
                await broker.Metrics.Registry.CollectAndExportAsTextAsync(exposition, ct);
                var line = System.Text.Encoding.UTF8.GetString(exposition.ToArray()).Split('\n').Single(l => l.StartsWith("broker_fetch_answer_bytes ", StringComparison.Ordinal));
                Assert.InRange(double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), Batches * BatchChars, 2 * Batches * BatchChars);
            }

            ConsumeEveryBatch(broker, topic, "fetch-budget-neighbour");

            await Poll.UntilAsync(() => broker.ConnectionCount == 0, Deadline, "the silent connections closed at the write deadline", ct);
            await Poll.UntilAsync(() => broker.FetchResponseBytes.Held == 0 && broker.FetchResponseBytes.Reserved == 0, Deadline, "every answer's bytes given back", ct);
            Assert.InRange(broker.FetchResponseBytes.Peak, Batches * BatchChars, 2 * Batches * BatchChars);
            Assert.Equal(4, broker.Metrics.TimedOutConnections.Value);
        }
        finally
        {
            foreach (var socket in silent)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>A well-behaved Confluent.Kafka consumer reads every batch of the partition, each whole.</summary>
    private static void ConsumeEveryBatch(BrokerServer broker, string topic, string group)
    {
        using var consumer = new ConsumerBuilder<Ignore, string>(BrokerFixture.ConsumerConfigFor(broker.BootstrapServers, group)).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, 0));
        for (var i = 0; i < Batches; i++)
        {
            var record = consumer.Consume(Deadline);
            Assert.NotNull(record);
            Assert.Equal(new string((char)('a' + i), BatchChars), record.Message.Value);
        }
    }

    /// <summary>One partition of 10 batches of 150 kB (each a single record).</summary>
    private static async Task<string> CreateBigPartitionAsync(BrokerServer broker, CancellationToken ct)
    {
        var topic = BrokerFixture.UniqueTopic("slowreader");
        broker.Log.CreateTopic(topic, 1);
        await using var raw = await RawKafkaClient.ConnectAsync(broker.BootstrapServers);
        for (var i = 0; i < Batches; i++)
        {
            var produced = await RawProtocolTests.ProduceAsync(raw, topic, TestBatch.Build(-1, -1, -1, 1000, new string((char)('a' + i), BatchChars)), ct);
            Assert.Equal(0, produced.Error);
        }

        return topic;
    }

    /// <summary>A socket with a tiny receive buffer that sends many Fetches (v4, the whole partition each) and reads nothing.</summary>
    private static async Task<Socket> PipelineFetchesAsync(BrokerServer broker, string topic, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        var colon = broker.BootstrapServers.LastIndexOf(':');
        await socket.ConnectAsync(broker.BootstrapServers[..colon], int.Parse(broker.BootstrapServers[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), ct);
        for (var correlation = 1; correlation <= Fetches; correlation++)
        {
            var frame = new RequestWriter().Int16(1).Int16(4).Int32(correlation).String("slow-reader")
                .Int32(-1).Int32(0).Int32(1).Int32(int.MaxValue).Int8(0)
                .Int32(1).String(topic).Int32(1).Int32(0).Int64(0).Int32(int.MaxValue).ToFrame();
            await socket.SendAsync(frame, ct);
        }

        return socket;
    }
}
