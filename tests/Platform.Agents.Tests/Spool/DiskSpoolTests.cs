using System.Text;
using Platform.Agents.Spool;
using Platform.TestKit;

namespace Platform.Agents.Tests.Spool;

public sealed class DiskSpoolTests : IDisposable
{
    private readonly TempDirectory _dir = new("spool");

    public void Dispose() => _dir.Dispose();

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static List<string> ReadAll(DiskSpool spool)
    {
        var values = new List<string>();
        while (spool.TryReadNext(out var entry))
        {
            values.Add(Encoding.UTF8.GetString(entry.Value));
        }

        return values;
    }

    [Fact]
    public void RecordHeader_RoundTrips_ThroughItsFixedLayout()
    {
        var header = new SpoolRecordHeader(1234, 0xDEADBEEF, 0x0102030405060708, SpoolTopic.Logs, 17);
        var bytes = new byte[SpoolRecordHeader.Size];
        header.Format(bytes);

        // bodyLength 1234 LE | crc | id LE | topic 2 | reserved | keyLength 17 LE | reserved
        Assert.Equal(new byte[] { 0xD2, 0x04, 0, 0, 0xEF, 0xBE, 0xAD, 0xDE, 8, 7, 6, 5, 4, 3, 2, 1, 2, 0, 17, 0, 0, 0, 0, 0 }, bytes);
        Assert.Equal(header, new SpoolRecordHeader(bytes));
    }

    [Fact]
    public void CommitFile_RoundTrips_AndRejectsCorruption()
    {
        var bytes = new byte[CommitFile.Size];
        CommitFile.Format(42, bytes);
        Assert.Equal("PASC"u8.ToArray(), bytes[..4]);
        Assert.Equal(42UL, CommitFile.Parse(bytes));
        bytes[9] ^= 1;
        Assert.Null(CommitFile.Parse(bytes));
    }

    [Fact]
    public void Append_ThenRead_ReturnsRecordsInOrder_WithKeysAndTopics()
    {
        using var spool = new DiskSpool(_dir.Path, 1024 * 1024);
        spool.Append(SpoolTopic.Metrics, Bytes("host-a"), Bytes("m1"));
        spool.Append(SpoolTopic.Logs, Bytes("host-a"), Bytes("l1"));

        Assert.True(spool.TryReadNext(out var first));
        Assert.True(spool.TryReadNext(out var second));
        Assert.False(spool.TryReadNext(out _));
        Assert.Equal((1UL, SpoolTopic.Metrics, "host-a", "m1"), (first.Id, first.Topic, Encoding.UTF8.GetString(first.Key), Encoding.UTF8.GetString(first.Value)));
        Assert.Equal((2UL, SpoolTopic.Logs, "l1"), (second.Id, second.Topic, Encoding.UTF8.GetString(second.Value)));
        Assert.Equal(2, spool.PendingRecords);
    }

    [Fact]
    public void Reopen_ReplaysUncommittedRecords_Only()
    {
        using (var spool = new DiskSpool(_dir.Path, 1024 * 1024))
        {
            for (var i = 1; i <= 5; i++)
            {
                spool.Append(SpoolTopic.Metrics, [], Bytes($"r{i}"));
            }

            spool.Commit(3); // r1 and r2 delivered
        }

        using var reopened = new DiskSpool(_dir.Path, 1024 * 1024);
        Assert.Equal(3UL, reopened.Committed);
        Assert.Equal(["r3", "r4", "r5"], ReadAll(reopened));
        Assert.Equal(6UL, reopened.Append(SpoolTopic.Metrics, [], Bytes("r6")));
    }

    [Fact]
    public void Recovery_CutsTornTail_AndKeepsWholeRecords()
    {
        using (var spool = new DiskSpool(_dir.Path, 1024 * 1024))
        {
            spool.Append(SpoolTopic.Metrics, [], Bytes("whole-1"));
            spool.Append(SpoolTopic.Metrics, [], Bytes("whole-2"));
        }

        var segment = Directory.GetFiles(_dir.Path, "*.seg").Single();
        var length = new FileInfo(segment).Length;
        using (var stream = new FileStream(segment, FileMode.Append))
        {
            stream.Write([40, 0, 0, 0, 1, 2, 3]); // a header cut short by a crash
        }

        using var reopened = new DiskSpool(_dir.Path, 1024 * 1024);
        Assert.Equal(1, reopened.TruncatedAtRecovery);
        Assert.Equal(length, new FileInfo(segment).Length);
        Assert.Equal(["whole-1", "whole-2"], ReadAll(reopened));
    }

