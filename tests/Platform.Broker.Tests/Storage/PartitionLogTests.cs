using System.Buffers;
using Platform.Broker.Storage;
using Platform.TestKit;

namespace Platform.Broker.Tests.Storage;

public sealed class PartitionLogTests
{
    [Fact]
    public async Task Append_AssignsContiguousOffsets_AndReadReturnsTheRecords()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        var first = await log.AppendAsync(Batches.Make(3, "a"), TestContext.Current.CancellationToken);
        var second = await log.AppendAsync(Batches.Make(2, "b"), TestContext.Current.CancellationToken);
        Assert.Equal(ErrorCode.None, first.Error);
        Assert.Equal(0, first.BaseOffset);
        Assert.Equal(-1, first.LogAppendTime);
        Assert.Equal(3, second.BaseOffset);
        Assert.Equal(5, log.LogEndOffset);
        Assert.Equal(0, log.LogStartOffset);
        Assert.Equal(
            [(0L, "a-0"), (1L, "a-1"), (2L, "a-2"), (3L, "b-0"), (4L, "b-1")],
            Batches.ReadAll(log));
    }

    [Fact]
    public async Task Append_RewritesBaseOffsetInPlace_KeepingTheCrcValid()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        await log.AppendAsync(Batches.Make(5), TestContext.Current.CancellationToken);
        var batch = Batches.Make(2);
        var result = await log.AppendAsync(batch, TestContext.Current.CancellationToken);
        Assert.Equal(5, result.BaseOffset);
        var buffer = new ArrayBufferWriter<byte>();
        log.Read(5, 1 << 20, buffer);
        Assert.Equal(batch, buffer.WrittenSpan.ToArray());
        var header = new RecordBatchHeader(buffer.WrittenSpan);
        Assert.Equal(5, header.BaseOffset);
        Assert.Equal(header.Crc, RecordBatchHeader.ComputeCrc(buffer.WrittenSpan));
    }

    [Fact]
    public async Task Append_StoresSeveralBatches_FromOneInput()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        var result = await log.AppendAsync(Batches.Make(2, "a").Concat(Batches.Make(3, "b")).ToArray(), TestContext.Current.CancellationToken);
        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(5, log.LogEndOffset);
        Assert.Equal(["a-0", "a-1", "b-0", "b-1", "b-2"], Batches.ReadAll(log).Select(r => r.Value));
    }

    [Fact]
    public async Task Append_RejectsACorruptBatch_AndAppendsNothing()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        var bad = Batches.Make(2);
        bad[^1] ^= 1;
        var input = Batches.Make(1).Concat(bad).ToArray();
        var result = await log.AppendAsync(input, TestContext.Current.CancellationToken);
        Assert.Equal(ErrorCode.CorruptMessage, result.Error);
        Assert.Contains("CRC", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(0, log.LogEndOffset);
        Assert.Equal(0, log.SizeInBytes);
    }

    [Fact]
    public async Task Append_RejectsABatchOverMaxMessageBytes()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1, new TopicConfig { MaxMessageBytes = 200 }).Partitions[0];
        var result = await log.AppendAsync(Batches.Make(1, valueSize: 300), TestContext.Current.CancellationToken);
        Assert.Equal(ErrorCode.MessageTooLarge, result.Error);
        Assert.Equal(0, log.LogEndOffset);
    }

    [Fact]
    public async Task Append_StampsLogAppendTime_WhenTheTopicKeepsIt()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000));
        await using var h = new LogHarness(d => new LogOptions { DataDirectory = d, TimeProvider = clock });
        var log = h.Manager.CreateTopic("t", 1, new TopicConfig { MessageTimestampType = TimestampType.LogAppendTime }).Partitions[0];
        var result = await log.AppendAsync(Batches.Make(2, timestamp: 1000), TestContext.Current.CancellationToken);
        Assert.Equal(1_800_000_000_000, result.LogAppendTime);
        var buffer = new ArrayBufferWriter<byte>();
        log.Read(0, 1 << 20, buffer);
        var header = new RecordBatchHeader(buffer.WrittenSpan);
        Assert.True(header.IsLogAppendTime);
        Assert.Equal(1_800_000_000_000, header.MaxTimestamp);
        Assert.Equal(header.Crc, RecordBatchHeader.ComputeCrc(buffer.WrittenSpan));
    }

    [Fact]
    public async Task Read_ReturnsWholeBatchesUpToMaxBytes_ButAlwaysOne()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        var size = 0;
        for (var i = 0; i < 10; i++)
        {
            var batch = Batches.Make(3, $"b{i}");
            size = batch.Length;
            await log.AppendAsync(batch, TestContext.Current.CancellationToken);
        }

        var buffer = new ArrayBufferWriter<byte>();
        Assert.Equal(size, log.Read(4, 1, buffer));
        Assert.Equal(3, new RecordBatchHeader(buffer.WrittenSpan).BaseOffset);

        buffer.Clear();
        Assert.Equal(2 * size, log.Read(4, (3 * size) - 1, buffer));

        buffer.Clear();
        Assert.Equal(10 * size, log.Read(0, 1 << 20, buffer));

        buffer.Clear();
        Assert.Equal(size, log.Read(29, 1 << 20, buffer));
        Assert.Equal(0, log.Read(30, 1 << 20, buffer));
    }

    [Fact]
    public async Task Read_Throws_OutsideTheLog()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        await log.AppendAsync(Batches.Make(3), TestContext.Current.CancellationToken);
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(4, 100, new ArrayBufferWriter<byte>()));
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(-1, 100, new ArrayBufferWriter<byte>()));
    }

    [Fact]
    public async Task Log_KeepsRecordsAndOffsets_AcrossRestart()
    {
        await using var h = new LogHarness();
        h.Manager.CreateTopic("t", 2, new TopicConfig { RetentionMs = 12345 });
        await h.Partition("t", 1).AppendAsync(Batches.Make(4, "x"), TestContext.Current.CancellationToken);
        var id = h.Manager.Topics.Single().TopicId;
        await h.ReopenAsync();
        Assert.True(h.Manager.TryGetTopic("t", out var topic));
        Assert.Equal(id, topic.TopicId);
        Assert.Equal(12345, topic.Config.RetentionMs);
        Assert.Equal(2, topic.Partitions.Count);
        Assert.Equal(4, topic.Partitions[1].LogEndOffset);
        Assert.Equal(0, topic.Partitions[0].LogEndOffset);
        var result = await topic.Partitions[1].AppendAsync(Batches.Make(1, "y"), TestContext.Current.CancellationToken);
        Assert.Equal(4, result.BaseOffset);
        Assert.Equal(["x-0", "x-1", "x-2", "x-3", "y-0"], Batches.ReadAll(topic.Partitions[1]).Select(r => r.Value));
    }

    [Fact]
    public async Task Segments_RollBySize_AndReadsCrossThem()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1, new TopicConfig { SegmentBytes = 1024, IndexIntervalBytes = 100 }).Partitions[0];
        for (var i = 0; i < 50; i++)
        {
            await log.AppendAsync(Batches.Make(2, $"r{i}"), TestContext.Current.CancellationToken);
        }

        Assert.True(log.Segments.Count > 3, $"{log.Segments.Count} segments");
        Assert.All(log.Segments, s => Assert.True(s.Size <= 1024));
        Assert.True(File.Exists(Path.Combine(h.PartitionDirectory("t"), "00000000000000000000.log")));
        Assert.True(File.Exists(LogSegment.PathFor(h.PartitionDirectory("t"), log.Segments[1].BaseOffset, ".timeindex")));
        var all = Batches.ReadAll(log);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), all.Select(r => r.Offset));
        Assert.Equal("r37-1", all[75].Value);

        await h.ReopenAsync();
        Assert.Equal(all, Batches.ReadAll(h.Partition("t")));
    }

    [Fact]
    public async Task Segments_RollByAge()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var h = new LogHarness(d => new LogOptions { DataDirectory = d, TimeProvider = clock });
        var log = h.Manager.CreateTopic("t", 1, new TopicConfig { SegmentMs = 60_000 }).Partitions[0];
        await log.AppendAsync(Batches.Make(1), TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromSeconds(30));
        await log.AppendAsync(Batches.Make(1), TestContext.Current.CancellationToken);
        Assert.Single(log.Segments);
        clock.Advance(TimeSpan.FromSeconds(31));
        await log.AppendAsync(Batches.Make(1), TestContext.Current.CancellationToken);
        Assert.Equal(2, log.Segments.Count);
        Assert.Equal(2, log.Segments[1].BaseOffset);
    }

    [Fact]
    public async Task Retention_DeletesOldSegmentsByAge_IncludingAnExpiredActiveOne()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var h = new LogHarness(d => new LogOptions { DataDirectory = d, TimeProvider = clock });
        var log = h.Manager.CreateTopic("t", 1, new TopicConfig { SegmentBytes = 1024, RetentionMs = 3_600_000 }).Partitions[0];
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < 20; i++)
        {
            await log.AppendAsync(Batches.Make(2, timestamp: now - 7_200_000), TestContext.Current.CancellationToken);
        }

        var oldSegments = log.Segments.Count - 1;
        var oldFiles = log.Segments.Take(oldSegments).Select(s => s.LogPath).ToList();
        for (var i = 0; i < 3; i++)
        {
            await log.AppendAsync(Batches.Make(2, "new", timestamp: now), TestContext.Current.CancellationToken);
        }

        // Segments holding only old records go; the one holding the first new record (offset 40) stays.
        var expectedStart = log.Segments.Last(s => s.BaseOffset <= 40).BaseOffset;
        Assert.True(expectedStart > 0);
        h.Manager.EnforceRetention();
        Assert.Equal(expectedStart, log.LogStartOffset);
        Assert.All(oldFiles, f => Assert.False(File.Exists(f), f));
        Assert.Contains(Batches.ReadAll(log), r => r.Value == "new-1");

        clock.Advance(TimeSpan.FromHours(2));
        h.Manager.EnforceRetention();
        Assert.Equal(46, log.LogStartOffset);
        Assert.Equal(46, log.LogEndOffset);
        Assert.Equal(46, (await log.AppendAsync(Batches.Make(1), TestContext.Current.CancellationToken)).BaseOffset);
    }

    [Fact]
    public async Task Retention_DeletesOldestSegmentsBySize_KeepingAtLeastTheLimit()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1, new TopicConfig { SegmentBytes = 1024, RetentionBytes = 3000 }).Partitions[0];
        for (var i = 0; i < 100; i++)
        {
            await log.AppendAsync(Batches.Make(2), TestContext.Current.CancellationToken);
        }

        var before = log.SizeInBytes;
        Assert.True(before > 6000);
        h.Manager.EnforceRetention();
        Assert.True(log.SizeInBytes >= 3000, $"{log.SizeInBytes}");
        Assert.True(log.SizeInBytes - log.Segments[0].Size < 3000, $"{log.SizeInBytes}");
        Assert.True(log.LogStartOffset > 0);
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(0, 100, new ArrayBufferWriter<byte>()));
        Assert.Equal(log.LogStartOffset, Batches.ReadAll(log)[0].Offset);
    }

    [Fact]
    public async Task FindOffsetByTimestamp_FindsTheFirstRecordAtOrAfter()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1, new TopicConfig { SegmentBytes = 2048, IndexIntervalBytes = 128 }).Partitions[0];
        for (var i = 0; i < 100; i++)
        {
            var builder = new RecordBatchBuilder();
            builder.Add("k", "a", 10_000 + (i * 10));
            builder.Add("k", "b", 10_000 + (i * 10) + 5);
            await log.AppendAsync(builder.Build(), TestContext.Current.CancellationToken);
        }

        Assert.True(log.Segments.Count > 2);
        Assert.Equal((0L, 10_000L), log.FindOffsetByTimestamp(0));
        Assert.Equal((0L, 10_000L), log.FindOffsetByTimestamp(10_000));
        Assert.Equal((1L, 10_005L), log.FindOffsetByTimestamp(10_001));
        Assert.Equal((100L, 10_500L), log.FindOffsetByTimestamp(10_496));
        Assert.Equal((199L, 10_995L), log.FindOffsetByTimestamp(10_995));
        Assert.Null(log.FindOffsetByTimestamp(10_996));

        await h.ReopenAsync();
        Assert.Equal((151L, 10_755L), h.Partition("t").FindOffsetByTimestamp(10_751));
    }

    [Fact]
    public async Task WaitForData_CompletesOnAppend_AndTimesOutOtherwise()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        Assert.False(await log.WaitForDataAsync(0, TimeSpan.FromMilliseconds(50), TestContext.Current.CancellationToken));

        var waiters = Enumerable.Range(0, 100).Select(_ => log.WaitForDataAsync(0, TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken).AsTask()).ToList();
        var beyond = log.WaitForDataAsync(1, TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken).AsTask();
        Assert.All(waiters, w => Assert.False(w.IsCompleted));
        await log.AppendAsync(Batches.Make(1), TestContext.Current.CancellationToken);
        Assert.All(await Task.WhenAll(waiters), Assert.True);
        Assert.False(await beyond);
        Assert.True(await log.WaitForDataAsync(0, TimeSpan.Zero, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task WaitForData_ThrowsWhenCancelled()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        using var cts = new CancellationTokenSource();
        var wait = log.WaitForDataAsync(0, TimeSpan.FromMinutes(1), cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }

    [Theory]
    [InlineData(FlushMode.Strict)]
    [InlineData(FlushMode.GroupCommit)]
    public async Task ConcurrentAppenders_AreSerialized_WithNoLostOrSharedOffsets(FlushMode mode)
    {
        await using var h = new LogHarness(d => new LogOptions { DataDirectory = d, FlushMode = mode });
        var log = h.Manager.CreateTopic("t", 1, new TopicConfig { SegmentBytes = 16 * 1024 }).Partitions[0];
        var readerStop = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            // Reads during appends must only ever see whole, valid batches.
            while (!readerStop.IsCancellationRequested)
            {
                var end = log.LogEndOffset;
                if (end == 0)
                {
                    continue;
                }

                var buffer = new ArrayBufferWriter<byte>();
                var n = log.Read(end - 1, 1 << 20, buffer);
                Assert.True(n > 0);
                Assert.Equal(ErrorCode.None, RecordBatchValidator.Validate(buffer.WrittenSpan.ToArray(), 1 << 20, 1 << 20, out _, out _));
            }
        }, TestContext.Current.CancellationToken);
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var offsets = new List<long>();
            for (var i = 0; i < 50; i++)
            {
                var result = await log.AppendAsync(Batches.Make(3, $"w{w}-{i}"), TestContext.Current.CancellationToken);
                Assert.Equal(ErrorCode.None, result.Error);
                offsets.Add(result.BaseOffset);
            }

            return offsets;
        }, TestContext.Current.CancellationToken)).ToList();
        var all = (await Task.WhenAll(writers)).SelectMany(o => o).Order().ToList();
        await readerStop.CancelAsync();
        await reader;
        Assert.Equal(Enumerable.Range(0, 400).Select(i => i * 3L), all);
        Assert.Equal(1200, log.LogEndOffset);
        Assert.Equal(1200, Batches.ReadAll(log).Count);
    }

    [Fact]
    public async Task Strict_ConcurrentAppenders_ShareFsyncs()
    {
        var slowDisk = new SlowFsync();
        await using var h = new LogHarness(d => new LogOptions { DataDirectory = d, Faults = slowDisk });
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        var before = log.FlushCount;
        var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(ErrorCode.None, (await log.AppendAsync(Batches.Make(1), TestContext.Current.CancellationToken)).Error);
            }
        }, TestContext.Current.CancellationToken));
        await Task.WhenAll(writers);
        var flushes = log.FlushCount - before;
        Assert.Equal(160, log.LogEndOffset);
        Assert.Equal(0, log.UnflushedBytes);
        Assert.True(flushes <= 80, $"{flushes} fsync rounds for 160 appends by 16 concurrent appenders");
    }

    [Fact]
    public async Task Strict_AppendReturnsBeforeItsFsync_SoTheCallerGoesOnAppending()
    {
        // A connection appends a Produce and then waits for the fsync; the fsync must not run on the caller's thread,
        // or the connection stops reading (its next Produce cannot join the next fsync) and a Produce to several
        // partitions fsyncs them one after another.
        using var disk = new HeldFsync();
        await using var h = new LogHarness(d => new LogOptions { DataDirectory = d, Faults = disk });
        var topic = h.Manager.CreateTopic("t", 2);
        var ct = TestContext.Current.CancellationToken;
        var returned = Task.Factory.StartNew(() => topic.Partitions[0].AppendAsync(Batches.Make(1), ct).AsTask(), ct, TaskCreationOptions.None, TaskScheduler.Default);
        await Poll.UntilAsync(() => disk.Held > 0, TimeSpan.FromSeconds(10), "an fsync is held", ct);
        await Poll.UntilAsync(() => returned.IsCompleted, TimeSpan.FromSeconds(5), "AppendAsync returned while its fsync is held", ct);
        var first = await returned;
        Assert.False(first.IsCompleted);

        var second = topic.Partitions[1].AppendAsync(Batches.Make(2), ct).AsTask();
        Assert.Equal(2, topic.Partitions[1].LogEndOffset);
        await Poll.UntilAsync(() => disk.Held == 2, TimeSpan.FromSeconds(10), "both partitions fsync side by side", ct);
        Assert.False(first.IsCompleted || second.IsCompleted);

        disk.Release();
        Assert.Equal(ErrorCode.None, (await first).Error);
        Assert.Equal(ErrorCode.None, (await second).Error);
        Assert.Equal(0, topic.Partitions[0].UnflushedBytes);
        Assert.False(disk.RanOnThreadPool, "a strict append's fsync held a thread-pool thread");
    }

    /// <summary>A disk whose fsyncs wait until the test releases them (at most 30 s, so a failing test ends).</summary>
    private sealed class HeldFsync : IStorageFaults, IDisposable
    {
        private readonly ManualResetEventSlim _released = new();
        private int _held;

        public int Held => Volatile.Read(ref _held);

        public void Release() => _released.Set();

        public void BeforeSegmentWrite(Microsoft.Win32.SafeHandles.SafeFileHandle file, ReadOnlySpan<byte> data, long position)
        {
        }

        /// <summary>True once an fsync ran on a thread-pool thread (blocking one that request handlers need).</summary>
        public bool RanOnThreadPool { get; private set; }

        public void BeforeFlush()
        {
            RanOnThreadPool |= Thread.CurrentThread.IsThreadPoolThread;
            Interlocked.Increment(ref _held);
            _released.Wait(TimeSpan.FromSeconds(30));
        }

        public void Dispose() => _released.Dispose();
    }

    /// <summary>A disk whose fsync takes 10 ms, so concurrent appenders pile up behind one.</summary>
    private sealed class SlowFsync : IStorageFaults
    {
        public void BeforeSegmentWrite(Microsoft.Win32.SafeHandles.SafeFileHandle file, ReadOnlySpan<byte> data, long position)
        {
        }

        public void BeforeFlush() => Thread.Sleep(10);
    }

    [Fact]
    public async Task GroupCommit_FlushesInTheBackground()
    {
        await using var h = new LogHarness(d => new LogOptions { DataDirectory = d, FlushMode = FlushMode.GroupCommit, FlushInterval = TimeSpan.FromMilliseconds(20) });
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        await log.AppendAsync(Batches.Make(10), TestContext.Current.CancellationToken);
        await Poll.UntilAsync(() => log.UnflushedBytes == 0, TimeSpan.FromSeconds(10), "the group commit", TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Strict_LeavesNothingUnflushed_WhenAppendReturns()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        await log.AppendAsync(Batches.Make(10), TestContext.Current.CancellationToken);
        Assert.Equal(0, log.UnflushedBytes);
    }
}
