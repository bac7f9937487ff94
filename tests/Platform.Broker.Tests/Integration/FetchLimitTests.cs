using Platform.TestKit;

namespace Platform.Broker.Tests.Integration;

/// <summary>A Fetch answer is capped by the broker's MaxFetchBytes whatever max_bytes the client asks for.</summary>
public sealed class FetchLimitTests : IAsyncLifetime
{
    private const int MaxFetchBytes = 64 * 1024;
    private readonly TempDirectory _directory = new("broker-fetchcap");
    private BrokerServer _broker = null!;

    public async ValueTask InitializeAsync()
    {
        var options = BrokerFixture.Options(_directory.Path);
        options.MaxFetchBytes = MaxFetchBytes;
        _broker = await BrokerServer.StartAsync(options, BrokerFixture.CreateLoggerFactory());
    }

    public async ValueTask DisposeAsync()
    {
        await _broker.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Fetch_IsCappedAtMaxFetchBytes_WhenTheClientAsksForTwoGiB_ButReturnsAtLeastOneBatch()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("fetchcap");
        _broker.Log.CreateTopic(topic, 1);
        await using var raw = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
        for (var i = 0; i < 10; i++)
        {
            var produced = await RawProtocolTests.ProduceAsync(raw, topic, TestBatch.Build(-1, -1, -1, 1000, new string((char)('a' + i), 20_000)), ct);
            Assert.Equal(0, produced.Error);
        }

        var all = await FetchRecordsAsync(raw, topic, int.MaxValue, ct);
        var oneBatch = await FetchRecordsAsync(raw, topic, 1, ct);

        Assert.InRange(all.Length, 3 * 20_000, MaxFetchBytes);
        Assert.InRange(oneBatch.Length, 20_000, 21_000);
    }

    /// <summary>Fetch v4 from offset 0 with max_bytes and partition_max_bytes both <paramref name="maxBytes"/>; returns the records.</summary>
    private static async Task<byte[]> FetchRecordsAsync(RawKafkaClient raw, string topic, int maxBytes, CancellationToken ct)
    {
        var r = new ResponseReader(await raw.SendAsync(1, 4, w => w.Int32(-1).Int32(0).Int32(1).Int32(maxBytes).Int8(0)
            .Int32(1).String(topic).Int32(1).Int32(0).Int64(0).Int32(maxBytes), ct));
        Assert.Equal(0, r.Int32()); // throttle
        Assert.Equal(1, r.Int32());
        Assert.Equal(topic, r.String());
        Assert.Equal(1, r.Int32());
        Assert.Equal(0, r.Int32());
        Assert.Equal(0, r.Int16());
        Assert.Equal(10, r.Int64()); // high watermark
        r.Int64();
        Assert.Equal(0, r.Int32()); // aborted transactions
        return r.Bytes()!;
    }
}
