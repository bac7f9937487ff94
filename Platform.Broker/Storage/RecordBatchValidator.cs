namespace Platform.Broker.Storage;

/// <summary>
/// Checks the record batches of one produce input before anything is appended: framing (each batch's Length
/// consistent with the buffer), magic 2, CRC-32C, record count against LastOffsetDelta (and, uncompressed, against the
/// record length prefixes), size limits, and batch kinds the broker does not take from clients.
/// </summary>
internal static class RecordBatchValidator
{
    /// <summary>Validates every batch in <paramref name="records"/>; on success returns <see cref="ErrorCode.None"/> and the batch count.</summary>
    public static ErrorCode Validate(ReadOnlySpan<byte> records, int maxBatchBytes, int segmentBytes, out int batchCount, out string? message)
    {
        batchCount = 0;
        message = null;
        if (records.IsEmpty)
        {
            message = "The produce input holds no record batch.";
            return ErrorCode.InvalidRecord;
        }

        var position = 0;
        while (position < records.Length)
        {
            var rest = records[position..];
            if (rest.Length < RecordBatchHeader.Size)
            {
                message = $"Batch {batchCount} at byte {position} is truncated: {rest.Length} bytes left, a batch header needs {RecordBatchHeader.Size}.";
                return ErrorCode.CorruptMessage;
            }

            var header = new RecordBatchHeader(rest);
            if (header.Length < RecordBatchHeader.MinLength || header.TotalSize > rest.Length)
            {
                message = $"Batch {batchCount} at byte {position} has length field {header.Length}, but {rest.Length - RecordBatchHeader.LogOverhead} bytes follow it (minimum {RecordBatchHeader.MinLength}).";
                return ErrorCode.CorruptMessage;
            }

            var batch = rest[..(int)header.TotalSize];
            if (header.Magic != RecordBatchHeader.CurrentMagic)
            {
                message = $"Batch {batchCount} has magic {header.Magic}; only record batch format v2 (magic 2) is accepted.";
                return ErrorCode.CorruptMessage;
            }

            var crc = RecordBatchHeader.ComputeCrc(batch);
            if (crc != header.Crc)
            {
                message = $"Batch {batchCount} fails its CRC-32C check: stored 0x{header.Crc:x8}, computed 0x{crc:x8}.";
                return ErrorCode.CorruptMessage;
            }

            if (batch.Length > maxBatchBytes)
            {
                message = $"Batch {batchCount} is {batch.Length} bytes, over max.message.bytes {maxBatchBytes}.";
                return ErrorCode.MessageTooLarge;
            }

            if (batch.Length > segmentBytes)
            {
                message = $"Batch {batchCount} is {batch.Length} bytes, over segment.bytes {segmentBytes}.";
                return ErrorCode.RecordListTooLarge;
            }

            if (header.LastOffsetDelta < 0 || header.RecordsCount != header.LastOffsetDelta + 1)
            {
                message = $"Batch {batchCount} says {header.RecordsCount} records but its last offset delta is {header.LastOffsetDelta} (count must be delta + 1).";
                return ErrorCode.InvalidRecord;
            }

            if (header.Compression > 4)
            {
                message = $"Batch {batchCount} names compression codec {header.Compression}; known are 0-4.";
                return ErrorCode.CorruptMessage;
            }

            if (header.Compression == 0)
            {
                if (!RecordReader.TryCountRecords(batch[RecordBatchHeader.Size..], out var count) || count != header.RecordsCount)
                {
                    message = $"Batch {batchCount} says {header.RecordsCount} records, but its record length prefixes do not frame that many.";
                    return ErrorCode.CorruptMessage;
                }
            }

            if (header.IsControl)
            {
                message = $"Batch {batchCount} is a control batch; clients may not write control records.";
                return ErrorCode.InvalidRecord;
            }

            if (header.IsTransactional)
            {
                message = $"Batch {batchCount} is transactional; this broker does not support transactions.";
                return ErrorCode.InvalidRecord;
            }

            if (header.ProducerId >= 0 && (header.ProducerEpoch < 0 || header.BaseSequence < 0))
            {
                message = $"Batch {batchCount} has producer id {header.ProducerId} but epoch {header.ProducerEpoch} and base sequence {header.BaseSequence}.";
                return ErrorCode.InvalidRecord;
            }

            position += batch.Length;
            batchCount++;
        }

        return ErrorCode.None;
    }
}
