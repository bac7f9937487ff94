using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using K4os.Compression.LZ4.Streams;
using ZstdSharp;

namespace Platform.Broker.Storage;

/// <summary>
/// Inflates the records of a compressed batch so ListOffsets by timestamp can find the exact first record at or after
/// a time. Used only on that path: produce and fetch pass batches through compressed. Codecs as Kafka frames them:
/// gzip (1), snappy (2: a raw block, or xerial's framing — magic 0x82 "SNAPPY" 0, two int32 versions, then
/// [int32 length, block]...), lz4 (3: the LZ4 frame format), zstd (4: zstd frames).
/// </summary>
internal static class BatchDecompressor
{
    /// <summary>The largest inflated record section decoded (a guard against decompression bombs).</summary>
    public const int MaxDecompressedBytes = 256 * 1024 * 1024;

    private static ReadOnlySpan<byte> XerialMagic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    /// <summary>
    /// An uncompressed copy of <paramref name="batch"/> (header with the codec bits cleared and the length adjusted,
    /// then the inflated records), in an array rented from <see cref="ArrayPool{T}.Shared"/>; the caller returns it.
    /// Throws <see cref="InvalidDataException"/> when the records do not inflate or are too large.
    /// </summary>
    public static byte[] Decompress(ReadOnlySpan<byte> batch, out int length)
    {
        var header = new RecordBatchHeader(batch);
        var compressed = batch[RecordBatchHeader.Size..(int)header.TotalSize];
        byte[] records;
        int recordsLength;
        try
        {
            (records, recordsLength) = header.Compression switch
            {
                1 => Inflate(compressed, static s => new GZipStream(s, CompressionMode.Decompress)),
                2 => Snappy(compressed),
                3 => Inflate(compressed, static s => LZ4Stream.Decode(s)),
                4 => Inflate(compressed, static s => new DecompressionStream(s)),
                _ => throw new InvalidDataException($"Unknown compression codec {header.Compression}."),
            };
        }
        catch (Exception ex) when (ex is not InvalidDataException and (IOException or ArgumentException or InvalidOperationException or ZstdException))
        {
            throw new InvalidDataException($"The batch's records do not inflate: {ex.Message}", ex);
        }

        try
        {
            length = RecordBatchHeader.Size + recordsLength;
            var result = ArrayPool<byte>.Shared.Rent(length);
            batch[..RecordBatchHeader.Size].CopyTo(result);
            BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(RecordBatchHeader.LengthAt), length - RecordBatchHeader.LogOverhead);
            var attributes = (short)(header.Attributes & ~RecordBatchHeader.CompressionMask);
            BinaryPrimitives.WriteInt16BigEndian(result.AsSpan(RecordBatchHeader.AttributesAt), attributes);
            records.AsSpan(0, recordsLength).CopyTo(result.AsSpan(RecordBatchHeader.Size));
            return result;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(records);
        }
    }

    private static (byte[], int) Inflate(ReadOnlySpan<byte> compressed, Func<Stream, Stream> decoder)
    {
        // A cold path (ListOffsets by time): a read-only stream over a pooled copy of the compressed bytes.
        var input = ArrayPool<byte>.Shared.Rent(compressed.Length);
        try
        {
            compressed.CopyTo(input);
            using var source = new MemoryStream(input, 0, compressed.Length, writable: false);
            using var stream = decoder(source);
            var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(4096, compressed.Length * 4));
            var written = 0;
            try
            {
                while (true)
                {
                    if (written == buffer.Length)
                    {
                        if (buffer.Length >= MaxDecompressedBytes)
                        {
                            throw new InvalidDataException($"The batch inflates past {MaxDecompressedBytes} bytes.");
                        }

                        var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(MaxDecompressedBytes, buffer.Length * 2));
                        buffer.AsSpan(0, written).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }

                    var n = stream.Read(buffer, written, buffer.Length - written);
                    if (n == 0)
                    {
                        return (buffer, written);
                    }

                    written += n;
                }
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    private static (byte[], int) Snappy(ReadOnlySpan<byte> compressed)
    {
        if (!compressed.StartsWith(XerialMagic))
        {
            return SnappyBlock(compressed);
        }

        // xerial framing: 8-byte magic, version and compatible version (int32 each), then length-prefixed raw blocks.
        var rest = compressed[16..];
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(4096, compressed.Length * 4));
        var written = 0;
        try
        {
            while (!rest.IsEmpty)
            {
                if (rest.Length < 4)
                {
                    throw new InvalidDataException("A snappy block length is cut short.");
                }

                var blockLength = BinaryPrimitives.ReadInt32BigEndian(rest);
                if (blockLength < 0 || blockLength > rest.Length - 4)
                {
                    throw new InvalidDataException($"A snappy block of {blockLength} bytes does not fit the {rest.Length - 4} left.");
                }

                var block = rest.Slice(4, blockLength);
                var size = global::Snappier.Snappy.GetUncompressedLength(block);
                if (size < 0 || (long)written + size > MaxDecompressedBytes)
                {
                    throw new InvalidDataException($"The batch inflates past {MaxDecompressedBytes} bytes.");
                }

                if (written + size > buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(written + size, buffer.Length * 2));
                    buffer.AsSpan(0, written).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                written += global::Snappier.Snappy.Decompress(block, buffer.AsSpan(written));
                rest = rest[(4 + blockLength)..];
            }

            return (buffer, written);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static (byte[], int) SnappyBlock(ReadOnlySpan<byte> block)
    {
        var size = global::Snappier.Snappy.GetUncompressedLength(block);
        if (size < 0 || size > MaxDecompressedBytes)
        {
            throw new InvalidDataException($"The batch inflates past {MaxDecompressedBytes} bytes.");
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, size));
        try
        {
            return (buffer, global::Snappier.Snappy.Decompress(block, buffer));
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}
