using System.Buffers.Binary;

namespace Platform.Broker.Storage;

/// <summary>
/// The partition's recovery checkpoint ("partition.checkpoint"), version 1, 24 bytes big-endian: Magic u32 @0 "PLCP"
/// · Version u16 @4 · Flags u16 @6 (bit 0: clean shutdown) · RecoveryPoint i64 @8 (every segment below this offset is
/// known to be on stable storage; recovery validates the segments from here on) · Reserved u32 @16 · CRC-32C u32 @20.
/// </summary>
internal readonly record struct PartitionCheckpoint(long RecoveryPoint, bool CleanShutdown)
{
    public const string FileName = "partition.checkpoint";
    public const int Size = 24;
    public const uint Magic = 0x504C4350;
    public const ushort CurrentVersion = 1;

    /// <exception cref="InvalidDataException">Wrong size, magic, version or CRC.</exception>
    public PartitionCheckpoint(ReadOnlySpan<byte> source)
        : this(0, false)
    {
        if (source.Length != Size)
        {
            throw new InvalidDataException($"A partition checkpoint is {Size} bytes, this one {source.Length}.");
        }

        MetadataFile.CheckSeal(source, "partition checkpoint");
        if (BinaryPrimitives.ReadUInt32BigEndian(source) != Magic || BinaryPrimitives.ReadUInt16BigEndian(source[4..]) != CurrentVersion)
        {
            throw new InvalidDataException("The partition checkpoint has a wrong magic or version.");
        }

        CleanShutdown = (BinaryPrimitives.ReadUInt16BigEndian(source[6..]) & 1) != 0;
        RecoveryPoint = BinaryPrimitives.ReadInt64BigEndian(source[8..]);
    }

    public void Format(Span<byte> destination)
    {
        destination = destination[..Size];
        destination.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], CurrentVersion);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], (ushort)(CleanShutdown ? 1 : 0));
        BinaryPrimitives.WriteInt64BigEndian(destination[8..], RecoveryPoint);
        MetadataFile.Seal(destination);
    }

    public void Write(string directory, bool durable)
    {
        Span<byte> bytes = stackalloc byte[Size];
        Format(bytes);
        MetadataFile.WriteAtomically(Path.Combine(directory, FileName), bytes, durable);
    }

    /// <summary>The checkpoint in <paramref name="directory"/>, or null (with the reason) when missing or damaged.</summary>
    public static PartitionCheckpoint? TryRead(string directory, out string? problem)
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
            return new PartitionCheckpoint(bytes);
        }
        catch (InvalidDataException e)
        {
            problem = e.Message;
            return null;
        }
    }
}
