using System.Buffers;
using System.Buffers.Binary;
using Platform.Broker.Storage;
using Platform.Broker.Tests.Integration;

namespace Platform.Broker.Tests.Storage;

public class BatchDecompressorTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Decompress_InflatesSnappyRecords_InXerialFramingOrAsARawBlock(bool xerial)
    {
        var plain = TestBatch.Build(-1, -1, -1, 1000, "alpha", "beta", "gamma");
        var records = plain.AsSpan(RecordBatchHeader.Size).ToArray();
        var block = Snappier.Snappy.CompressToArray(records);
        byte[] payload;
        if (xerial)
        {
            // 0x82 "SNAPPY" 0, version 1, compatible version 1, then the block with its int32 length (split in two).
            var half = records.Length / 2;
            var first = Snappier.Snappy.CompressToArray(records.AsSpan(0, half));
            var second = Snappier.Snappy.CompressToArray(records.AsSpan(half));
            payload = [0x82, .. "SNAPPY"u8, 0, 0, 0, 0, 1, 0, 0, 0, 1, .. BigEndian(first.Length), .. first, .. BigEndian(second.Length), .. second];
        }
        else
        {
            payload = block;
        }

        byte[] compressed = [.. plain.AsSpan(0, RecordBatchHeader.Size), .. payload];
        BinaryPrimitives.WriteInt32BigEndian(compressed.AsSpan(RecordBatchHeader.LengthAt), compressed.Length - RecordBatchHeader.LogOverhead);
        BinaryPrimitives.WriteInt16BigEndian(compressed.AsSpan(RecordBatchHeader.AttributesAt), 2);

        var inflated = BatchDecompressor.Decompress(compressed, out var length);
        try
        {
            Assert.Equal(plain, inflated.AsSpan(0, length).ToArray());
            var reader = new RecordReader(inflated.AsSpan(0, length));
            var count = 0;
            while (reader.TryRead(out _))
            {
                count++;
            }

            Assert.Equal(3, count);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(inflated);
        }
    }

    [Fact]
    public void Decompress_Throws_WhenTheRecordsDoNotInflate()
    {
        var plain = TestBatch.Build(-1, -1, -1, 1000, "alpha");
        BinaryPrimitives.WriteInt16BigEndian(plain.AsSpan(RecordBatchHeader.AttributesAt), 1); // says gzip, is not

        Assert.Throws<InvalidDataException>(() => BatchDecompressor.Decompress(plain, out _));
    }

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }
}
