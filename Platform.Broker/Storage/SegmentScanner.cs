using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Platform.Broker.Storage;

/// <summary>Called for each valid batch a scan passes; <paramref name="batch"/> is the whole batch when CRCs are checked, else at least its header.</summary>
internal delegate void BatchVisitor(long position, in RecordBatchHeader header, ReadOnlySpan<byte> batch);

/// <summary>How far a scan got: the end of the last valid batch, the next offset, and why it stopped early (null at a clean end).</summary>
internal readonly record struct ScanResult(long ValidEnd, long NextOffset, int Batches, string? Problem);

/// <summary>
/// Walks the batches of a segment file sequentially through a pooled buffer, validating framing (length, magic,
/// offsets contiguous from the segment's base offset) and optionally each batch's CRC-32C; stops at the first
/// batch that fails.
/// </summary>
internal static class SegmentScanner
{
    private const int ChunkSize = 64 * 1024;

    public static ScanResult Scan(SafeFileHandle log, long fileSize, long start, long expectedOffset, bool verifyCrc, BatchVisitor? visit)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        long bufferStart = 0, bufferEnd = 0;
        var position = start;
        var next = expectedOffset;
        var batches = 0;
        try
        {
            while (position < fileSize)
            {
                if (fileSize - position < RecordBatchHeader.Size)
                {
                    return new ScanResult(position, next, batches, $"{fileSize - position} bytes at position {position} are too few for a batch header");
                }

                if (!Ensure(log, ref buffer, ref bufferStart, ref bufferEnd, position, RecordBatchHeader.Size, fileSize))
                {
                    return new ScanResult(position, next, batches, $"the file ended while reading the batch header at position {position}");
                }

                var header = new RecordBatchHeader(buffer.AsSpan((int)(position - bufferStart), RecordBatchHeader.Size));
                var problem = Check(header, position, fileSize, next);
                if (problem is not null)
                {
                    return new ScanResult(position, next, batches, problem);
                }

                var total = (int)header.TotalSize;
                ReadOnlySpan<byte> batch;
                if (verifyCrc)
                {
                    if (!Ensure(log, ref buffer, ref bufferStart, ref bufferEnd, position, total, fileSize))
                    {
                        return new ScanResult(position, next, batches, $"the file ended inside the batch at position {position}");
                    }

                    batch = buffer.AsSpan((int)(position - bufferStart), total);
                    var crc = RecordBatchHeader.ComputeCrc(batch);
                    if (crc != header.Crc)
                    {
                        return new ScanResult(position, next, batches, $"the batch at position {position} (offset {header.BaseOffset}) fails its CRC-32C check");
                    }
                }
                else
                {
                    batch = buffer.AsSpan((int)(position - bufferStart), RecordBatchHeader.Size);
                }

                visit?.Invoke(position, header, batch);
                position += total;
                next = header.LastOffset + 1;
                batches++;
            }

            return new ScanResult(position, next, batches, null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The framing checks of a batch header read from disk; null when it passes.</summary>
    public static string? Check(in RecordBatchHeader header, long position, long fileSize, long expectedOffset)
    {
        if (header.Length < RecordBatchHeader.MinLength)
        {
            return $"the batch at position {position} has length {header.Length}, below the minimum {RecordBatchHeader.MinLength}";
        }

        if (position + header.TotalSize > fileSize)
        {
            return $"the batch at position {position} needs {header.TotalSize} bytes, the file has {fileSize - position} left (torn write)";
        }

        if (header.Magic != RecordBatchHeader.CurrentMagic)
        {
            return $"the batch at position {position} has magic {header.Magic}";
        }

        if (header.LastOffsetDelta < 0 || header.RecordsCount != header.LastOffsetDelta + 1)
        {
            return $"the batch at position {position} has last offset delta {header.LastOffsetDelta} and {header.RecordsCount} records";
        }

        if (header.BaseOffset != expectedOffset)
        {
            return $"the batch at position {position} has base offset {header.BaseOffset}, expected {expectedOffset}";
        }

        return null;
    }

    private static bool Ensure(SafeFileHandle log, ref byte[] buffer, ref long bufferStart, ref long bufferEnd, long position, int count, long fileSize)
    {
        if (position >= bufferStart && position + count <= bufferEnd)
        {
            return true;
        }

        if (count > buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(count);
        }

        var want = (int)Math.Min(buffer.Length, fileSize - position);
        var filled = 0;
        while (filled < want)
        {
            var n = RandomAccess.Read(log, buffer.AsSpan(filled, want - filled), position + filled);
            if (n == 0)
            {
                break;
            }

            filled += n;
        }

        bufferStart = position;
        bufferEnd = position + filled;
        return filled >= count;
    }
}
