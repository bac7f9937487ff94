using System.Buffers;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Platform.Broker.Storage;
using Platform.TestKit;

namespace Platform.Broker.Tests.Storage;

/// <summary>
/// Crash recovery: the log is dropped without a clean close, its files are damaged the way a crash or a bad disk
/// damages them, and reopening must recover exactly the batches before the first damaged one, every one intact.
/// </summary>
public sealed class RecoveryTests
{
    public static TheoryData<int> DefaultSeeds => [.. Enumerable.Range(1, 50)];

    public static TheoryData<int> ManySeeds => [.. Enumerable.Range(1000, 1000)];

    [Theory]
    [MemberData(nameof(DefaultSeeds))]
    public Task Recovery_KeepsEveryBatchBeforeTheDamage(int seed) => RunSeedAsync(seed);

    [Theory]
    [Trait("Category", "Slow")]
    [MemberData(nameof(ManySeeds))]
    public Task Recovery_KeepsEveryBatchBeforeTheDamage_ManySeeds(int seed) => RunSeedAsync(seed);

    private static async Task RunSeedAsync(int seed)
    {
        var random = new Random(seed);
        await using var h = new LogHarness(d => new LogOptions { DataDirectory = d, FlushMode = FlushMode.GroupCommit, FlushInterval = TimeSpan.FromHours(1) });
        var config = new TopicConfig { SegmentBytes = random.Next(1400, 4096), IndexIntervalBytes = random.Next(0, 600) };
        var log = h.Manager.CreateTopic("t", 1, config).Partitions[0];
        var expected = new List<(long Offset, string Value)>();
        var batchCount = random.Next(3, 60);
        for (var b = 0; b < batchCount; b++)
        {
            var builder = new RecordBatchBuilder();
            var records = random.Next(1, 6);
            var values = new List<string>();
            for (var r = 0; r < records; r++)
            {
                var value = $"s{seed}-b{b}-r{r}-" + new string('x', random.Next(0, 200));
                values.Add(value);
                builder.Add(Encoding.UTF8.GetBytes($"k{r}"), Encoding.UTF8.GetBytes(value), 1_000_000 + (b * 10) + r);
            }

            var result = await log.AppendAsync(builder.Build(), TestContext.Current.CancellationToken);
            Assert.Equal(ErrorCode.None, result.Error);
            expected.AddRange(values.Select((v, i) => (result.BaseOffset + i, v)));
        }

        var layout = Layout(log);
        var directory = h.PartitionDirectory("t");
        var damage = random.Next(7);
        var active = layout[^1];
        long expectedEnd = log.LogEndOffset;
        string what;
        switch (damage)
        {
            case 0:
                {
                    var cut = random.NextInt64(0, active.Size + 1);
                    what = $"active segment {active.BaseOffset} cut to {cut} bytes";
                    expectedEnd = EndAfterCut(layout, layout.Count - 1, cut);
                    Damage(active.Path, f => RandomAccess.SetLength(f, cut));
                    break;
                }

            case 1 when active.Size > 0:
                {
                    var at = random.NextInt64(0, active.Size);
                    what = $"active segment {active.BaseOffset} byte {at} flipped";
                    expectedEnd = EndAfterFlip(layout, layout.Count - 1, at);
                    Flip(active.Path, at, random);
                    break;
                }

            case 2:
                {
                    var segment = layout[random.Next(layout.Count)];
                    var path = Path.ChangeExtension(segment.Path, random.Next(2) == 0 ? ".index" : ".timeindex");
                    var length = new FileInfo(path).Length;
                    switch (random.Next(3))
                    {
                        case 0:
                            what = $"{path} cut";
                            Damage(path, f => RandomAccess.SetLength(f, random.NextInt64(0, length + 1)));
                            break;
                        case 1 when length > 0:
                            what = $"{path} flipped";
                            Flip(path, random.NextInt64(0, length), random);
                            break;
                        default:
                            what = $"{path} deleted";
                            File.Delete(path);
                            break;
                    }

                    break;
                }

            case 3:
                {
                    var index = random.Next(layout.Count);
                    var segment = layout[index];
                    var cut = random.NextInt64(0, segment.Size + 1);
                    what = $"checkpoint deleted, segment {segment.BaseOffset} cut to {cut} bytes";
                    expectedEnd = EndAfterCut(layout, index, cut);
                    File.Delete(Path.Combine(directory, PartitionCheckpoint.FileName));
                    Damage(segment.Path, f => RandomAccess.SetLength(f, cut));
                    break;
                }

            case 4 when layout.Any(s => s.Size > 0):
                {
                    var index = random.Next(layout.Count);
                    while (layout[index].Size == 0)
                    {
                        index = random.Next(layout.Count);
                    }

                    var segment = layout[index];
                    var at = random.NextInt64(0, segment.Size);
                    what = $"checkpoint deleted, segment {segment.BaseOffset} byte {at} flipped";
                    expectedEnd = EndAfterFlip(layout, index, at);
                    File.Delete(Path.Combine(directory, PartitionCheckpoint.FileName));
                    Flip(segment.Path, at, random);
                    break;
                }

            case 5:
                {
                    var garbage = new byte[random.Next(1, 300)];
                    if (random.Next(2) == 0)
                    {
                        random.NextBytes(garbage);
                    }

                    what = $"{garbage.Length} bytes of garbage after the active segment";
                    Damage(active.Path, f => RandomAccess.Write(f, garbage, RandomAccess.GetLength(f)));
                    break;
                }

            default:
                {
                    what = "producer snapshot and checkpoint damaged";
                    File.WriteAllBytes(Path.Combine(directory, ProducerStateManager.SnapshotFileName), [1, 2, 3]);
                    File.WriteAllBytes(Path.Combine(directory, PartitionCheckpoint.FileName), [4, 5, 6]);
                    break;
                }
        }

        await h.CrashAndReopenAsync();
        var recovered = h.Partition("t");
        Assert.True(expectedEnd == recovered.LogEndOffset, $"seed {seed}, {what}: expected log end {expectedEnd}, got {recovered.LogEndOffset}");
        Assert.Equal(expected.Where(e => e.Offset < expectedEnd).ToList(), Batches.ReadAll(recovered));

        // The recovered log takes appends at its end and survives another restart.
        var next = await recovered.AppendAsync(new RecordBatchBuilder().Add("k", "after").Build(), TestContext.Current.CancellationToken);
        Assert.Equal(expectedEnd, next.BaseOffset);
        await h.ReopenAsync();
        var reopened = Batches.ReadAll(h.Partition("t"));
        Assert.Equal(expectedEnd + 1, reopened.Count);
        Assert.Equal("after", reopened[^1].Value);
    }