    [Fact]
    public void Recovery_CutsRecordWithBadCrc()
    {
        using (var spool = new DiskSpool(_dir.Path, 1024 * 1024))
        {
            spool.Append(SpoolTopic.Metrics, [], Bytes("good"));
            spool.Append(SpoolTopic.Metrics, [], Bytes("flipped"));
        }

        var segment = Directory.GetFiles(_dir.Path, "*.seg").Single();
        var bytes = File.ReadAllBytes(segment);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(segment, bytes);

        using var reopened = new DiskSpool(_dir.Path, 1024 * 1024);
        Assert.Equal(["good"], ReadAll(reopened));
    }

    [Fact]
    public void Bound_DropsOldestSegments_CountsThem_AndKeepsNewestInOrder()
    {
        const long max = 128 * 1024; // segments of 32 KiB
        using var spool = new DiskSpool(_dir.Path, max);
        var value = new byte[1000];
        for (var i = 0; i < 400; i++)
        {
            BitConverter.TryWriteBytes(value, i);
            spool.Append(SpoolTopic.Metrics, [], value);
        }

        Assert.True(spool.Bytes <= max, $"spool holds {spool.Bytes} bytes, bound {max}");
        Assert.True(spool.DroppedRecords > 0);
        var ids = new List<int>();
        while (spool.TryReadNext(out var entry))
        {
            ids.Add(BitConverter.ToInt32(entry.Value));
        }

        Assert.Equal(400, ids.Count + spool.DroppedRecords); // every record either kept or counted as dropped
        Assert.Equal(Enumerable.Range((int)spool.DroppedRecords, ids.Count), ids); // the newest survive, in order
        Assert.Equal(399, ids[^1]);
    }

    [Fact]
    public void Bound_CountsOnlyRecordsNeverRead_AsDropped()
    {
        const long max = 128 * 1024; // segments of 32 KiB: ~30 records of 1 KB each
        using var spool = new DiskSpool(_dir.Path, max);
        var value = new byte[1000];
        for (var i = 0; i < 20; i++)
        {
            spool.Append(SpoolTopic.Metrics, [], value);
        }

        // Handed to the transport, not yet acknowledged: they may still be delivered.
        var read = 0;
        while (spool.TryReadNext(out _))
        {
            read++;
        }

        for (var i = 0; i < 400; i++)
        {
            spool.Append(SpoolTopic.Metrics, [], value);
        }

        var unread = 0L;
        while (spool.TryReadNext(out _))
        {
            unread++;
        }

        Assert.Equal(20, read);
        Assert.True(spool.OldestId > 21, "the records read were deleted by the bound");
        Assert.Equal(420 - read - unread, spool.DroppedRecords); // deleted and never read
    }

    [Fact]
    public void RecordCrc_IsTheDocumentedFold_OfTheBodyAndHeaderCrcs()
    {
        var header = new byte[SpoolRecordHeader.Size];
        new SpoolRecordHeader(5, 0, 7, SpoolTopic.Logs, 2).Format(header);
        var body = "k1abc"u8.ToArray();

        var expected = Crc32C.Compute(body) ^ unchecked(Crc32C.Compute(header.AsSpan(8, 16)) * 31);

        Assert.Equal(expected, SpoolRecordHeader.ComputeCrc(header, body));
    }

    [Fact]
    public void Rewind_ReadsAgainFromTheGivenRecord()
    {
        using var spool = new DiskSpool(_dir.Path, 1024 * 1024);
        for (var i = 1; i <= 4; i++)
        {
            spool.Append(SpoolTopic.Metrics, [], Bytes($"r{i}"));
        }

        Assert.Equal(4, ReadAll(spool).Count);
        spool.Rewind(3);
        Assert.Equal(["r3", "r4"], ReadAll(spool));
    }

    [Fact]
    public void Commit_DeletesFinishedSegments_AndPersists()
    {
        using (var spool = new DiskSpool(_dir.Path, 128 * 1024))
        {
            var value = new byte[1000];
            for (var i = 0; i < 100; i++)
            {
                spool.Append(SpoolTopic.Metrics, [], value);
            }

            Assert.True(Directory.GetFiles(_dir.Path, "*.seg").Length > 1);
            ReadAll(spool);
            spool.Commit(101);
            spool.PersistCommit();
            Assert.Single(Directory.GetFiles(_dir.Path, "*.seg"));
            Assert.Equal(0, spool.PendingRecords);
        }

        using var reopened = new DiskSpool(_dir.Path, 128 * 1024);
        Assert.Empty(ReadAll(reopened));
        Assert.Equal(101UL, reopened.NextId);
    }
}
