using Microsoft.Extensions.Logging.Abstractions;
using Platform.TestKit;

namespace Platform.Broker.Tests.Integration;

/// <summary>The broker-wide budget of request bytes read and not yet answered (MaxQueuedRequestBytes).</summary>
public class QueuedRequestBytesTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ReadingPauses_WhileTheBudgetIsHeldByAParkedRequest_AndResumesWhenItIsAnswered()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("broker-budget");
        var options = BrokerFixture.Options(dir.Path);
        options.MaxQueuedRequestBytes = 150;
        options.MaxFetchWait = TimeSpan.FromSeconds(2);
        await using var broker = await BrokerServer.StartAsync(options, NullLoggerFactory.Instance, ct);
        var topic = BrokerFixture.UniqueTopic("budget");
        broker.Log.CreateTopic(topic, 1);
        await using var fetcher = await RawKafkaClient.ConnectAsync(broker.BootstrapServers);
        await using var big = await RawKafkaClient.ConnectAsync(broker.BootstrapServers);

        var parked = System.Diagnostics.Stopwatch.StartNew();
        var fetch = fetcher.SendAsync(1, 4, w => RawProtocolTests.FetchV4(w, topic, maxWaitMs: 60000, offset: 0), ct);
        await Poll.UntilAsync(() => broker.QueuedRequestBytes > 0, Deadline, "the parked fetch to hold its bytes", ct);

        // ApiVersions v3 with a 200-byte client software name: more than the budget has left while the fetch is parked,
        // so it is read only once the fetch is answered at MaxFetchWait (2 s after it was sent; an empty topic never
        // answers it sooner). Unpaused, it would be answered within milliseconds.
        var name = new string('n', 200);
        var answer = big.SendAsync(18, 3, w => w.Raw([0]).Raw([0xC9, 0x01]).Raw(System.Text.Encoding.ASCII.GetBytes(name)).Raw([2, (byte)'1', 0]), ct);
        var answered = await answer.WaitAsync(Deadline, ct);
        var answeredAfter = parked.Elapsed;

        Assert.True(answeredAfter >= TimeSpan.FromSeconds(1.5), $"answered {answeredAfter.TotalMilliseconds:F0} ms after the fetch was parked");
        await fetch.WaitAsync(Deadline, ct);
        Assert.Equal(0, new ResponseReader(answered).Int16());
        await Poll.UntilAsync(() => broker.QueuedRequestBytes == 0, Deadline, "every reservation given back", ct);
    }

    [Fact]
    public async Task TheBudget_IsGivenBack_WhenAClientClosesWithoutReadingItsAnswers()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("broker-budget-close");
        var options = BrokerFixture.Options(dir.Path);
        options.MaxFetchWait = TimeSpan.FromSeconds(2); // the parked fetch heads a full in-flight queue until then
        await using var broker = await BrokerServer.StartAsync(options, NullLoggerFactory.Instance, ct);
        var topic = BrokerFixture.UniqueTopic("budget-close");
        broker.Log.CreateTopic(topic, 1);

        await using (var raw = await RawKafkaClient.ConnectAsync(broker.BootstrapServers))
        {
            var frames = new List<byte>();
            frames.AddRange(RawProtocolTests.FetchV4(new RequestWriter().Int16(1).Int16(4).Int32(1).String("c"), topic, maxWaitMs: 60000, offset: 0).ToFrame());
            for (var i = 0; i < 200; i++)
            {
                frames.AddRange(new RequestWriter().Int16(18).Int16(1).Int32(i + 2).String("c").ToFrame());
            }

            await raw.SendRawAsync([.. frames], ct);
            await Poll.UntilAsync(() => broker.QueuedRequestBytes > 0, Deadline, "requests queued", ct);
        }

        await Poll.UntilAsync(() => broker.QueuedRequestBytes == 0, Deadline, "every reservation given back after the close", ct);
    }
}
