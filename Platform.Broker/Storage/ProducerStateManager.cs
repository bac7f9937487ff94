using System.Buffers.Binary;

namespace Platform.Broker.Storage;

/// <summary>One appended batch of an idempotent producer, as the duplicate check needs it.</summary>
internal readonly record struct ProducerBatch(int FirstSequence, int LastSequence, long FirstOffset, long LastOffset);

/// <summary>What the partition knows of one idempotent producer: its epoch and its last (up to 5) batches.</summary>
internal sealed class ProducerStateEntry(long producerId, short epoch)
{
    public const int MaxBatches = 5;

    private readonly ProducerBatch[] _batches = new ProducerBatch[MaxBatches];
    private int _count;
    private int _next;

    public long ProducerId { get; } = producerId;

    public short Epoch { get; private set; } = epoch;

    public int BatchCount => _count;

    /// <summary>The last sequence appended in the current epoch; -1 when none.</summary>
    public int LastSequence => _count == 0 ? -1 : Newest.LastSequence;

    public long LastOffset => _count == 0 ? -1 : Newest.LastOffset;

    private ProducerBatch Newest => _batches[(_next + MaxBatches - 1) % MaxBatches];

    /// <summary>The batches, oldest first.</summary>
    public ProducerBatch GetBatch(int index) => _batches[(_next - _count + index + (2 * MaxBatches)) % MaxBatches];

    public void Add(short epoch, ProducerBatch batch)
    {
        if (epoch != Epoch)
        {
            Epoch = epoch;
            _count = 0;
            _next = 0;
        }

        _batches[_next] = batch;
        _next = (_next + 1) % MaxBatches;
        _count = Math.Min(_count + 1, MaxBatches);
    }

    public bool TryFindDuplicate(int firstSequence, int lastSequence, out ProducerBatch batch)
    {
        for (var i = 0; i < _count; i++)
        {
            var b = GetBatch(i);
            if (b.FirstSequence == firstSequence && b.LastSequence == lastSequence)
            {
                batch = b;
                return true;
            }
        }

        batch = default;
        return false;
    }
}

/// <summary>
/// The idempotent-producer state of one partition (Kafka's ProducerStateManager, without transactions). Rules (NOTES.md
/// "Idempotence"): a lower epoch is fenced (INVALID_PRODUCER_EPOCH); a batch equal to one of the last 5 is a retry and
/// gets its original offsets back; a new epoch starts at sequence 0; otherwise the first sequence must follow the last
/// (OUT_OF_ORDER_SEQUENCE_NUMBER). An unknown producer may start at any sequence (its earlier batches may have been
/// deleted by retention). Not thread-safe: the partition calls it under its append lock.
/// </summary>
internal sealed class ProducerStateManager
{
    private readonly Dictionary<long, ProducerStateEntry> _producers = [];

    public int Count => _producers.Count;

    public bool TryGet(long producerId, out ProducerStateEntry? entry) => _producers.TryGetValue(producerId, out entry);

    /// <summary>
    /// Checks one batch against the state. <paramref name="pending"/> holds (epoch, last sequence) of this producer's
    /// earlier batches in the same append, when there are any. On a retry of a cached batch returns None with
    /// <paramref name="duplicate"/> set.
    /// </summary>
    public ErrorCode Check(in RecordBatchHeader batch, (short Epoch, int LastSequence)? pending, out ProducerBatch? duplicate, out string? message)
    {
        duplicate = null;
        message = null;
        _producers.TryGetValue(batch.ProducerId, out var entry);
        (short Epoch, int LastSequence)? current = pending ?? (entry is null ? null : (entry.Epoch, entry.LastSequence));
        if (current is not { } state)
        {
            return ErrorCode.None;
        }

        if (batch.ProducerEpoch < state.Epoch)
        {
            message = $"Producer {batch.ProducerId} sent epoch {batch.ProducerEpoch}, older than the current epoch {state.Epoch}.";
            return ErrorCode.InvalidProducerEpoch;
        }

        if (pending is null && entry is not null && batch.ProducerEpoch == entry.Epoch
            && entry.TryFindDuplicate(batch.BaseSequence, batch.LastSequence, out var cached))
        {
            duplicate = cached;
            return ErrorCode.None;
        }

        if (batch.ProducerEpoch > state.Epoch)
        {
            if (batch.BaseSequence != 0)
            {
                message = $"Producer {batch.ProducerId} starts epoch {batch.ProducerEpoch} at sequence {batch.BaseSequence}; a new epoch starts at 0.";
                return ErrorCode.OutOfOrderSequenceNumber;
            }

            return ErrorCode.None;
        }

        if (state.LastSequence >= 0 && !InSequence(state.LastSequence, batch.BaseSequence))
        {
            message = $"Producer {batch.ProducerId} epoch {batch.ProducerEpoch} sent sequence {batch.BaseSequence}; expected {NextSequence(state.LastSequence)}.";
            return ErrorCode.OutOfOrderSequenceNumber;
        }

        return ErrorCode.None;
    }

    /// <summary>Records an appended batch (its base offset already assigned).</summary>
    public void Update(in RecordBatchHeader batch)
    {
        if (batch.ProducerId < 0)
        {
            return;
        }

        if (!_producers.TryGetValue(batch.ProducerId, out var entry))
        {
            entry = new ProducerStateEntry(batch.ProducerId, batch.ProducerEpoch);
            _producers.Add(batch.ProducerId, entry);
        }

        entry.Add(batch.ProducerEpoch, new ProducerBatch(batch.BaseSequence, batch.LastSequence, batch.BaseOffset, batch.LastOffset));
    }

