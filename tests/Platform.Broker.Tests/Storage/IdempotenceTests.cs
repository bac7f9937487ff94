using Platform.Broker.Storage;

namespace Platform.Broker.Tests.Storage;

public sealed class IdempotenceTests
{
    [Fact]
    public async Task DuplicateRetry_ReturnsTheOriginalOffset_AndAppendsNothing()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        var pid = h.Manager.AllocateProducerId();
        Assert.Equal(0, (await log.AppendAsync(Batches.Idempotent(pid, 0, 0, 3), TestContext.Current.CancellationToken)).BaseOffset);
        Assert.Equal(3, (await log.AppendAsync(Batches.Idempotent(pid, 0, 3, 2), TestContext.Current.CancellationToken)).BaseOffset);
        var retry = await log.AppendAsync(Batches.Idempotent(pid, 0, 0, 3), TestContext.Current.CancellationToken);
        Assert.Equal(ErrorCode.None, retry.Error);
        Assert.Equal(0, retry.BaseOffset);
        Assert.Equal(5, log.LogEndOffset);
    }

    [Fact]
    public async Task SequenceGap_IsOutOfOrder()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        await log.AppendAsync(Batches.Idempotent(7, 0, 0, 3), TestContext.Current.CancellationToken);
        var gap = await log.AppendAsync(Batches.Idempotent(7, 0, 4, 1), TestContext.Current.CancellationToken);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, gap.Error);
        Assert.Contains("expected 3", gap.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(3, log.LogEndOffset);
    }

    [Fact]
    public async Task OldEpoch_IsFenced_AndNewEpochStartsAtZero()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        await log.AppendAsync(Batches.Idempotent(7, 1, 0, 1), TestContext.Current.CancellationToken);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, (await log.AppendAsync(Batches.Idempotent(7, 0, 1, 1), TestContext.Current.CancellationToken)).Error);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, (await log.AppendAsync(Batches.Idempotent(7, 2, 5, 1), TestContext.Current.CancellationToken)).Error);
        Assert.Equal(ErrorCode.None, (await log.AppendAsync(Batches.Idempotent(7, 2, 0, 1), TestContext.Current.CancellationToken)).Error);
        Assert.Equal(((short)2, 0), log.GetProducerState(7));
    }

    [Fact]
    public async Task UnknownProducer_MayStartAtAnySequence_AndOthersAreIndependent()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        Assert.Equal(ErrorCode.None, (await log.AppendAsync(Batches.Idempotent(1, 0, 40, 2), TestContext.Current.CancellationToken)).Error);
        Assert.Equal(ErrorCode.None, (await log.AppendAsync(Batches.Idempotent(2, 0, 0, 2), TestContext.Current.CancellationToken)).Error);
        Assert.Equal(ErrorCode.None, (await log.AppendAsync(Batches.Idempotent(1, 0, 42, 1), TestContext.Current.CancellationToken)).Error);
        Assert.Equal(ErrorCode.None, (await log.AppendAsync(Batches.Make(1), TestContext.Current.CancellationToken)).Error);
    }

    [Fact]
    public async Task OnlyTheLastFiveBatches_AreRecognisedAsRetries()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        for (var i = 0; i < 7; i++)
        {
            await log.AppendAsync(Batches.Idempotent(9, 0, i, 1), TestContext.Current.CancellationToken);
        }

        Assert.Equal(2, (await log.AppendAsync(Batches.Idempotent(9, 0, 2, 1), TestContext.Current.CancellationToken)).BaseOffset);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, (await log.AppendAsync(Batches.Idempotent(9, 0, 1, 1), TestContext.Current.CancellationToken)).Error);
    }

    [Fact]
    public async Task ProducerState_SurvivesACleanRestart()
    {
        await using var h = new LogHarness();
        h.Manager.CreateTopic("t", 1);
        await h.Partition("t").AppendAsync(Batches.Idempotent(5, 3, 0, 4), TestContext.Current.CancellationToken);
        await h.Partition("t").AppendAsync(Batches.Idempotent(5, 3, 4, 4), TestContext.Current.CancellationToken);
        await h.ReopenAsync();
        var log = h.Partition("t");
        Assert.Equal(4, (await log.AppendAsync(Batches.Idempotent(5, 3, 4, 4), TestContext.Current.CancellationToken)).BaseOffset);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, (await log.AppendAsync(Batches.Idempotent(5, 3, 9, 1), TestContext.Current.CancellationToken)).Error);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, (await log.AppendAsync(Batches.Idempotent(5, 2, 8, 1), TestContext.Current.CancellationToken)).Error);
        Assert.Equal(8, (await log.AppendAsync(Batches.Idempotent(5, 3, 8, 1), TestContext.Current.CancellationToken)).BaseOffset);
    }

    [Fact]
    public async Task ProducerState_IsRebuiltFromTheLog_AfterACrash()
    {
        await using var h = new LogHarness();
        h.Manager.CreateTopic("t", 1, new TopicConfig { SegmentBytes = 512 });
        for (var i = 0; i < 30; i++)
        {
            await h.Partition("t").AppendAsync(Batches.Idempotent(5, 0, i * 2, 2), TestContext.Current.CancellationToken);
        }

        Assert.True(h.Partition("t").Segments.Count > 3);
        await h.CrashAndReopenAsync();
        var log = h.Partition("t");
        Assert.Equal(((short)0, 59), log.GetProducerState(5));
        Assert.Equal(56, (await log.AppendAsync(Batches.Idempotent(5, 0, 56, 2), TestContext.Current.CancellationToken)).BaseOffset);
        Assert.Equal(60, (await log.AppendAsync(Batches.Idempotent(5, 0, 60, 2), TestContext.Current.CancellationToken)).BaseOffset);
    }

    [Fact]
    public async Task ProducerIds_AreNeverReused_AcrossRestarts()
    {
        await using var h = new LogHarness();
        var first = Enumerable.Range(0, 5).Select(_ => h.Manager.AllocateProducerId()).ToList();
        await h.ReopenAsync();
        var second = h.Manager.AllocateProducerId();
        Assert.Equal(first.Count, first.Distinct().Count());
        Assert.True(second > first.Max());
    }
}
