using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Platform.Broker.Protocol;

/// <summary>
/// Decodes Kafka's primitive types (big-endian integers, int16-length strings, int32-length bytes, int32 array counts,
/// and — for the ApiVersions v3 request only — unsigned varints, compact strings and tagged fields) from one whole
/// request frame. Every read is bounds-checked; a short or inconsistent field throws <see cref="KafkaProtocolException"/>.
/// </summary>
internal ref struct KafkaReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public KafkaReader(ReadOnlySpan<byte> buffer, int position = 0)
    {
        _buffer = buffer;
        _position = position;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    public bool ReadBool() => Take(1)[0] != 0;

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public Guid ReadUuid() => new(Take(16), bigEndian: true);

    /// <summary>A non-null int16-length string.</summary>
    public string ReadString()
    {
        var s = ReadNullableString();
        if (s is null)
        {
            KafkaProtocolException.Throw("a non-nullable string was null");
        }

        return s;
    }

    /// <summary>An int32-counted array of non-null strings (the count checked against the bytes left first).</summary>
    public List<string> ReadStringArray()
    {
        var count = ReadArrayCount(2);
        var items = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            items.Add(ReadString());
        }

        return items;
    }

    /// <summary>An int16-length string; length -1 is null.</summary>
    public string? ReadNullableString()
    {
        var length = ReadInt16();
        if (length < 0)
        {
            if (length != -1)
            {
                KafkaProtocolException.Throw($"negative string length {length}");
            }

            return null;
        }

        return Encoding.UTF8.GetString(Take(length));
    }

    /// <summary>An int16-length string's bytes as (offset, length) into the frame; length -1 is null (offset -1).</summary>
    public (int Offset, int Length) ReadShortBytesRange()
    {
        var length = ReadInt16();
        if (length < 0)
        {
            if (length != -1)
            {
                KafkaProtocolException.Throw($"negative string length {length}");
            }

            return (-1, -1);
        }

        var offset = _position;
        Take(length);
        return (offset, length);
    }

    /// <summary>Bytes of the frame already read past (from <see cref="ReadShortBytesRange"/> or <see cref="ReadBytesRange"/>).</summary>
    public readonly ReadOnlySpan<byte> Slice(int offset, int length) => _buffer.Slice(offset, length);

    /// <summary>An int32-length byte field returned as (offset, length) into the frame; length -1 is null (offset -1).</summary>
    public (int Offset, int Length) ReadBytesRange()
    {
        var length = ReadInt32();
        if (length < 0)
        {
            if (length != -1)
            {
                KafkaProtocolException.Throw($"negative bytes length {length}");
            }

            return (-1, -1);
        }

        var offset = _position;
        Take(length);
        return (offset, length);
    }

    /// <summary>An int32-length byte field copied out (null stays null).</summary>
    public byte[]? ReadNullableBytes()
    {
        var (offset, length) = ReadBytesRange();
        return offset < 0 ? null : _buffer.Slice(offset, length).ToArray();
    }

    /// <summary>
    /// An int32 array count; -1 (null) is returned as -1 when <paramref name="nullable"/>. Rejects a count whose
    /// elements cannot fit in what is left of the frame (count × <paramref name="minElementSize"/> &gt; remaining).
    /// </summary>
    public int ReadArrayCount(int minElementSize, bool nullable = false)
    {
        var count = ReadInt32();
        return CheckCount(count, minElementSize, nullable);
    }

    /// <summary>An unsigned varint (LEB128, at most 5 bytes).</summary>
    public uint ReadUnsignedVarint()
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = Take(1)[0];
            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        KafkaProtocolException.Throw("unsigned varint longer than 5 bytes");
        return 0;
    }

    /// <summary>A compact (unsigned varint length + 1) string; 0 is null.</summary>
    public string? ReadCompactNullableString()
    {
        var n = ReadUnsignedVarint();
        if (n == 0)
        {
            return null;
        }

        if (n - 1 > (uint)Remaining)
        {
            KafkaProtocolException.Throw($"compact string length {n - 1} exceeds the {Remaining} bytes left");
        }

        return Encoding.UTF8.GetString(Take((int)(n - 1)));
    }

    /// <summary>Skips a tagged-field section (flexible versions).</summary>
    public void SkipTaggedFields()
    {
        var count = ReadUnsignedVarint();
        if (count > (uint)Remaining)
        {
            KafkaProtocolException.Throw($"tagged field count {count} exceeds the {Remaining} bytes left");
        }

        for (var i = 0; i < count; i++)
        {
            ReadUnsignedVarint();
            var size = ReadUnsignedVarint();
            if (size > (uint)Remaining)
            {
                KafkaProtocolException.Throw($"tagged field size {size} exceeds the {Remaining} bytes left");
            }

            Take((int)size);
        }
    }

    public readonly int CheckCount(int count, int minElementSize, bool nullable)
    {
        if (count < 0)
        {
            if (count == -1 && nullable)
            {
                return -1;
            }

            KafkaProtocolException.Throw($"negative array count {count}");
        }

        if ((long)count * minElementSize > Remaining)
        {
            KafkaProtocolException.Throw($"array count {count} cannot fit in the {Remaining} bytes left");
        }

        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _position))
        {
            ThrowTruncated(count);
        }

        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }

    private readonly void ThrowTruncated(int count) =>
        KafkaProtocolException.Throw($"truncated request: a field needs {count} bytes at position {_position}, {Remaining} left");
}
