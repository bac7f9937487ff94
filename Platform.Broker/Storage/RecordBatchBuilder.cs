using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Platform.Broker.Storage;

/// <summary>
/// Builds one Kafka record batch (magic 2) with a valid CRC, as a producer would send it: base offset 0, offset
/// deltas 0..n-1. For tests, benchmarks and the broker's own writes; not a hot path.
/// </summary>
internal sealed class RecordBatchBuilder
{
    private readonly List<Entry> _records = [];

    public long ProducerId { get; set; } = -1;

    public short ProducerEpoch { get; set; } = -1;

    public int BaseSequence { get; set; } = -1;

    public int PartitionLeaderEpoch { get; set; } = -1;

    /// <summary>Extra attribute bits (transactional, control, log-append-time); the codec comes from <see cref="Compression"/>.</summary>
    public short ExtraAttributes { get; set; }

    /// <summary>0 none or 1 gzip (the codec the builder can produce).</summary>
    public int Compression { get; set; }

    public int Count => _records.Count;

    /// <summary>Adds a record; <paramref name="timestamp"/> defaults to now (ms since the epoch).</summary>
    public RecordBatchBuilder Add(byte[]? key, byte[]? value, long? timestamp = null, IReadOnlyList<KeyValuePair<string, byte[]?>>? headers = null)
    {
        _records.Add(new Entry(key, value, timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), headers));
        return this;
    }

    public RecordBatchBuilder Add(string? key, string? value, long? timestamp = null) =>
        Add(key is null ? null : Encoding.UTF8.GetBytes(key), value is null ? null : Encoding.UTF8.GetBytes(value), timestamp);

    public void Clear() => _records.Clear();

    public byte[] Build()
    {
        var writer = new ArrayBufferWriter<byte>();
        WriteTo(writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the batch to <paramref name="output"/>; returns its size.</summary>
    public int WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_records.Count == 0)
        {
            throw new InvalidOperationException("A record batch needs at least one record.");
        }

        if (Compression is not (0 or 1))
        {
            throw new InvalidOperationException($"Codec {Compression} is not supported by the builder (0 none, 1 gzip).");
        }

        var baseTimestamp = _records[0].Timestamp;
        var maxTimestamp = baseTimestamp;
        var recordsBody = new ArrayBufferWriter<byte>();
        for (var i = 0; i < _records.Count; i++)
        {
            var r = _records[i];
            maxTimestamp = Math.Max(maxTimestamp, r.Timestamp);
            WriteRecord(recordsBody, r, r.Timestamp - baseTimestamp, i);
        }

        ReadOnlySpan<byte> records = recordsBody.WrittenSpan;
        byte[]? compressed = null;
        if (Compression == 1)
        {
            using var ms = new MemoryStream();
            using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            {
                gz.Write(records);
            }

            compressed = ms.ToArray();
            records = compressed;
        }

        var total = RecordBatchHeader.Size + records.Length;
        var span = output.GetSpan(total)[..total];
        var header = new RecordBatchHeader
        {
            BaseOffset = 0,
            Length = total - RecordBatchHeader.LogOverhead,
            PartitionLeaderEpoch = PartitionLeaderEpoch,
            Magic = RecordBatchHeader.CurrentMagic,
            Crc = 0,
            Attributes = (short)(ExtraAttributes | (short)Compression),
            LastOffsetDelta = _records.Count - 1,
            BaseTimestamp = baseTimestamp,
            MaxTimestamp = maxTimestamp,
            ProducerId = ProducerId,
            ProducerEpoch = ProducerEpoch,
            BaseSequence = BaseSequence,
            RecordsCount = _records.Count,
        };
        header.Format(span);
        records.CopyTo(span[RecordBatchHeader.Size..]);
        BinaryPrimitives.WriteUInt32BigEndian(span[RecordBatchHeader.CrcAt..], RecordBatchHeader.ComputeCrc(span));
        output.Advance(total);
        return total;
    }

    private static void WriteRecord(ArrayBufferWriter<byte> output, Entry r, long timestampDelta, int offsetDelta)
    {
        Span<byte> varint = stackalloc byte[Varint.MaxInt64Bytes];
        var bodySize = 1 + Varint.SizeOf(timestampDelta) + Varint.SizeOf(offsetDelta)
            + BytesSize(r.Key) + BytesSize(r.Value) + Varint.SizeOf(r.Headers?.Count ?? 0);
        if (r.Headers is not null)
        {
            foreach (var (k, v) in r.Headers)
            {
                bodySize += BytesSize(Encoding.UTF8.GetBytes(k)) + BytesSize(v);
            }
        }

        Put(output, varint[..Varint.Write(varint, bodySize)]);
        Put(output, [0]);
        Put(output, varint[..Varint.Write(varint, timestampDelta)]);
        Put(output, varint[..Varint.Write(varint, offsetDelta)]);
        PutBytes(output, r.Key);
        PutBytes(output, r.Value);
        Put(output, varint[..Varint.Write(varint, r.Headers?.Count ?? 0)]);
        if (r.Headers is not null)
        {
            foreach (var (k, v) in r.Headers)
            {
                PutBytes(output, Encoding.UTF8.GetBytes(k));
                PutBytes(output, v);
            }
        }
    }

    private static int BytesSize(byte[]? bytes) => bytes is null ? Varint.SizeOf(-1) : Varint.SizeOf(bytes.Length) + bytes.Length;

    private static void PutBytes(ArrayBufferWriter<byte> output, byte[]? bytes)
    {
        Span<byte> varint = stackalloc byte[Varint.MaxInt32Bytes];
        Put(output, varint[..Varint.Write(varint, bytes?.Length ?? -1)]);
        if (bytes is not null)
        {
            Put(output, bytes);
        }
    }

    private static void Put(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> bytes) => output.Write(bytes);

    private readonly record struct Entry(byte[]? Key, byte[]? Value, long Timestamp, IReadOnlyList<KeyValuePair<string, byte[]?>>? Headers);
}
