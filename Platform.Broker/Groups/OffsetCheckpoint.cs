using System.Buffers.Binary;
using System.Text;
using Platform.Broker.Protocol;

namespace Platform.Broker.Groups;

/// <summary>
/// The on-disk layout of the committed-offsets checkpoint (version 1, big-endian):
/// <code>
/// magic "PKCO" (4) · version u16 = 1 · reserved u16 = 0 · entry count i32
/// entries: group (u16 length + UTF-8) · topic (u16 length + UTF-8) · partition i32 · offset i64 · leader epoch i32
///          · commit timestamp i64 · metadata (i32 length + UTF-8, -1 = null)
/// CRC-32C u32 of every byte before it
/// </code>
/// The file is replaced atomically (temp file, fsync, rename), so it is always one whole version.
/// </summary>
internal static class OffsetCheckpoint
{
    public const ushort Version = 1;
    private const int HeaderSize = 12;
    private static ReadOnlySpan<byte> Magic => "PKCO"u8;

    public readonly record struct Entry(string Group, string Topic, int Partition, CommittedOffset Committed);

    public static int MeasureEntry(in Entry e) =>
        2 + Encoding.UTF8.GetByteCount(e.Group) + 2 + Encoding.UTF8.GetByteCount(e.Topic) + 4 + 8 + 4 + 8 + 4
        + (e.Committed.Metadata is null ? 0 : Encoding.UTF8.GetByteCount(e.Committed.Metadata));

    /// <summary>Formats the entries into <paramref name="destination"/> (sized by <see cref="Measure"/>); returns the bytes written.</summary>
    public static int Format(IReadOnlyList<Entry> entries, Span<byte> destination)
    {
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], Version);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], 0);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], entries.Count);
        var p = HeaderSize;
        foreach (var e in entries)
        {
            p += WriteShortString(destination[p..], e.Group);
            p += WriteShortString(destination[p..], e.Topic);
            BinaryPrimitives.WriteInt32BigEndian(destination[p..], e.Partition);
            BinaryPrimitives.WriteInt64BigEndian(destination[(p + 4)..], e.Committed.Offset);
            BinaryPrimitives.WriteInt32BigEndian(destination[(p + 12)..], e.Committed.LeaderEpoch);
            BinaryPrimitives.WriteInt64BigEndian(destination[(p + 16)..], e.Committed.CommitTimestamp);
            p += 24;
            if (e.Committed.Metadata is null)
            {
                BinaryPrimitives.WriteInt32BigEndian(destination[p..], -1);
                p += 4;
            }
            else
            {
                var n = Encoding.UTF8.GetBytes(e.Committed.Metadata, destination[(p + 4)..]);
                BinaryPrimitives.WriteInt32BigEndian(destination[p..], n);
                p += 4 + n;
            }
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination[p..], Crc32C.Compute(destination[..p]));
        return p + 4;
    }

    public static int Measure(IReadOnlyList<Entry> entries)
    {
        var size = HeaderSize + 4;
        foreach (var e in entries)
        {
            size += MeasureEntry(e);
        }

        return size;
    }

    /// <summary>Parses a checkpoint; throws <see cref="InvalidDataException"/> for a bad magic, version, CRC or layout.</summary>
    public static List<Entry> Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderSize + 4 || !data[..4].SequenceEqual(Magic))
        {
            throw new InvalidDataException("not an offsets checkpoint (bad magic or too short)");
        }

        var version = BinaryPrimitives.ReadUInt16BigEndian(data[4..]);
        if (version != Version)
        {
            throw new InvalidDataException($"unsupported offsets checkpoint version {version}");
        }

        var body = data[..^4];
        if (Crc32C.Compute(body) != BinaryPrimitives.ReadUInt32BigEndian(data[^4..]))
        {
            throw new InvalidDataException("offsets checkpoint CRC mismatch");
        }

        var count = BinaryPrimitives.ReadInt32BigEndian(data[8..]);
        if (count < 0 || (long)count * 32 > body.Length - HeaderSize)
        {
            throw new InvalidDataException($"offsets checkpoint entry count {count} does not fit the file");
        }

        var entries = new List<Entry>(count);
        var p = HeaderSize;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var group = ReadShortString(body, ref p);
                var topic = ReadShortString(body, ref p);
                var partition = BinaryPrimitives.ReadInt32BigEndian(body[p..]);
                var offset = BinaryPrimitives.ReadInt64BigEndian(body[(p + 4)..]);
                var epoch = BinaryPrimitives.ReadInt32BigEndian(body[(p + 12)..]);
                var timestamp = BinaryPrimitives.ReadInt64BigEndian(body[(p + 16)..]);
                var metaLength = BinaryPrimitives.ReadInt32BigEndian(body[(p + 24)..]);
                p += 28;
                string? metadata = null;
                if (metaLength >= 0)
                {
                    metadata = Encoding.UTF8.GetString(body.Slice(p, metaLength));
                    p += metaLength;
                }

                entries.Add(new Entry(group, topic, partition, new CommittedOffset(offset, epoch, metadata, timestamp)));
            }
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new InvalidDataException("offsets checkpoint entry runs past the end of the file", ex);
        }

        if (p != body.Length)
        {
            throw new InvalidDataException("offsets checkpoint has trailing bytes");
        }

        return entries;
    }

    private static int WriteShortString(Span<byte> destination, string value)
    {
        var n = Encoding.UTF8.GetBytes(value, destination[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)n);
        return 2 + n;
    }

    private static string ReadShortString(ReadOnlySpan<byte> body, ref int p)
    {
        var n = BinaryPrimitives.ReadUInt16BigEndian(body[p..]);
        var s = Encoding.UTF8.GetString(body.Slice(p + 2, n));
        p += 2 + n;
        return s;
    }
}
