using System.Buffers.Binary;
using Platform.Broker.Storage;

namespace Platform.Broker.Tests.Storage;

public sealed class RecordBatchCodecTests
{
    /// <summary>One record, key "k", value "v", timestamp 1000, built by hand field by field.</summary>
    private static byte[] GoldenBatch()
    {
        byte[] record =
        [
            0x10,             // record length: zigzag varint 8 → 0x10 (8 bytes follow)
            0x00,             // attributes
            0x00,             // timestamp delta 0
            0x00,             // offset delta 0
            0x02, (byte)'k',  // key length 1 (zigzag 2), "k"
            0x02, (byte)'v',  // value length 1, "v"
            0x00,             // header count 0
        ];
        var batch = new byte[61 + record.Length];
        var s = batch.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(s[0..], 0);                  // BaseOffset @0
        BinaryPrimitives.WriteInt32BigEndian(s[8..], batch.Length - 12);  // Length @8: bytes after this field = 58
        BinaryPrimitives.WriteInt32BigEndian(s[12..], -1);                // PartitionLeaderEpoch @12
        s[16] = 2;                                                        // Magic @16
                                                                          // CRC @17: filled below
        BinaryPrimitives.WriteInt16BigEndian(s[21..], 0);                 // Attributes @21: no codec, CreateTime
        BinaryPrimitives.WriteInt32BigEndian(s[23..], 0);                 // LastOffsetDelta @23
        BinaryPrimitives.WriteInt64BigEndian(s[27..], 1000);              // BaseTimestamp @27
        BinaryPrimitives.WriteInt64BigEndian(s[35..], 1000);              // MaxTimestamp @35
        BinaryPrimitives.WriteInt64BigEndian(s[43..], -1);                // ProducerId @43: none
        BinaryPrimitives.WriteInt16BigEndian(s[51..], -1);                // ProducerEpoch @51
        BinaryPrimitives.WriteInt32BigEndian(s[53..], -1);                // BaseSequence @53
        BinaryPrimitives.WriteInt32BigEndian(s[57..], 1);                 // RecordsCount @57
        record.CopyTo(s[61..]);
        return batch;
    }

    [Fact]
    public void Crc32C_MatchesTheCheckValue_ForTheStandardInput()
    {
        // CRC-32C check value of "123456789" (RFC 3720 / iSCSI): 0xE3069283.
        Assert.Equal(0xE3069283u, MetadataFile.Crc32C("123456789"u8));
    }

    [Fact]
    public void Crc32C_ThreeWayRounds_MatchByteAtATime_ForAnyLengthAndAlignment()
    {
        var random = new Random(7);
        var data = new byte[20_000];
        random.NextBytes(data);
        foreach (var length in new[] { 0, 1, 7, 8, 9, 1535, 1536, 1537, 3072, 4000, 19_999 })
        {
            for (var start = 0; start < 3; start++)
            {
                var span = data.AsSpan(start, Math.Min(length, data.Length - start));
                var expected = 0xFFFFFFFFu;
                foreach (var b in span)
                {
                    expected = System.Numerics.BitOperations.Crc32C(expected, b);
                }

                Assert.Equal(~expected, Crc32C.Compute(span));
            }
        }
    }

    [Fact]
    public void Builder_ProducesTheGoldenBytes_ForOneRecord()
    {
        var golden = GoldenBatch();
        BinaryPrimitives.WriteUInt32BigEndian(golden.AsSpan(17), RecordBatchHeader.ComputeCrc(golden));
        var built = new RecordBatchBuilder().Add("k", "v", 1000).Build();
        Assert.Equal(Convert.ToHexString(golden), Convert.ToHexString(built));
    }

