using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Agents.Health;
using Platform.Agents.Publishing;
using Platform.Agents.Spool;
using Platform.TestKit;

namespace Platform.Agents.Tests.Publishing;

/// <summary>
/// The publisher's rewind logic against a transport whose outages the test controls; the same path runs
/// against the real broker in <c>AgentBrokerTests</c>.
/// </summary>
public sealed class PublisherTests : IDisposable
{
    private readonly TempDirectory _dir = new("publisher");

    public void Dispose() => _dir.Dispose();

    /// <summary>Reports outcomes on the thread pool like librdkafka's delivery thread; fails everything sent while down.</summary>
    private sealed class OutageTransport : ITransport
    {
        public volatile bool Down;
        public readonly ConcurrentQueue<string> Delivered = new();
        public readonly HashSet<string> Reject = [];

        public string Name => "outage";

        public bool IsBroken => false;

        public void Send(SpoolEntry entry, Action<ulong, DeliveryOutcome, string?> onResult)
        {
            // The "broker" takes a record in the order it is sent (as one partition does); the outcome is
            // reported later on another thread.
            var value = Encoding.UTF8.GetString(entry.Value);
            var outcome = Down ? DeliveryOutcome.Retry : Reject.Contains(value) ? DeliveryOutcome.Rejected : DeliveryOutcome.Delivered;
            if (outcome == DeliveryOutcome.Delivered)
            {
                Delivered.Enqueue(value);
            }

            ThreadPool.QueueUserWorkItem(_ => onResult(entry.Id, outcome, outcome == DeliveryOutcome.Delivered ? null : "broker down or record refused"));
        }

        public void Flush(TimeSpan timeout)
        {
        }

        public void Dispose()
        {
        }
    }

    private static OutgoingRecord Record(string value, SpoolTopic topic = SpoolTopic.Metrics) => new(topic, [], Encoding.UTF8.GetBytes(value));

    [Fact]
    public async Task Outage_DeliversEveryRecordOnce_InOrder_AfterRecovery()
    {
        var transport = new OutageTransport();
        var counters = new AgentCounters();
        using var spool = new DiskSpool(_dir.Path, 4 * 1024 * 1024);
        var publisher = new Publisher(spool, () => transport, counters, NullLogger.Instance);
        publisher.Start();

        var ct = TestContext.Current.CancellationToken;
        for (var i = 0; i < 20; i++)
        {
            await publisher.EnqueueAsync(Record($"m{i:D3}"), ct);
        }

        await Poll.UntilAsync(() => transport.Delivered.Count == 20, TimeSpan.FromSeconds(30), "first 20 delivered", TestContext.Current.CancellationToken);
        transport.Down = true;
        for (var i = 20; i < 60; i++)
        {
            await publisher.EnqueueAsync(Record($"m{i:D3}"), ct);
            await publisher.EnqueueAsync(Record($"l{i:D3}", SpoolTopic.Logs), ct);
        }

        await Poll.UntilAsync(() => counters.PublishErrors > 0, TimeSpan.FromSeconds(30), "failed deliveries", TestContext.Current.CancellationToken);
        transport.Down = false;
        await Poll.UntilAsync(() => transport.Delivered.Count == 100, TimeSpan.FromSeconds(30), "all 100 delivered", TestContext.Current.CancellationToken);
        await publisher.StopAsync(TimeSpan.FromSeconds(5));
        await publisher.DisposeAsync();

        var delivered = transport.Delivered.ToList();
        Assert.Equal(delivered.Count, delivered.Distinct().Count());
        var metrics = delivered.Where(v => v[0] == 'm').ToList();
        Assert.Equal(Enumerable.Range(0, 60).Select(i => $"m{i:D3}"), metrics);
        Assert.Equal(Enumerable.Range(20, 40).Select(i => $"l{i:D3}"), delivered.Where(v => v[0] == 'l'));
        Assert.Equal(0, spool.PendingRecords);
        Assert.False(counters.BrokerReachable && counters.PublishErrors == 0);
    }

