using System.Diagnostics;
using Confluent.Kafka;
using Platform.TestKit;

namespace Platform.Broker.Tests.Integration;

/// <summary>
/// Idle connections and half-sent frames are closed so they cannot use up MaxConnections; a connection whose request is
/// parked is not idle. Each test runs its own broker with short timeouts.
/// </summary>
public sealed class ConnectionTimeoutTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _directory = new("broker-timeouts");
    private BrokerServer _broker = null!;

    public async ValueTask InitializeAsync()
    {
        var options = BrokerFixture.Options(_directory.Path);
        options.ConnectionIdleTimeout = TimeSpan.FromSeconds(1);
        options.FrameTimeout = TimeSpan.FromSeconds(1);
        options.MaxFetchWait = TimeSpan.FromSeconds(3);
        _broker = await BrokerServer.StartAsync(options, BrokerFixture.CreateLoggerFactory());
    }

    public async ValueTask DisposeAsync()
    {
        await _broker.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task SilentConnection_IsClosed_AfterTheIdleTimeout_WhileAClientKeepsWorking()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var silent = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
        var clock = Stopwatch.StartNew();

        Assert.Null(await silent.ReadFrameAsync(ct).WaitAsync(Deadline, ct));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"closed after {clock.Elapsed}");

        using var producer = new ProducerBuilder<Null, string>(BrokerFixture.ProducerConfigFor(_broker.BootstrapServers)).Build();
        var result = await producer.ProduceAsync(BrokerFixture.UniqueTopic("idle"), new Message<Null, string> { Value = "x" }, ct);
        Assert.Equal(PersistenceStatus.Persisted, result.Status);
    }

    [Fact]
    public async Task TricklingHalfFrame_IsClosed_AtTheFrameDeadline_WhileAnotherConnectionIsServed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var trickler = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
        await using var other = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
        await trickler.SendRawAsync([0, 0, 0, 100, 0, 18], ct); // a 100-byte frame, 2 bytes of it
        var closed = trickler.ReadFrameAsync(ct);
        var clock = Stopwatch.StartNew();

        // One more byte every 200 ms: never idle for a second, never finishing the frame.
        while (!closed.IsCompleted && clock.Elapsed < Deadline)
        {
            try
            {
                await trickler.SendRawAsync([0], ct);
            }
            catch (IOException)
            {
                break; // the broker closed it
            }

            Assert.Equal(0, new ResponseReader(await other.SendAsync(18, 1, _ => { }, ct)).Int16());
            await Task.WhenAny(closed, Task.Delay(200, ct));
        }

        Assert.Null(await closed.WaitAsync(Deadline, ct));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"closed after {clock.Elapsed}");
        Assert.Equal(0, new ResponseReader(await other.SendAsync(18, 1, _ => { }, ct)).Int16());
    }

    [Fact]
    public async Task ConnectionWithAParkedFetch_IsNotIdle()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("parked");
        _broker.Log.CreateTopic(topic, 1);
        await using var raw = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
        var clock = Stopwatch.StartNew();

        // Parks for MaxFetchWait (3 s), three times the idle timeout, and is then answered on the same connection.
        var r = new ResponseReader(await raw.SendAsync(1, 4, w => RawProtocolTests.FetchV4(w, topic, maxWaitMs: 60000, offset: 0), ct).WaitAsync(Deadline, ct));

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.5), $"answered after {clock.Elapsed}");
        Assert.Equal(0, r.Int32());
        Assert.Equal(1, r.Int32());
    }

    [Fact]
    public async Task SilentConnections_DoNotKeepTheConnectionLimitFull()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("broker-silent-limit");
        var options = BrokerFixture.Options(dir.Path);
        options.MaxConnections = 4;
        options.ConnectionIdleTimeout = TimeSpan.FromSeconds(2);
        await using var broker = await BrokerServer.StartAsync(options, BrokerFixture.CreateLoggerFactory(), ct);
        var silent = new List<RawKafkaClient>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                silent.Add(await RawKafkaClient.ConnectAsync(broker.BootstrapServers));
            }

            // The limit is full: one more connection is closed at once.
            await using (var refused = await RawKafkaClient.ConnectAsync(broker.BootstrapServers))
            {
                await Assert.ThrowsAsync<IOException>(() => refused.SendAsync(18, 1, _ => { }, ct).WaitAsync(Deadline, ct));
            }

            // Once the idle timeout has closed the silent ones, a new client gets a slot and is served.
            await Poll.UntilAsync(async () =>
            {
                await using var client = await RawKafkaClient.ConnectAsync(broker.BootstrapServers);
                try
                {
                    return new ResponseReader(await client.SendAsync(18, 1, _ => { }, ct)).Int16() == 0;
                }
                catch (IOException)
                {
                    return false; // refused: the limit is still full
                }
            }, Deadline, "a new connection served after the silent ones timed out", ct);
            foreach (var s in silent)
            {
                Assert.Null(await s.ReadFrameAsync(ct).WaitAsync(Deadline, ct));
            }
        }
        finally
        {
            foreach (var s in silent)
            {
                await s.DisposeAsync();
            }
        }
    }
}
