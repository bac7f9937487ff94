using System.Buffers;
using System.Buffers.Binary;

namespace Platform.Broker.Protocol;

/// <summary>
/// Splits the connection's byte stream into request frames: int32 size (big-endian) followed by that many bytes.
/// The size is checked against the limit from the 4-byte header alone, before any of the body is buffered.
/// </summary>
internal static class FrameDecoder
{
    /// <summary>The smallest request body: api_key i16, api_version i16, correlation_id i32, client_id length i16.</summary>
    public const int MinFrameSize = 10;

    /// <summary>
    /// Reads the size of the frame at the front of <paramref name="buffer"/> without consuming anything. Returns false
    /// when fewer than 4 bytes are there; throws <see cref="KafkaProtocolException"/> for a size below
    /// <paramref name="minFrameSize"/> or above <paramref name="maxFrameSize"/>.
    /// </summary>
    public static bool TryReadFrameSize(in ReadOnlySequence<byte> buffer, int maxFrameSize, out int size, int minFrameSize = MinFrameSize)
    {
        size = 0;
        if (buffer.Length < 4)
        {
            return false;
        }

        var first = buffer.FirstSpan;
        if (first.Length >= 4)
        {
            size = BinaryPrimitives.ReadInt32BigEndian(first);
        }
        else
        {
            Span<byte> header = stackalloc byte[4];
            buffer.Slice(0, 4).CopyTo(header);
            size = BinaryPrimitives.ReadInt32BigEndian(header);
        }

        if (size < minFrameSize)
        {
            KafkaProtocolException.Throw($"frame size {size} is below the minimum request size {minFrameSize}");
        }

        if (size > maxFrameSize)
        {
            KafkaProtocolException.Throw($"frame size {size} exceeds the limit of {maxFrameSize} bytes");
        }

        return true;
    }

    /// <summary>
    /// Takes one whole frame body off the front of <paramref name="buffer"/>. Returns false and leaves
    /// <paramref name="buffer"/> untouched when more bytes are needed; throws <see cref="KafkaProtocolException"/>
    /// for a size below <paramref name="minFrameSize"/> (a request header's <see cref="MinFrameSize"/>; a bare SASL token
    /// after SaslHandshake v0 has no header and may be shorter) or above <paramref name="maxFrameSize"/>.
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameSize, out ReadOnlySequence<byte> frame, int minFrameSize = MinFrameSize)
    {
        frame = default;
        if (!TryReadFrameSize(buffer, maxFrameSize, out var size, minFrameSize) || buffer.Length - 4 < size)
        {
            return false;
        }

        frame = buffer.Slice(4, size);
        buffer = buffer.Slice(frame.End);
        return true;
    }
}
