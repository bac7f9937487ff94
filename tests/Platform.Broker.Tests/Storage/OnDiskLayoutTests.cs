using Platform.Broker.Storage;
using Platform.TestKit;

namespace Platform.Broker.Tests.Storage;

public sealed class OnDiskLayoutTests
{
    [Fact]
    public void OffsetIndexEntry_RoundTrips_WithGoldenBytes()
    {
        var entry = new OffsetIndexEntry(0x01020304, 0x0A0B0C0D);
        var bytes = new byte[OffsetIndexEntry.Size];
        entry.Format(bytes);
        // RelativeOffset i32 big-endian, Position i32 big-endian.
        Assert.Equal("010203040A0B0C0D", Convert.ToHexString(bytes));
        Assert.Equal(entry, new OffsetIndexEntry(bytes));
    }

    [Fact]
    public void TimeIndexEntry_RoundTrips_WithGoldenBytes()
    {
        var entry = new TimeIndexEntry(0x0102030405060708, 0x0A0B0C0D);
        var bytes = new byte[TimeIndexEntry.Size];
        entry.Format(bytes);
        // Timestamp i64 big-endian, RelativeOffset i32 big-endian.
        Assert.Equal("01020304050607080A0B0C0D", Convert.ToHexString(bytes));
        Assert.Equal(entry, new TimeIndexEntry(bytes));
    }

    [Fact]
    public void IndexFileHeader_RoundTrips_WithGoldenBytes()
    {
        var header = new IndexFileHeader(OffsetIndexEntry.Magic, 1, 8, 42);
        var bytes = new byte[IndexFileHeader.Size];
        header.Format(bytes);
        // "PLOI", version 1, entry size 8, base offset 42.
        Assert.Equal("504C4F49" + "0001" + "0008" + "000000000000002A", Convert.ToHexString(bytes));
        Assert.Equal(header, new IndexFileHeader(bytes));
    }

