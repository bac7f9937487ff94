using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Platform.Telemetry.Decoding;

/// <summary>
/// A forward-only reader of the protobuf wire format (varint, fixed64, length-delimited, fixed32) over one span.
/// Every overrun throws <see cref="InvalidDataException"/>.
/// </summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireBytes = 2;
    public const int WireFixed32 = 5;

    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool End => _position >= _data.Length;

    public readonly int Position => _position;

    /// <summary>Reads a tag: the field number (≥ 1) and the wire type.</summary>
    public (int Field, int Wire) ReadTag()
    {
        var tag = ReadVarint();
        var field = tag >> 3;
        if (field == 0 || field > int.MaxValue)
        {
            ThrowMalformed("field number 0 or out of range");
        }

        return ((int)field, (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        // One-byte varints (tags, small lengths, kinds) are the common case.
        if (_position < _data.Length && _data[_position] < 0x80)
        {
            return _data[_position++];
        }

        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                ThrowMalformed("truncated varint");
            }

            var b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        ThrowMalformed("varint longer than 10 bytes");
        return 0;
    }

    public ulong ReadFixed64()
    {
        if (_data.Length - _position < 8)
        {
            ThrowMalformed("truncated fixed64");
        }

        var value = BinaryPrimitives.ReadUInt64LittleEndian(_data[_position..]);
        _position += 8;
        return value;
    }

    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
        {
            ThrowMalformed("length beyond the end of the message");
        }

        var bytes = _data.Slice(_position, (int)length);
        _position += (int)length;
        return bytes;
    }

    public void Skip(int wire)
    {
        switch (wire)
        {
            case WireVarint:
                ReadVarint();
                break;
            case WireFixed64:
                ReadFixed64();
                break;
            case WireBytes:
                ReadBytes();
                break;
            case WireFixed32:
                if (_data.Length - _position < 4)
                {
                    ThrowMalformed("truncated fixed32");
                }

                _position += 4;
                break;
            default:
                ThrowMalformed($"wire type {wire}");
                break;
        }
    }

    [DoesNotReturn]
    public static void ThrowMalformed(string what) => throw new InvalidDataException("malformed metric batch: " + what);
}