    [Fact]
    public async Task DiskFull_ReturnsAStorageError_CutsTheTornWrite_AndTheLogStaysUsable()
    {
        var faults = new DiskFullFaults();
        await using var h = new LogHarness(d => new LogOptions { DataDirectory = d, Faults = faults });
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        await log.AppendAsync(Batches.Make(3, "a"), TestContext.Current.CancellationToken);
        var size = log.SizeInBytes;

        faults.Full = true;
        var failed = await log.AppendAsync(Batches.Make(2, "b"), TestContext.Current.CancellationToken);
        Assert.Equal(ErrorCode.KafkaStorageError, failed.Error);
        Assert.Contains("No space left on device", failed.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(3, log.LogEndOffset);
        Assert.Equal(size, new FileInfo(log.Segments[^1].LogPath).Length);
        Assert.Equal(["a-0", "a-1", "a-2"], Batches.ReadAll(log).Select(r => r.Value));

        faults.Full = false;
        Assert.Equal(3, (await log.AppendAsync(Batches.Make(1, "c"), TestContext.Current.CancellationToken)).BaseOffset);
        await h.CrashAndReopenAsync();
        Assert.Equal(["a-0", "a-1", "a-2", "c-0"], Batches.ReadAll(h.Partition("t")).Select(r => r.Value));
    }

    [Fact]
    public async Task Reads_KeepWorking_WhileRetentionDeletesSegments()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1, new TopicConfig { SegmentBytes = 1024, RetentionBytes = 2048 }).Partitions[0];
        using var stop = new CancellationTokenSource();
        var reads = 0;
        var reader = Task.Run(() =>
        {
            var buffer = new ArrayBufferWriter<byte>();
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    buffer.Clear();
                    log.Read(log.LogStartOffset, 4096, buffer);
                    Interlocked.Increment(ref reads);
                }
                catch (OffsetOutOfRangeException)
                {
                    // The start moved between reading it and reading there: a client would reset and retry.
                }
            }
        }, TestContext.Current.CancellationToken);

        for (var i = 0; i < 300; i++)
        {
            await log.AppendAsync(Batches.Make(2), TestContext.Current.CancellationToken);
            if (i % 10 == 0)
            {
                h.Manager.EnforceRetention();
            }
        }

        await Poll.UntilAsync(() => Volatile.Read(ref reads) > 0, TimeSpan.FromSeconds(30), "the reader to read", TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        await reader;
        Assert.True(log.LogStartOffset > 0);
        Assert.True(log.SizeInBytes < 4096);
    }

    [Fact]
    public async Task Recovery_TruncatesATornTail_AndRebuildsMissingIndexes()
    {
        await using var h = new LogHarness();
        var log = h.Manager.CreateTopic("t", 1, new TopicConfig { SegmentBytes = 2048, IndexIntervalBytes = 200 }).Partitions[0];
        for (var i = 0; i < 40; i++)
        {
            await log.AppendAsync(Batches.Make(2, $"r{i}"), TestContext.Current.CancellationToken);
        }

        var segments = log.Segments.Select(s => (s.BaseOffset, s.LogPath, s.Size)).ToList();
        var oldIndex = Path.ChangeExtension(segments[0].LogPath, ".index");
        var oldIndexBytes = File.ReadAllBytes(oldIndex);
        var activeLength = segments[^1].Size;
        await h.CrashAndReopenAsync(() =>
        {
            File.Delete(oldIndex);
            File.Delete(Path.ChangeExtension(segments[1].LogPath, ".timeindex"));
            Damage(segments[^1].LogPath, f => RandomAccess.SetLength(f, activeLength - 5));
        });

        var recovered = h.Partition("t");
        Assert.Equal(78, recovered.LogEndOffset);
        Assert.Equal(activeLength - Batches.Make(2, "r39").Length, new FileInfo(segments[^1].LogPath).Length);
        Assert.Equal(oldIndexBytes, File.ReadAllBytes(oldIndex));
        Assert.True(File.Exists(Path.ChangeExtension(segments[1].LogPath, ".timeindex")));
        Assert.Equal(78, Batches.ReadAll(recovered).Count);
        Assert.Equal("r38-1", Batches.ReadAll(recovered)[^1].Value);
        Assert.Equal(78, (await recovered.AppendAsync(Batches.Make(1), TestContext.Current.CancellationToken)).BaseOffset);
    }

    [Fact]
    public async Task GroupCommit_FlushesOnTheByteThreshold_BeforeTheInterval()
    {
        await using var h = new LogHarness(d => new LogOptions { DataDirectory = d, FlushMode = FlushMode.GroupCommit, FlushInterval = TimeSpan.FromHours(1), FlushBytes = 10_000 });
        var log = h.Manager.CreateTopic("t", 1).Partitions[0];
        await log.AppendAsync(Batches.Make(1), TestContext.Current.CancellationToken);
        Assert.True(log.UnflushedBytes > 0);
        while (log.UnflushedBytes < 10_000)
        {
            await log.AppendAsync(Batches.Make(20), TestContext.Current.CancellationToken);
        }

        await Poll.UntilAsync(() => log.UnflushedBytes < 10_000, TimeSpan.FromSeconds(10), "a flush on the byte threshold", TestContext.Current.CancellationToken);
    }

    private sealed record SegmentLayout(string Path, long BaseOffset, long Size, List<(long Position, long Size, long BaseOffset, long LastOffset)> Batches);

    private static List<SegmentLayout> Layout(PartitionLog log)
    {
        var result = new List<SegmentLayout>();
        foreach (var segment in log.Segments)
        {
            var batches = new List<(long, long, long, long)>();
            var scan = SegmentScanner.Scan(segment.Handle, segment.Size, 0, segment.BaseOffset, verifyCrc: true,
                (long position, in RecordBatchHeader header, ReadOnlySpan<byte> _) => batches.Add((position, header.TotalSize, header.BaseOffset, header.LastOffset)));
            Assert.Null(scan.Problem);
            result.Add(new SegmentLayout(segment.LogPath, segment.BaseOffset, segment.Size, batches));
        }

        return result;
    }

    /// <summary>The log end once segment <paramref name="index"/> is cut to <paramref name="cut"/> bytes (later segments go).</summary>
    private static long EndAfterCut(List<SegmentLayout> layout, int index, long cut)
    {
        if (cut >= layout[index].Size)
        {
            return layout[^1].Batches.Count > 0 ? layout[^1].Batches[^1].LastOffset + 1 : layout[^1].BaseOffset;
        }

        var end = layout[index].BaseOffset;
        foreach (var batch in layout[index].Batches)
        {
            if (batch.Position + batch.Size <= cut)
            {
                end = batch.LastOffset + 1;
            }
        }

        return end;
    }

    /// <summary>
    /// The log end once byte <paramref name="at"/> of segment <paramref name="index"/> is changed: the batch holding it
    /// and everything after go, except for a change in PartitionLeaderEpoch (bytes 12–15), which no check covers (as in Kafka).
    /// </summary>
    private static long EndAfterFlip(List<SegmentLayout> layout, int index, long at)
    {
        var batch = layout[index].Batches.Single(b => at >= b.Position && at < b.Position + b.Size);
        var within = at - batch.Position;
        if (within is >= 12 and < 16)
        {
            return layout[^1].Batches.Count > 0 ? layout[^1].Batches[^1].LastOffset + 1 : layout[^1].BaseOffset;
        }

        return batch.BaseOffset;
    }

    private static void Damage(string path, Action<SafeFileHandle> change)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        change(file);
    }

    private static void Flip(string path, long at, Random random)
    {
        Damage(path, f =>
        {
            var one = new byte[1];
            RandomAccess.Read(f, one, at);
            one[0] ^= (byte)random.Next(1, 256);
            RandomAccess.Write(f, one, at);
        });
    }

    /// <summary>A disk that fills up mid-write: half the bytes land, then ENOSPC.</summary>
    private sealed class DiskFullFaults : IStorageFaults
    {
        public volatile bool Full;

        public void BeforeSegmentWrite(SafeFileHandle file, ReadOnlySpan<byte> data, long position)
        {
            if (Full)
            {
                RandomAccess.Write(file, data[..(data.Length / 2)], position);
                throw new IOException("No space left on device");
            }
        }
    }
}
