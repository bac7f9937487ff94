using System.Buffers.Binary;

namespace Platform.Broker.Storage;

/// <summary>
/// The 61-byte header of a Kafka record batch, magic 2 (Kafka's <c>DefaultRecordBatch</c>; layout in
/// /work/shared/kafka-protocol/NOTES.md "Record batch v2"), big-endian:
/// <code>
/// BaseOffset i64 @0 · Length i32 @8 (bytes after this field) · PartitionLeaderEpoch i32 @12 · Magic i8 @16
/// · CRC u32 @17 (CRC-32C of bytes @21..end) · Attributes i16 @21 · LastOffsetDelta i32 @23 · BaseTimestamp i64 @27
/// · MaxTimestamp i64 @35 · ProducerId i64 @43 · ProducerEpoch i16 @51 · BaseSequence i32 @53 · RecordsCount i32 @57
/// · records @61
/// </code>
/// </summary>
internal readonly record struct RecordBatchHeader
{
    public const int Size = 61;

    /// <summary>BaseOffset and Length: the bytes before the part that <see cref="Length"/> counts.</summary>
    public const int LogOverhead = 12;

    /// <summary>The smallest valid <see cref="Length"/>: the header after the Length field, with no records.</summary>
    public const int MinLength = Size - LogOverhead;

    public const byte CurrentMagic = 2;

    public const int BaseOffsetAt = 0;
    public const int LengthAt = 8;
    public const int PartitionLeaderEpochAt = 12;
    public const int MagicAt = 16;
    public const int CrcAt = 17;
    public const int AttributesAt = 21;
    public const int LastOffsetDeltaAt = 23;
    public const int BaseTimestampAt = 27;
    public const int MaxTimestampAt = 35;
    public const int ProducerIdAt = 43;
    public const int ProducerEpochAt = 51;
    public const int BaseSequenceAt = 53;
    public const int RecordsCountAt = 57;

    public const short CompressionMask = 0x07;
    public const short TimestampTypeFlag = 0x08;
    public const short TransactionalFlag = 0x10;
    public const short ControlFlag = 0x20;

    public RecordBatchHeader(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new ArgumentException($"A record batch header needs {Size} bytes, got {source.Length}.", nameof(source));
        }

        BaseOffset = BinaryPrimitives.ReadInt64BigEndian(source[BaseOffsetAt..]);
        Length = BinaryPrimitives.ReadInt32BigEndian(source[LengthAt..]);
        PartitionLeaderEpoch = BinaryPrimitives.ReadInt32BigEndian(source[PartitionLeaderEpochAt..]);
        Magic = source[MagicAt];
        Crc = BinaryPrimitives.ReadUInt32BigEndian(source[CrcAt..]);
        Attributes = BinaryPrimitives.ReadInt16BigEndian(source[AttributesAt..]);
        LastOffsetDelta = BinaryPrimitives.ReadInt32BigEndian(source[LastOffsetDeltaAt..]);
        BaseTimestamp = BinaryPrimitives.ReadInt64BigEndian(source[BaseTimestampAt..]);
        MaxTimestamp = BinaryPrimitives.ReadInt64BigEndian(source[MaxTimestampAt..]);
        ProducerId = BinaryPrimitives.ReadInt64BigEndian(source[ProducerIdAt..]);
        ProducerEpoch = BinaryPrimitives.ReadInt16BigEndian(source[ProducerEpochAt..]);
        BaseSequence = BinaryPrimitives.ReadInt32BigEndian(source[BaseSequenceAt..]);
        RecordsCount = BinaryPrimitives.ReadInt32BigEndian(source[RecordsCountAt..]);
    }

    public long BaseOffset { get; init; }

    public int Length { get; init; }

    public int PartitionLeaderEpoch { get; init; }

    public byte Magic { get; init; }

    public uint Crc { get; init; }

    public short Attributes { get; init; }

    public int LastOffsetDelta { get; init; }

    public long BaseTimestamp { get; init; }

    public long MaxTimestamp { get; init; }

    public long ProducerId { get; init; }

    public short ProducerEpoch { get; init; }

    public int BaseSequence { get; init; }

    public int RecordsCount { get; init; }

    /// <summary>The whole batch on disk: <see cref="LogOverhead"/> + <see cref="Length"/>.</summary>
    public long TotalSize => LogOverhead + (long)Length;

    public long LastOffset => BaseOffset + LastOffsetDelta;

    /// <summary>0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.</summary>
    public int Compression => Attributes & CompressionMask;

    public bool IsLogAppendTime => (Attributes & TimestampTypeFlag) != 0;

    public bool IsTransactional => (Attributes & TransactionalFlag) != 0;

    public bool IsControl => (Attributes & ControlFlag) != 0;

    /// <summary>The sequence number of the last record (sequences wrap from int.MaxValue to 0).</summary>
    public int LastSequence => BaseSequence < 0 ? -1 : (int)(((long)BaseSequence + LastOffsetDelta) % ((long)int.MaxValue + 1));

    public void Format(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"A record batch header needs {Size} bytes, got {destination.Length}.", nameof(destination));
        }

        BinaryPrimitives.WriteInt64BigEndian(destination[BaseOffsetAt..], BaseOffset);
        BinaryPrimitives.WriteInt32BigEndian(destination[LengthAt..], Length);
        BinaryPrimitives.WriteInt32BigEndian(destination[PartitionLeaderEpochAt..], PartitionLeaderEpoch);
        destination[MagicAt] = Magic;
        BinaryPrimitives.WriteUInt32BigEndian(destination[CrcAt..], Crc);
        BinaryPrimitives.WriteInt16BigEndian(destination[AttributesAt..], Attributes);
        BinaryPrimitives.WriteInt32BigEndian(destination[LastOffsetDeltaAt..], LastOffsetDelta);
        BinaryPrimitives.WriteInt64BigEndian(destination[BaseTimestampAt..], BaseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(destination[MaxTimestampAt..], MaxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(destination[ProducerIdAt..], ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(destination[ProducerEpochAt..], ProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(destination[BaseSequenceAt..], BaseSequence);
        BinaryPrimitives.WriteInt32BigEndian(destination[RecordsCountAt..], RecordsCount);
    }

    /// <summary>CRC-32C of <paramref name="batch"/> from the Attributes field to its end (what the CRC field holds).</summary>
    public static uint ComputeCrc(ReadOnlySpan<byte> batch) => Crc32C.Compute(batch[AttributesAt..]);

    /// <summary>Reads the base offset of the batch at the start of <paramref name="batch"/>.</summary>
    public static long ReadBaseOffset(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch);

    /// <summary>Reads the Length field of the batch at the start of <paramref name="batch"/>.</summary>
    public static int ReadLength(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[LengthAt..]);

    /// <summary>The whole size (12 + Length) of the batch at the start of <paramref name="batch"/>.</summary>
    public static long TotalSizeOf(ReadOnlySpan<byte> batch) => LogOverhead + (long)ReadLength(batch);

    /// <summary>Rewrites the base offset in place; the CRC does not cover it.</summary>
    public static void WriteBaseOffset(Span<byte> batch, long baseOffset) => BinaryPrimitives.WriteInt64BigEndian(batch, baseOffset);
}
