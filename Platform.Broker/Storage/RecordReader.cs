namespace Platform.Broker.Storage;

/// <summary>
/// Decodes the records of one uncompressed record batch (magic 2). Record grammar (zigzag varints):
/// <code>
/// Length varint · Attributes i8 · TimestampDelta varlong · OffsetDelta varint · KeyLen varint (-1 null) · Key
/// · ValueLen varint (-1 null) · Value · HeaderCount varint · [HeaderKeyLen varint · HeaderKey · HeaderValueLen varint · HeaderValue]
/// </code>
/// Throws <see cref="InvalidDataException"/> on malformed input.
/// </summary>
internal ref struct RecordReader
{
    private readonly ReadOnlySpan<byte> _records;
    private readonly RecordBatchHeader _header;
    private int _position;
    private int _read;

    /// <param name="batch">One whole batch, header included.</param>
    public RecordReader(ReadOnlySpan<byte> batch)
    {
        _header = new RecordBatchHeader(batch);
        if (_header.TotalSize > batch.Length)
        {
            throw new InvalidDataException($"The batch needs {_header.TotalSize} bytes, {batch.Length} given.");
        }

        if (_header.Compression != 0)
        {
            throw new InvalidDataException($"The batch is compressed (codec {_header.Compression}); only uncompressed records are decoded here.");
        }

        _records = batch[RecordBatchHeader.Size..(int)_header.TotalSize];
        _position = 0;
        _read = 0;
    }

    public readonly RecordBatchHeader Header => _header;

    /// <summary>Decodes the next record; false after the last one.</summary>
    public bool TryRead(out Record record)
    {
        if (_read >= _header.RecordsCount || _position >= _records.Length)
        {
            if (_read != _header.RecordsCount || _position != _records.Length)
            {
                throw new InvalidDataException($"The batch says {_header.RecordsCount} records but holds {_read} in {_records.Length} bytes.");
            }

            record = default;
            return false;
        }

        var rest = _records[_position..];
        var length = ReadInt32(ref rest);
        if (length < 0 || length > rest.Length)
        {
            throw new InvalidDataException($"Record {_read} has length {length} with {rest.Length} bytes left.");
        }

        var body = rest[..length];
        var consumedBefore = _records.Length - _position - rest.Length;
        _ = body[0]; // attributes, unused in magic 2
        body = body[1..];
        var timestampDelta = ReadInt64(ref body);
        var offsetDelta = ReadInt32(ref body);
        var keyLength = ReadInt32(ref body);
        var key = ReadBytes(ref body, keyLength);
        var valueLength = ReadInt32(ref body);
        var value = ReadBytes(ref body, valueLength);
        var headerCount = ReadInt32(ref body);
        if (headerCount < 0 || headerCount > body.Length / 2)
        {
            throw new InvalidDataException($"Record {_read} has {headerCount} headers in {body.Length} bytes.");
        }

        var headers = body;
        var check = body;
        for (var i = 0; i < headerCount; i++)
        {
            _ = ReadBytes(ref check, ReadInt32(ref check));
            _ = ReadBytes(ref check, ReadInt32(ref check));
        }

        if (!check.IsEmpty)
        {
            throw new InvalidDataException($"Record {_read} has {check.Length} bytes after its headers.");
        }

        _position += consumedBefore + length;
        _read++;
        var timestamp = _header.IsLogAppendTime ? _header.MaxTimestamp : _header.BaseTimestamp + timestampDelta;
        record = new Record(_header.BaseOffset + offsetDelta, timestamp, key, keyLength < 0, value, valueLength < 0, headerCount, headers);
        return true;
    }

    /// <summary>Counts the records of an uncompressed batch's records section by their length prefixes only.</summary>
    public static bool TryCountRecords(ReadOnlySpan<byte> records, out int count)
    {
        count = 0;
        while (!records.IsEmpty)
        {
            int length, consumed;
            if (records[0] < 0x80)
            {
                // One-byte length (records under 64 bytes): the common case for small records.
                length = (records[0] >> 1) ^ -(records[0] & 1);
                consumed = 1;
            }
            else if (records.Length > 1 && records[1] < 0x80)
            {
                // Two-byte length (records under 8 KiB).
                var raw = (records[0] & 0x7F) | (records[1] << 7);
                length = (raw >> 1) ^ -(raw & 1);
                consumed = 2;
            }
            else if (!Varint.TryReadInt32(records, out length, out consumed))
            {
                return false;
            }

            if (length < 0 || length > records.Length - consumed)
            {
                return false;
            }

            records = records[(consumed + length)..];
            count++;
        }

        return true;
    }

    private static int ReadInt32(scoped ref ReadOnlySpan<byte> source)
    {
        if (!Varint.TryReadInt32(source, out var value, out var consumed))
        {
            throw new InvalidDataException("A record ends inside a varint.");
        }

        source = source[consumed..];
        return value;
    }

    private static long ReadInt64(scoped ref ReadOnlySpan<byte> source)
    {
        if (!Varint.TryReadInt64(source, out var value, out var consumed))
        {
            throw new InvalidDataException("A record ends inside a varint.");
        }

        source = source[consumed..];
        return value;
    }

    private static ReadOnlySpan<byte> ReadBytes(scoped ref ReadOnlySpan<byte> source, int length)
    {
        if (length < 0)
        {
            return default;
        }

        if (length > source.Length)
        {
            throw new InvalidDataException($"A record field of {length} bytes has {source.Length} bytes left.");
        }

        var bytes = source[..length];
        source = source[length..];
        return bytes;
    }
}