    [Fact]
    public void IndexFile_RoundTripsThroughDisk_AndLooksUpTheLastEntryAtOrBelow()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "x.index");
        using (var index = IndexFile<OffsetIndexEntry>.Create(path, 100))
        {
            for (var i = 0; i < 200; i++)
            {
                index.Append(new OffsetIndexEntry(i * 10, i * 1000));
            }
        }

        using var loaded = IndexFile<OffsetIndexEntry>.TryLoad(path, 100, out var problem);
        Assert.Null(problem);
        Assert.NotNull(loaded);
        Assert.Equal(200, loaded.Count);
        Assert.Equal(new OffsetIndexEntry(1990, 199_000), loaded.Last);
        Assert.Equal(-1, loaded.FindLastAtOrBelow(-1));
        Assert.Equal(0, loaded.FindLastAtOrBelow(9));
        Assert.Equal(1, loaded.FindLastAtOrBelow(10));
        Assert.Equal(199, loaded.FindLastAtOrBelow(5000));
    }

    [Fact]
    public void IndexFile_IsRejected_WhenDamaged()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "x.timeindex");
        using (var index = IndexFile<TimeIndexEntry>.Create(path, 0))
        {
            index.Append(new TimeIndexEntry(10, 1));
            index.Append(new TimeIndexEntry(20, 2));
        }

        Assert.Null(IndexFile<TimeIndexEntry>.TryLoad(path, 5, out var wrongBase));
        Assert.Contains("base offset", wrongBase, StringComparison.Ordinal);
        Assert.Null(IndexFile<OffsetIndexEntry>.TryLoad(path, 0, out _));

        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);
        Assert.Null(IndexFile<TimeIndexEntry>.TryLoad(path, 0, out var torn));
        Assert.Contains("whole", torn, StringComparison.Ordinal);

        bytes[IndexFileHeader.Size + 7] = 99; // first timestamp 99 > the second, 20
        File.WriteAllBytes(path, bytes);
        Assert.Null(IndexFile<TimeIndexEntry>.TryLoad(path, 0, out var order));
        Assert.Contains("below", order, StringComparison.Ordinal);

        Assert.Null(IndexFile<TimeIndexEntry>.TryLoad(Path.Combine(dir.Path, "none"), 0, out var missing));
        Assert.Equal("missing", missing);
    }

    [Fact]
    public void PartitionCheckpoint_RoundTrips_AndRejectsDamage()
    {
        var checkpoint = new PartitionCheckpoint(123456, CleanShutdown: true);
        var bytes = new byte[PartitionCheckpoint.Size];
        checkpoint.Format(bytes);
        Assert.Equal("504C4350" + "0001" + "0001" + "000000000001E240", Convert.ToHexString(bytes)[..32]);
        Assert.Equal(checkpoint, new PartitionCheckpoint(bytes));
        bytes[9] ^= 1;
        Assert.Throws<InvalidDataException>(() => new PartitionCheckpoint(bytes));
        Assert.Throws<InvalidDataException>(() => new PartitionCheckpoint(bytes.AsSpan(0, 10)));
    }

    [Fact]
    public void ProducerIdBlock_RoundTrips_AndRejectsDamage()
    {
        var block = new ProducerIdBlock(5000);
        var bytes = new byte[ProducerIdBlock.Size];
        block.Format(bytes);
        Assert.Equal(block, new ProducerIdBlock(bytes));
        bytes[0] = 0;
        Assert.Throws<InvalidDataException>(() => new ProducerIdBlock(bytes));
    }

    [Fact]
    public void TopicMetadata_RoundTrips_AndRejectsDamage()
    {
        var metadata = new TopicMetadata("metrics.v1_x-y", Guid.NewGuid(), 3, 8, new Dictionary<string, string> { ["retention.ms"] = "1000", ["segment.bytes"] = "4096" });
        var bytes = new byte[metadata.GetFormattedSize()];
        Assert.Equal(bytes.Length, metadata.Format(bytes));
        var back = TopicMetadata.Parse(bytes);
        Assert.Equal(metadata.Name, back.Name);
        Assert.Equal(metadata.TopicId, back.TopicId);
        Assert.Equal(3, back.Partition);
        Assert.Equal(8, back.PartitionCount);
        Assert.Equal(metadata.Config.OrderBy(e => e.Key), back.Config.OrderBy(e => e.Key));
        bytes[10] ^= 0x40;
        Assert.Throws<InvalidDataException>(() => TopicMetadata.Parse(bytes));
    }

    [Fact]
    public void ProducerSnapshot_RoundTrips_AndRejectsDamage()
    {
        var state = new ProducerStateManager();
        for (var i = 0; i < 7; i++)
        {
            state.Update(new RecordBatchHeader { ProducerId = 1, ProducerEpoch = 2, BaseSequence = i * 3, LastOffsetDelta = 2, BaseOffset = i * 10 });
        }

        state.Update(new RecordBatchHeader { ProducerId = 9, ProducerEpoch = 0, BaseSequence = 0, LastOffsetDelta = 0, BaseOffset = 99 });
        var bytes = state.FormatSnapshot(100);

        var loaded = new ProducerStateManager();
        Assert.Equal(100, loaded.LoadSnapshot(bytes));
        Assert.True(loaded.TryGet(1, out var entry));
        Assert.Equal(2, entry!.Epoch);
        Assert.Equal(5, entry.BatchCount);
        Assert.Equal(new ProducerBatch(6, 8, 20, 22), entry.GetBatch(0));
        Assert.Equal(new ProducerBatch(18, 20, 60, 62), entry.GetBatch(4));
        Assert.Equal(bytes, loaded.FormatSnapshot(100));
        Assert.True(loaded.TryGet(9, out _));

        bytes[25] ^= 1;
        Assert.Throws<InvalidDataException>(() => new ProducerStateManager().LoadSnapshot(bytes));
    }
}
