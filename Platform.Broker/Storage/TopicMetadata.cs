using System.Buffers.Binary;
using System.Text;

namespace Platform.Broker.Storage;

/// <summary>
/// A partition's topic metadata ("partition.metadata", the same in every partition directory of a topic), version 1,
/// big-endian: Magic u32 "PLTM" · Version u16 · Reserved u16 · TopicId 16 bytes (RFC 4122 order) · Partition i32
/// · PartitionCount i32 · NameLength u16 · Name UTF-8 · EntryCount u16 · [KeyLength u16 · Key · ValueLength u16 ·
/// Value] (the topic's own config entries) · CRC-32C u32.
/// </summary>
internal sealed record TopicMetadata(string Name, Guid TopicId, int Partition, int PartitionCount, IReadOnlyDictionary<string, string> Config)
{
    public const string FileName = "partition.metadata";
    public const uint Magic = 0x504C544D;
    public const ushort CurrentVersion = 1;

    /// <exception cref="InvalidDataException">A wrong magic, version, length or CRC.</exception>
    public static TopicMetadata Parse(ReadOnlySpan<byte> source)
    {
        MetadataFile.CheckSeal(source, "topic metadata");
        var body = source[..^MetadataFile.CrcSize];
        var reader = new Reader(body);
        if (reader.UInt32() != Magic || reader.UInt16() != CurrentVersion)
        {
            throw new InvalidDataException("The topic metadata has a wrong magic or version.");
        }

        _ = reader.UInt16();
        var id = new Guid(reader.Bytes(16), bigEndian: true);
        var partition = reader.Int32();
        var count = reader.Int32();
        var name = reader.String();
        var entries = reader.UInt16();
        var config = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < entries; i++)
        {
            config[reader.String()] = reader.String();
        }

        if (!reader.AtEnd)
        {
            throw new InvalidDataException("The topic metadata has bytes after its last field.");
        }

        return new TopicMetadata(name, id, partition, count, config);
    }

    public int GetFormattedSize()
    {
        var size = 4 + 2 + 2 + 16 + 4 + 4 + 2 + Encoding.UTF8.GetByteCount(Name) + 2 + MetadataFile.CrcSize;
        foreach (var (k, v) in Config)
        {
            size += 4 + Encoding.UTF8.GetByteCount(k) + Encoding.UTF8.GetByteCount(v);
        }

        return size;
    }

    public int Format(Span<byte> destination)
    {
        var size = GetFormattedSize();
        destination = destination[..size];
        var p = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[p..], Magic);
        p += 4;
        BinaryPrimitives.WriteUInt16BigEndian(destination[p..], CurrentVersion);
        p += 2;
        BinaryPrimitives.WriteUInt16BigEndian(destination[p..], 0);
        p += 2;
        TopicId.TryWriteBytes(destination[p..], bigEndian: true, out _);
        p += 16;
        BinaryPrimitives.WriteInt32BigEndian(destination[p..], Partition);
        p += 4;
        BinaryPrimitives.WriteInt32BigEndian(destination[p..], PartitionCount);
        p += 4;
        p += WriteString(destination[p..], Name);
        BinaryPrimitives.WriteUInt16BigEndian(destination[p..], checked((ushort)Config.Count));
        p += 2;
        foreach (var (k, v) in Config.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            p += WriteString(destination[p..], k);
            p += WriteString(destination[p..], v);
        }

        MetadataFile.Seal(destination);
        return size;
    }

    public void Write(string directory)
    {
        var bytes = new byte[GetFormattedSize()];
        Format(bytes);
        MetadataFile.WriteAtomically(Path.Combine(directory, FileName), bytes, durable: true);
    }

    public static TopicMetadata? TryRead(string directory, out string? problem)
    {
        var bytes = MetadataFile.TryReadAll(Path.Combine(directory, FileName));
        if (bytes is null)
        {
            problem = "missing";
            return null;
        }

        try
        {
            problem = null;
            return Parse(bytes);
        }
        catch (InvalidDataException e)
        {
            problem = e.Message;
            return null;
        }
    }

    private static int WriteString(Span<byte> destination, string value)
    {
        var n = Encoding.UTF8.GetBytes(value, destination[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination, checked((ushort)n));
        return 2 + n;
    }

    private ref struct Reader(ReadOnlySpan<byte> source)
    {
        private ReadOnlySpan<byte> _rest = source;

        public readonly bool AtEnd => _rest.IsEmpty;

        public ReadOnlySpan<byte> Bytes(int n)
        {
            if (_rest.Length < n)
            {
                throw new InvalidDataException("The topic metadata ends inside a field.");
            }

            var bytes = _rest[..n];
            _rest = _rest[n..];
            return bytes;
        }

        public uint UInt32() => BinaryPrimitives.ReadUInt32BigEndian(Bytes(4));

        public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Bytes(4));

        public ushort UInt16() => BinaryPrimitives.ReadUInt16BigEndian(Bytes(2));

        public string String() => Encoding.UTF8.GetString(Bytes(UInt16()));
    }
}
