using System.Buffers.Binary;

namespace Platform.Broker.Storage;

/// <summary>
/// The producer-id reservation ("producer-ids" in the data directory), version 1, 20 bytes big-endian: Magic u32 @0
/// "PLPI" · Version u16 @4 · Reserved u16 @6 · NextBlockStart i64 @8 (ids below it may have been handed out; a restart
/// continues from it) · CRC-32C u32 @16.
/// </summary>
internal readonly record struct ProducerIdBlock(long NextBlockStart)
{
    public const string FileName = "producer-ids";
    public const int Size = 20;
    public const uint Magic = 0x504C5049;
    public const ushort CurrentVersion = 1;
    public const int BlockSize = 1000;

    /// <exception cref="InvalidDataException">Wrong size, magic, version or CRC.</exception>
    public ProducerIdBlock(ReadOnlySpan<byte> source)
        : this(0)
    {
        if (source.Length != Size)
        {
            throw new InvalidDataException($"The producer-id file is {Size} bytes, this one {source.Length}.");
        }

        MetadataFile.CheckSeal(source, "producer-id file");
        if (BinaryPrimitives.ReadUInt32BigEndian(source) != Magic || BinaryPrimitives.ReadUInt16BigEndian(source[4..]) != CurrentVersion)
        {
            throw new InvalidDataException("The producer-id file has a wrong magic or version.");
        }

        NextBlockStart = BinaryPrimitives.ReadInt64BigEndian(source[8..]);
    }

    public void Format(Span<byte> destination)
    {
        destination = destination[..Size];
        destination.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], CurrentVersion);
        BinaryPrimitives.WriteInt64BigEndian(destination[8..], NextBlockStart);
        MetadataFile.Seal(destination);
    }
}