    [Fact]
    public async Task Restart_SendsWhatThePreviousRunLeftInTheSpool()
    {
        var down = new OutageTransport { Down = true };
        using (var spool = new DiskSpool(_dir.Path, 4 * 1024 * 1024))
        {
            var publisher = new Publisher(spool, () => down, new AgentCounters(), NullLogger.Instance);
            publisher.Start();
            publisher.TryEnqueue(Record("a"));
            publisher.TryEnqueue(Record("b"));
            await publisher.DrainToSpoolAsync();
            await publisher.StopAsync(TimeSpan.Zero);
            await publisher.DisposeAsync();
        }

        var up = new OutageTransport();
        using var reopened = new DiskSpool(_dir.Path, 4 * 1024 * 1024);
        var next = new Publisher(reopened, () => up, new AgentCounters(), NullLogger.Instance);
        next.Start();
        next.TryEnqueue(Record("c"));
        await Poll.UntilAsync(() => up.Delivered.Count == 3, TimeSpan.FromSeconds(30), "a, b, c delivered", TestContext.Current.CancellationToken);
        await next.DisposeAsync();
        Assert.Equal(["a", "b", "c"], up.Delivered);
    }

    [Fact]
    public async Task RejectedRecord_IsDroppedAndCounted_WithoutBlockingTheRest()
    {
        var transport = new OutageTransport();
        transport.Reject.Add("poison");
        var counters = new AgentCounters();
        using var spool = new DiskSpool(_dir.Path, 4 * 1024 * 1024);
        var publisher = new Publisher(spool, () => transport, counters, NullLogger.Instance);
        publisher.Start();
        publisher.TryEnqueue(Record("a"));
        publisher.TryEnqueue(Record("poison"));
        publisher.TryEnqueue(Record("b"));

        await Poll.UntilAsync(() => transport.Delivered.Count == 2, TimeSpan.FromSeconds(30), "a and b delivered", TestContext.Current.CancellationToken);
        // The refusal is reported later on the thread pool: "b" can be taken before the publisher has heard of it, and a
        // publisher stopped before then never counts it.
        await Poll.UntilAsync(() => counters.SpoolDropped > 0, TimeSpan.FromSeconds(30), "the refused record counted", TestContext.Current.CancellationToken);
        await publisher.DisposeAsync();

        Assert.Equal(["a", "b"], transport.Delivered);
        Assert.Equal(1, counters.SpoolDropped);
    }

    [Fact]
    public async Task CommitFileFailure_IsCountedAndRetried_WithoutStoppingDelivery()
    {
        var ct = TestContext.Current.CancellationToken;
        var transport = new OutageTransport();
        var counters = new AgentCounters();
        using var spool = new DiskSpool(_dir.Path, 4 * 1024 * 1024);
        // A directory where the commit file's temporary copy goes: every commit write fails, as on a full disk.
        var blocker = Path.Join(_dir.Path, "committed.tmp");
        Directory.CreateDirectory(blocker);
        var publisher = new Publisher(spool, () => transport, counters, NullLogger.Instance);
        publisher.Start();

        await publisher.EnqueueAsync(Record("a"), ct);
        await Poll.UntilAsync(() => counters.SpoolErrors >= 2, TimeSpan.FromSeconds(30), "failed commits counted", ct);
        await publisher.EnqueueAsync(Record("b"), ct);
        await Poll.UntilAsync(() => transport.Delivered.Count == 2, TimeSpan.FromSeconds(30), "a and b delivered despite the failing commit", ct);

        Directory.Delete(blocker);
        await Poll.UntilAsync(() => new CommitFile(Path.Join(_dir.Path, "committed")).Read() == 3, TimeSpan.FromSeconds(30), "the commit point persisted once the disk is back", ct);
        await publisher.DisposeAsync();
        Assert.Equal(["a", "b"], transport.Delivered);
    }

    [Fact]
    public async Task TryEnqueue_DropsAndCounts_WhenTheQueueIsFull()
    {
        var counters = new AgentCounters();
        using var spool = new DiskSpool(_dir.Path, 4 * 1024 * 1024);
        var publisher = new Publisher(spool, () => new OutageTransport(), counters, NullLogger.Instance); // not started: nothing drains

        for (var i = 0; i < Publisher.QueueCapacity; i++)
        {
            Assert.True(publisher.TryEnqueue(Record($"r{i}")));
        }

        Assert.False(publisher.TryEnqueue(Record("one too many")));
        Assert.Equal(1, counters.SpoolDropped);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publisher.EnqueueAsync(Record("waits"), timeout.Token).AsTask());
        await publisher.DisposeAsync();
    }
}
