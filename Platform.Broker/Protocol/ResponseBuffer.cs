using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Platform.Broker.Protocol;

/// <summary>
/// A growable buffer rented from <see cref="ArrayPool{T}"/> into which a whole response frame is encoded: the 4-byte
/// size prefix is reserved first and back-patched by <see cref="Complete"/>; counts not known up front are reserved
/// with <see cref="ReserveInt32"/> and patched with <see cref="PatchInt32"/>. It is an <see cref="IBufferWriter{T}"/>
/// so stored record batches are copied straight into it. Dispose returns the array.
/// </summary>
internal sealed class ResponseBuffer : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _written;

    public ResponseBuffer(int correlationId, int initialCapacity = 256)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
        _written = 4; // frame size, patched by Complete
        WriteInt32(correlationId);
    }

    private ResponseBuffer(int initialCapacity)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
        _written = 4;
    }

    /// <summary>A frame with no response header: a bare SASL token answering one sent after SaslHandshake v0.</summary>
    public static ResponseBuffer CreateRaw(int initialCapacity = 256) => new(initialCapacity);

    public int Length => _written;

    /// <summary>Bytes of the broker-wide Fetch answer budget this answer holds until it is sent (0: none).</summary>
    public long HeldBytes { get; set; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _written);

    /// <summary>Writes the frame size prefix (everything after the first 4 bytes).</summary>
    public void Complete() => BinaryPrimitives.WriteInt32BigEndian(_buffer, _written - 4);

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _written))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void WriteInt8(sbyte value)
    {
        Ensure(1);
        _buffer[_written++] = (byte)value;
    }

    public void WriteBool(bool value) => WriteInt8(value ? (sbyte)1 : (sbyte)0);

    public void WriteInt16(short value)
    {
        Ensure(2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_written), value);
        _written += 2;
    }

    public void WriteInt16(ErrorCode value) => WriteInt16((short)value);

    public void WriteInt32(int value)
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_written), value);
        _written += 4;
    }

    public void WriteInt64(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_written), value);
        _written += 8;
    }

    public void WriteUuid(Guid value)
    {
        Ensure(16);
        value.TryWriteBytes(_buffer.AsSpan(_written), bigEndian: true, out _);
        _written += 16;
    }

    /// <summary>An int16-length string; null writes length -1.</summary>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt16(-1);
            return;
        }

        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Ensure(2 + max);
        var n = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_written + 2));
        if (n > short.MaxValue)
        {
            throw new ArgumentException("string longer than 32767 bytes", nameof(value));
        }

        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_written), (short)n);
        _written += 2 + n;
    }

    /// <summary>An int32-length byte field; null writes length -1.</summary>
    public void WriteBytes(ReadOnlySpan<byte> value, bool isNull = false)
    {
        if (isNull)
        {
            WriteInt32(-1);
            return;
        }

        WriteInt32(value.Length);
        WriteRaw(value);
    }

    public void WriteRaw(ReadOnlySpan<byte> value)
    {
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_written));
        _written += value.Length;
    }

    public void WriteUnsignedVarint(uint value)
    {
        Ensure(5);
        while (value >= 0x80)
        {
            _buffer[_written++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[_written++] = (byte)value;
    }

    /// <summary>Reserves an int32 and returns its position for <see cref="PatchInt32"/>.</summary>
    public int ReserveInt32()
    {
        Ensure(4);
        var at = _written;
        _written += 4;
        return at;
    }

    public void PatchInt32(int position, int value) => BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(position), value);

    /// <summary>Drops everything written after <paramref name="length"/>.</summary>
    public void Truncate(int length) => _written = length;

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The new capacity for <paramref name="written"/> bytes plus <paramref name="sizeHint"/> more: double the current
    /// one, computed without overflowing and capped at <see cref="Array.MaxLength"/>. Throws
    /// <see cref="InvalidOperationException"/> when the response cannot fit in one array at all.
    /// </summary>
    internal static int GrowTo(int capacity, int written, int sizeHint)
    {
        var needed = (long)written + sizeHint;
        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException($"A response of {needed} bytes does not fit in one buffer.");
        }

        return (int)Math.Max(needed, Math.Min((long)capacity * 2, Array.MaxLength));
    }

    private void Ensure(int sizeHint)
    {
        if (sizeHint < 1)
        {
            sizeHint = 1;
        }

        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(GrowTo(_buffer.Length, _written, sizeHint));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
