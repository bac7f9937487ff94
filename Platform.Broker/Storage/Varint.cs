using System.Diagnostics.CodeAnalysis;

namespace Platform.Broker.Storage;

/// <summary>
/// The zigzag varints of Kafka records (protobuf style: 7 bits per byte, least significant group first, high bit =
/// more bytes follow; zigzag maps signed to unsigned so small negatives stay short).
/// </summary>
internal static class Varint
{
    public const int MaxInt32Bytes = 5;
    public const int MaxInt64Bytes = 10;

    /// <summary>Reads a zigzag varint; false when <paramref name="source"/> ends first. Throws on an over-long varint.</summary>
    public static bool TryReadInt32(ReadOnlySpan<byte> source, out int value, out int consumed)
    {
        uint result = 0;
        for (var i = 0; i < MaxInt32Bytes; i++)
        {
            if (i >= source.Length)
            {
                value = 0;
                consumed = 0;
                return false;
            }

            var b = source[i];
            result |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                value = (int)(result >> 1) ^ -(int)(result & 1);
                consumed = i + 1;
                return true;
            }
        }

        ThrowTooLong(32);
        value = 0;
        consumed = 0;
        return false;
    }

    /// <summary>Reads a zigzag varlong; false when <paramref name="source"/> ends first. Throws on an over-long varint.</summary>
    public static bool TryReadInt64(ReadOnlySpan<byte> source, out long value, out int consumed)
    {
        ulong result = 0;
        for (var i = 0; i < MaxInt64Bytes; i++)
        {
            if (i >= source.Length)
            {
                value = 0;
                consumed = 0;
                return false;
            }

            var b = source[i];
            result |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                value = (long)(result >> 1) ^ -(long)(result & 1);
                consumed = i + 1;
                return true;
            }
        }

        ThrowTooLong(64);
        value = 0;
        consumed = 0;
        return false;
    }

    public static int SizeOf(long value)
    {
        var zigzag = (ulong)((value << 1) ^ (value >> 63));
        var size = 1;
        while (zigzag >= 0x80)
        {
            zigzag >>= 7;
            size++;
        }

        return size;
    }

    /// <summary>Writes a zigzag varint/varlong; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, long value)
    {
        var zigzag = (ulong)((value << 1) ^ (value >> 63));
        var i = 0;
        while (zigzag >= 0x80)
        {
            destination[i++] = (byte)(zigzag | 0x80);
            zigzag >>= 7;
        }

        destination[i++] = (byte)zigzag;
        return i;
    }

    [DoesNotReturn]
    private static void ThrowTooLong(int bits) => throw new InvalidDataException($"A varint longer than a {bits}-bit value allows.");
}
