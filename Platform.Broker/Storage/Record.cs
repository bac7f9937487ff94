namespace Platform.Broker.Storage;

/// <summary>One record of an uncompressed batch, as <see cref="RecordReader"/> decodes it; spans point into the batch.</summary>
internal readonly ref struct Record
{
    public Record(long offset, long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, int headerCount, ReadOnlySpan<byte> headers)
    {
        Offset = offset;
        Timestamp = timestamp;
        Key = key;
        KeyIsNull = keyIsNull;
        Value = value;
        ValueIsNull = valueIsNull;
        HeaderCount = headerCount;
        Headers = headers;
    }

    public long Offset { get; }

    public long Timestamp { get; }

    public ReadOnlySpan<byte> Key { get; }

    public bool KeyIsNull { get; }

    public ReadOnlySpan<byte> Value { get; }

    public bool ValueIsNull { get; }

    public int HeaderCount { get; }

    /// <summary>The encoded headers (HeaderCount entries of keyLen varint, key, valueLen varint, value).</summary>
    public ReadOnlySpan<byte> Headers { get; }
}