    [Fact]
    public void Header_ParsesEveryField_OfTheGoldenBatch()
    {
        var golden = GoldenBatch();
        var header = new RecordBatchHeader(golden);
        Assert.Equal(0, header.BaseOffset);
        Assert.Equal(70 - 12, header.Length);
        Assert.Equal(-1, header.PartitionLeaderEpoch);
        Assert.Equal(2, header.Magic);
        Assert.Equal(0, header.Attributes);
        Assert.Equal(0, header.LastOffsetDelta);
        Assert.Equal(1000, header.BaseTimestamp);
        Assert.Equal(1000, header.MaxTimestamp);
        Assert.Equal(-1, header.ProducerId);
        Assert.Equal(-1, header.ProducerEpoch);
        Assert.Equal(-1, header.BaseSequence);
        Assert.Equal(1, header.RecordsCount);
        Assert.Equal(70, header.TotalSize);
    }

    [Fact]
    public void Header_RoundTrips_ThroughFormat()
    {
        var header = new RecordBatchHeader
        {
            BaseOffset = 0x0102030405060708,
            Length = 1234,
            PartitionLeaderEpoch = 7,
            Magic = 2,
            Crc = 0xDEADBEEF,
            Attributes = 0x0B,
            LastOffsetDelta = 99,
            BaseTimestamp = 1_700_000_000_000,
            MaxTimestamp = 1_700_000_000_999,
            ProducerId = 42,
            ProducerEpoch = 3,
            BaseSequence = 17,
            RecordsCount = 100,
        };
        var bytes = new byte[RecordBatchHeader.Size];
        header.Format(bytes);
        Assert.Equal(header, new RecordBatchHeader(bytes));
        Assert.Equal(3, header.Compression);
        Assert.True(header.IsLogAppendTime);
        Assert.Equal(116, header.LastSequence);
    }

    [Fact]
    public void LastSequence_WrapsAtInt32Max()
    {
        var header = new RecordBatchHeader { BaseSequence = int.MaxValue - 1, LastOffsetDelta = 3 };
        Assert.Equal(1, header.LastSequence);
    }