    /// <summary>Forgets producers whose every batch lies below <paramref name="logStartOffset"/> (deleted by retention).</summary>
    public void RemoveBefore(long logStartOffset)
    {
        List<long>? gone = null;
        foreach (var (id, entry) in _producers)
        {
            if (entry.LastOffset < logStartOffset)
            {
                (gone ??= []).Add(id);
            }
        }

        if (gone is not null)
        {
            foreach (var id in gone)
            {
                _producers.Remove(id);
            }
        }
    }

    public void Clear() => _producers.Clear();

    public static int NextSequence(int sequence) => sequence == int.MaxValue ? 0 : sequence + 1;

    private static bool InSequence(int last, int next) => next == NextSequence(last);

    /// <summary>
    /// Snapshot file ("producer.snapshot"), version 1, big-endian: Magic u32 "PLPS" · Version u16 · Reserved u16
    /// · Offset i64 (the log end offset this state covers) · Count i32 · [ProducerId i64 · Epoch i16 · BatchCount u8
    /// · Reserved u8 · BatchCount × (FirstSequence i32 · LastSequence i32 · FirstOffset i64 · LastOffset i64)] · CRC-32C u32.
    /// </summary>
    public byte[] FormatSnapshot(long offset)
    {
        var size = HeaderSize + MetadataFile.CrcSize;
        foreach (var entry in _producers.Values)
        {
            size += EntryHeaderSize + (entry.BatchCount * BatchSize);
        }

        var bytes = new byte[size];
        Span<byte> s = bytes;
        BinaryPrimitives.WriteUInt32BigEndian(s, SnapshotMagic);
        BinaryPrimitives.WriteUInt16BigEndian(s[4..], SnapshotVersion);
        BinaryPrimitives.WriteInt64BigEndian(s[8..], offset);
        BinaryPrimitives.WriteInt32BigEndian(s[16..], _producers.Count);
        var p = HeaderSize;
        foreach (var entry in _producers.Values)
        {
            BinaryPrimitives.WriteInt64BigEndian(s[p..], entry.ProducerId);
            BinaryPrimitives.WriteInt16BigEndian(s[(p + 8)..], entry.Epoch);
            s[p + 10] = (byte)entry.BatchCount;
            p += EntryHeaderSize;
            for (var i = 0; i < entry.BatchCount; i++)
            {
                var b = entry.GetBatch(i);
                BinaryPrimitives.WriteInt32BigEndian(s[p..], b.FirstSequence);
                BinaryPrimitives.WriteInt32BigEndian(s[(p + 4)..], b.LastSequence);
                BinaryPrimitives.WriteInt64BigEndian(s[(p + 8)..], b.FirstOffset);
                BinaryPrimitives.WriteInt64BigEndian(s[(p + 16)..], b.LastOffset);
                p += BatchSize;
            }
        }

        MetadataFile.Seal(s);
        return bytes;
    }

    /// <summary>Replaces the state with a snapshot's; returns the offset it covers.</summary>
    /// <exception cref="InvalidDataException">The snapshot is damaged.</exception>
    public long LoadSnapshot(ReadOnlySpan<byte> s)
    {
        MetadataFile.CheckSeal(s, "producer snapshot");
        s = s[..^MetadataFile.CrcSize];
        if (s.Length < HeaderSize || BinaryPrimitives.ReadUInt32BigEndian(s) != SnapshotMagic || BinaryPrimitives.ReadUInt16BigEndian(s[4..]) != SnapshotVersion)
        {
            throw new InvalidDataException("The producer snapshot has a wrong magic or version.");
        }

        var offset = BinaryPrimitives.ReadInt64BigEndian(s[8..]);
        var count = BinaryPrimitives.ReadInt32BigEndian(s[16..]);
        if (count < 0 || (long)count * EntryHeaderSize > s.Length - HeaderSize)
        {
            throw new InvalidDataException($"The producer snapshot claims {count} producers in {s.Length} bytes.");
        }

        var loaded = new Dictionary<long, ProducerStateEntry>(count);
        var p = HeaderSize;
        for (var i = 0; i < count; i++)
        {
            if (p + EntryHeaderSize > s.Length)
            {
                throw new InvalidDataException("The producer snapshot ends inside an entry.");
            }

            var entry = new ProducerStateEntry(BinaryPrimitives.ReadInt64BigEndian(s[p..]), BinaryPrimitives.ReadInt16BigEndian(s[(p + 8)..]));
            int batches = s[p + 10];
            p += EntryHeaderSize;
            if (batches > ProducerStateEntry.MaxBatches || p + (batches * BatchSize) > s.Length)
            {
                throw new InvalidDataException($"The producer snapshot has {batches} batches for producer {entry.ProducerId}.");
            }

            for (var b = 0; b < batches; b++)
            {
                entry.Add(entry.Epoch, new ProducerBatch(
                    BinaryPrimitives.ReadInt32BigEndian(s[p..]),
                    BinaryPrimitives.ReadInt32BigEndian(s[(p + 4)..]),
                    BinaryPrimitives.ReadInt64BigEndian(s[(p + 8)..]),
                    BinaryPrimitives.ReadInt64BigEndian(s[(p + 16)..])));
                p += BatchSize;
            }

            loaded[entry.ProducerId] = entry;
        }

        if (p != s.Length)
        {
            throw new InvalidDataException("The producer snapshot has bytes after its last entry.");
        }

        _producers.Clear();
        foreach (var (id, entry) in loaded)
        {
            _producers.Add(id, entry);
        }

        return offset;
    }

    public const string SnapshotFileName = "producer.snapshot";
    private const uint SnapshotMagic = 0x504C5053;
    private const ushort SnapshotVersion = 1;
    private const int HeaderSize = 20;
    private const int EntryHeaderSize = 12;
    private const int BatchSize = 24;
}
