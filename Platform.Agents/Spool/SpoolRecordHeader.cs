using System.Buffers.Binary;

namespace Platform.Agents.Spool;

/// <summary>
/// The fixed 24-byte header in front of every spooled record (layout version 1, little-endian):
/// <code>
/// offset size field
///  0     4    bodyLength   bytes after this header: key and value
///  4     4    crc          CRC-32C(body) XOR (CRC-32C(bytes 8..24 of this header) * 31 mod 2^32), see ComputeCrc
///  8     8    id           the spool's record id, strictly increasing across segments and runs
/// 16     1    topic        1 = metrics, 2 = logs
/// 17     1    reserved     0
/// 18     2    keyLength    the first keyLength body bytes are the Kafka key, the rest the value
/// 20     4    reserved     0
/// </code>
/// A record whose length runs past the end of its segment or whose CRC does not match is a torn write from
/// a crash: recovery truncates the segment there.
/// </summary>
internal readonly record struct SpoolRecordHeader(int BodyLength, uint Crc, ulong Id, SpoolTopic Topic, ushort KeyLength)
{
    public const int Size = 24;

    /// <summary>The largest body accepted: a batch larger than this is refused (and counted) rather than spooled.</summary>
    public const int MaxBodyLength = 64 * 1024 * 1024;

    public SpoolRecordHeader(ReadOnlySpan<byte> source)
        : this(
            BinaryPrimitives.ReadInt32LittleEndian(source),
            BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[8..]),
            (SpoolTopic)source[16],
            BinaryPrimitives.ReadUInt16LittleEndian(source[18..]))
    {
    }

    public void Format(Span<byte> destination)
    {
        destination[..Size].Clear();
        BinaryPrimitives.WriteInt32LittleEndian(destination, BodyLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Crc);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], Id);
        destination[16] = (byte)Topic;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[18..], KeyLength);
    }

    /// <summary>The CRC of a formatted header (crc field ignored) and body.</summary>
    public static uint ComputeCrc(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body)
    {
        Span<byte> buffer = stackalloc byte[Size - 8];
        header[8..Size].CopyTo(buffer);
        var crc = Crc32C.Compute(buffer);
        // Chain: the body's CRC folded with the header's keeps one pass over each part.
        return Crc32C.Compute(body) ^ (crc * 31);
    }

    /// <summary>Whether the header is structurally possible (before the CRC check).</summary>
    public bool IsPlausible => BodyLength >= KeyLength && BodyLength <= MaxBodyLength && Topic is SpoolTopic.Metrics or SpoolTopic.Logs;
}

/// <summary>The topic of a spooled record.</summary>
internal enum SpoolTopic : byte
{
    Metrics = 1,
    Logs = 2,
}