    [Fact]
    public void Reader_DecodesRecords_WithKeysValuesHeadersAndTimestamps()
    {
        var builder = new RecordBatchBuilder();
        builder.Add([1, 2], null, 5000, [new("h", [9])]);
        builder.Add(null, [3], 5007);
        var batch = builder.Build();
        var reader = new RecordReader(batch);
        Assert.True(reader.TryRead(out var first));
        Assert.Equal(0, first.Offset);
        Assert.Equal(5000, first.Timestamp);
        Assert.Equal([1, 2], first.Key.ToArray());
        Assert.True(first.ValueIsNull);
        Assert.Equal(1, first.HeaderCount);
        Assert.True(reader.TryRead(out var second));
        Assert.Equal(1, second.Offset);
        Assert.Equal(5007, second.Timestamp);
        Assert.True(second.KeyIsNull);
        Assert.Equal([3], second.Value.ToArray());
        Assert.False(reader.TryRead(out _));
        Assert.Equal(5007, new RecordBatchHeader(batch).MaxTimestamp);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(63L)]
    [InlineData(-64L)]
    [InlineData(64L)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void Varint_RoundTrips(long value)
    {
        var bytes = new byte[Varint.MaxInt64Bytes];
        var n = Varint.Write(bytes, value);
        Assert.Equal(Varint.SizeOf(value), n);
        Assert.True(Varint.TryReadInt64(bytes.AsSpan(0, n), out var back, out var consumed));
        Assert.Equal(value, back);
        Assert.Equal(n, consumed);
        Assert.False(Varint.TryReadInt64(bytes.AsSpan(0, n - 1), out _, out _));
    }

    [Fact]
    public void Varint_Throws_OnOverlongInput()
    {
        byte[] bytes = [0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
        Assert.Throws<InvalidDataException>(() => Varint.TryReadInt32(bytes, out _, out _));
    }

    [Fact]
    public void Validator_AcceptsSeveralBatches_InOneInput()
    {
        var input = Batches.Make(3).Concat(Batches.Make(2)).ToArray();
        Assert.Equal(ErrorCode.None, RecordBatchValidator.Validate(input, 1 << 20, 1 << 20, out var count, out _));
        Assert.Equal(2, count);
    }

    [Fact]
    public void Validator_RejectsBadBatches_WithClearErrors()
    {
        var good = Batches.Make(3);
        AssertRejected([], ErrorCode.InvalidRecord, "no record batch");
        AssertRejected(good[..40], ErrorCode.CorruptMessage, "truncated");
        AssertRejected([.. good, 1, 2, 3], ErrorCode.CorruptMessage, "truncated");

        var badCrc = (byte[])good.Clone();
        badCrc[^1] ^= 0xFF;
        AssertRejected(badCrc, ErrorCode.CorruptMessage, "CRC");

        var badMagic = (byte[])good.Clone();
        badMagic[16] = 1;
        AssertRejected(badMagic, ErrorCode.CorruptMessage, "magic");

        var badLength = (byte[])good.Clone();
        BinaryPrimitives.WriteInt32BigEndian(badLength.AsSpan(8), good.Length);
        AssertRejected(badLength, ErrorCode.CorruptMessage, "length field");

        var badCount = (byte[])good.Clone();
        BinaryPrimitives.WriteInt32BigEndian(badCount.AsSpan(57), 4);
        Reseal(badCount);
        AssertRejected(badCount, ErrorCode.InvalidRecord, "last offset delta");

        var badFraming = (byte[])good.Clone();
        BinaryPrimitives.WriteInt32BigEndian(badFraming.AsSpan(57), 2);
        BinaryPrimitives.WriteInt32BigEndian(badFraming.AsSpan(23), 1);
        Reseal(badFraming);
        AssertRejected(badFraming, ErrorCode.CorruptMessage, "length prefixes");

        var control = (byte[])good.Clone();
        BinaryPrimitives.WriteInt16BigEndian(control.AsSpan(21), RecordBatchHeader.ControlFlag);
        Reseal(control);
        AssertRejected(control, ErrorCode.InvalidRecord, "control");

        Assert.Equal(ErrorCode.MessageTooLarge, RecordBatchValidator.Validate(good, good.Length - 1, 1 << 20, out _, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(40)]
    [InlineData(1000)]
    [InlineData(20_000)]
    public void Validator_FramesRecords_WithOneTwoAndThreeByteLengths(int valueSize)
    {
        var builder = new RecordBatchBuilder();
        for (var i = 0; i < 5; i++)
        {
            builder.Add(null, new byte[valueSize]);
        }

        var batch = builder.Build();
        Assert.Equal(ErrorCode.None, RecordBatchValidator.Validate(batch, 1 << 20, 1 << 20, out _, out _));
        Assert.True(RecordReader.TryCountRecords(batch.AsSpan(RecordBatchHeader.Size), out var count));
        Assert.Equal(5, count);
        Assert.False(RecordReader.TryCountRecords(batch.AsSpan(RecordBatchHeader.Size, batch.Length - RecordBatchHeader.Size - 1), out _));
        Assert.False(RecordReader.TryCountRecords([0x01], out _)); // length -1
    }

    [Fact]
    public void Validator_AcceptsCompressedBatches_WithoutDecompressing()
    {
        var builder = new RecordBatchBuilder { Compression = 1 };
        for (var i = 0; i < 10; i++)
        {
            builder.Add("k", new string('x', 100));
        }

        var batch = builder.Build();
        Assert.Equal(1, new RecordBatchHeader(batch).Compression);
        Assert.Equal(ErrorCode.None, RecordBatchValidator.Validate(batch, 1 << 20, 1 << 20, out _, out _));
    }

    private static void Reseal(byte[] batch) => BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(17), RecordBatchHeader.ComputeCrc(batch));

    private static void AssertRejected(byte[] input, ErrorCode expected, string messagePart)
    {
        var error = RecordBatchValidator.Validate(input, 1 << 20, 1 << 20, out _, out var message);
        Assert.Equal(expected, error);
        Assert.Contains(messagePart, message, StringComparison.OrdinalIgnoreCase);
    }
}
