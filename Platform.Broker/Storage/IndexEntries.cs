using System.Buffers.Binary;

namespace Platform.Broker.Storage;

/// <summary>A fixed-size entry of a sparse segment index, keyed by a value that never decreases along the file.</summary>
internal interface IIndexEntry<TSelf>
    where TSelf : struct, IIndexEntry<TSelf>
{
    /// <summary>Bytes per entry on disk.</summary>
    static abstract int Size { get; }

    /// <summary>The file magic of an index of these entries.</summary>
    static abstract uint Magic { get; }

    /// <summary>The search key: relative offset (offset index) or timestamp (time index).</summary>
    long Key { get; }

    static abstract TSelf Parse(ReadOnlySpan<byte> source);

    void Format(Span<byte> destination);
}

/// <summary>
/// Offset index entry, version 1, 8 bytes big-endian: RelativeOffset i32 @0 (offset − segment base offset) ·
/// Position i32 @4 (byte position of the batch with that base offset in the .log file).
/// </summary>
internal readonly record struct OffsetIndexEntry(int RelativeOffset, int Position) : IIndexEntry<OffsetIndexEntry>
{
    public OffsetIndexEntry(ReadOnlySpan<byte> source)
        : this(BinaryPrimitives.ReadInt32BigEndian(source), BinaryPrimitives.ReadInt32BigEndian(source[4..]))
    {
    }

    public static int Size => 8;

    /// <summary>"PLOI".</summary>
    public static uint Magic => 0x504C4F49;

    public long Key => RelativeOffset;

    public static OffsetIndexEntry Parse(ReadOnlySpan<byte> source) => new(source);

    public void Format(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination, RelativeOffset);
        BinaryPrimitives.WriteInt32BigEndian(destination[4..], Position);
    }
}

/// <summary>
/// Time index entry, version 1, 12 bytes big-endian: Timestamp i64 @0 (the largest record timestamp in the segment
/// up to and including the batch below) · RelativeOffset i32 @8 (base offset of that batch − segment base offset).
/// Every batch before that one has a max timestamp ≤ Timestamp.
/// </summary>
internal readonly record struct TimeIndexEntry(long Timestamp, int RelativeOffset) : IIndexEntry<TimeIndexEntry>
{
    public TimeIndexEntry(ReadOnlySpan<byte> source)
        : this(BinaryPrimitives.ReadInt64BigEndian(source), BinaryPrimitives.ReadInt32BigEndian(source[8..]))
    {
    }

    public static int Size => 12;

    /// <summary>"PLTI".</summary>
    public static uint Magic => 0x504C5449;

    public long Key => Timestamp;

    public static TimeIndexEntry Parse(ReadOnlySpan<byte> source) => new(source);

    public void Format(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, Timestamp);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], RelativeOffset);
    }
}

/// <summary>
/// The header of an index file, version 1, 16 bytes big-endian: Magic u32 @0 ("PLOI" offset index, "PLTI" time
/// index) · Version u16 @4 · EntrySize u16 @6 · BaseOffset i64 @8 (the segment's base offset). Entries follow.
/// </summary>
internal readonly record struct IndexFileHeader(uint Magic, ushort Version, ushort EntrySize, long BaseOffset)
{
    public const int Size = 16;
    public const ushort CurrentVersion = 1;

    public IndexFileHeader(ReadOnlySpan<byte> source)
        : this(
            BinaryPrimitives.ReadUInt32BigEndian(source),
            BinaryPrimitives.ReadUInt16BigEndian(source[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(source[6..]),
            BinaryPrimitives.ReadInt64BigEndian(source[8..]))
    {
    }

    public void Format(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], Version);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], EntrySize);
        BinaryPrimitives.WriteInt64BigEndian(destination[8..], BaseOffset);
    }
}
