using System.Buffers;
using Platform.Telemetry.V1;

namespace Platform.Telemetry.Decoding;

/// <summary>
/// Decodes <c>metrics</c> records (protobuf <c>MetricBatch</c>, proto3, <c>Schema/telemetry.proto</c> version 1)
/// without allocating in the steady state, and resolves every sample to a shared <see cref="SeriesDescriptor"/>:
/// <code>
/// MetricBatch = { 1: varint schema_version | 2: bytes host_id | 3: varint timestamp_unix_ms | 4: varint sequence
///               | 5: bytes agent_run_id | 6: bytes Sample (repeated) | 7: bytes HostInfo }
/// Sample      = { 1: bytes name | 2: bytes unit | 3: bytes Label (repeated) | 4: fixed64 value (double)
///               | 5: varint timestamp_unix_ms | 6: varint kind }
/// Label       = { 1: bytes name | 2: bytes value }
/// </code>
/// A sample's identity is the encoding of its fields 1–3 (name, unit, labels). Agents send the same series every
/// tick, in the same order and encoded the same way, so each identity remembers the one that followed it last time:
/// a sample whose bytes start with the predicted identity costs one compare and the read of its value; otherwise
/// one hash and one compare against a table of the identities already met. Only a new identity is decoded into
/// strings (interned) and a descriptor. Identities
/// that differ only in label order or unit map to the same descriptor (by its canonical <see cref="SeriesDescriptor.Key"/>).
/// Unknown fields are skipped as protobuf requires; <c>HostInfo</c> (sent now and then) goes through the generated
/// parser. Malformed input throws <see cref="InvalidDataException"/>.
/// <para>The table is bounded: once it holds <see cref="MaxSeries"/> descriptors it starts over at the next batch
/// and <see cref="Generation"/> changes; per-series state keyed by <see cref="SeriesDescriptor.Id"/> must then be
/// dropped or re-keyed. One decoder per thread: it is not thread-safe.</para>
/// </summary>
public sealed class MetricBatchDecoder
{
    private readonly DecodedMetricBatch _batch = new();
    private readonly Utf8StringTable _strings = new();
    private readonly List<SeriesDescriptor> _descriptors = [];
    private readonly Dictionary<string, SeriesDescriptor> _byKey = new(StringComparer.Ordinal);
    private readonly List<KeyValuePair<string, string>> _labelScratch = [];
    private Identity?[] _identities = new Identity?[1024];
    private int _identityCount;
    private Identity? _first;

    public MetricBatchDecoder(int maxSeries = 1 << 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSeries, 1);
        MaxSeries = maxSeries;
    }

    /// <summary>How many descriptors the table holds before it starts over.</summary>
    public int MaxSeries { get; }

    /// <summary>Changes each time the table starts over; descriptor ids of an earlier generation mean nothing.</summary>
    public int Generation { get; private set; }

    /// <summary>The descriptors met so far in this generation, by id.</summary>
    public IReadOnlyList<SeriesDescriptor> Series => _descriptors;

    /// <summary>The number of distinct strings interned so far.</summary>
    public int InternedStrings => _strings.Count;

    /// <summary>
    /// Decodes one record's value. The batch returned is this decoder's own and is refilled by the next call: use it
    /// before decoding again, copy what must outlive it. Descriptors stay valid for the whole generation.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed metric batch.</exception>
    public DecodedMetricBatch Decode(ReadOnlySpan<byte> data)
    {
        if (_descriptors.Count >= MaxSeries || _identityCount >= MaxSeries * 2)
        {
            StartOver();
        }

        var batch = _batch;
        batch.Reset();
        Identity? previous = null;
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1 when wire == ProtoReader.WireVarint:
                    batch.SchemaVersion = (uint)reader.ReadVarint();
                    break;
                case 2 when wire == ProtoReader.WireBytes:
                    batch.HostId = _strings.Get(reader.ReadBytes());
                    break;
                case 3 when wire == ProtoReader.WireVarint:
                    batch.TimestampUnixMs = (long)reader.ReadVarint();
                    break;
                case 4 when wire == ProtoReader.WireVarint:
                    batch.Sequence = reader.ReadVarint();
                    break;
                case 5 when wire == ProtoReader.WireBytes:
                    batch.AgentRunId = _strings.Get(reader.ReadBytes());
                    break;
                case 6 when wire == ProtoReader.WireBytes:
                    var identity = DecodeSample(reader.ReadBytes(), previous is null ? _first : previous.Next, out var sample);
                    batch.Add(sample);
                    if (previous is null)
                    {
                        _first = identity;
                    }
                    else
                    {
                        previous.Next = identity;
                    }

                    previous = identity;
                    break;
                case 7 when wire == ProtoReader.WireBytes:
                    var info = reader.ReadBytes();
                    try
                    {
                        batch.Host = HostInfo.Parser.ParseFrom(info);
                    }
                    catch (Google.Protobuf.InvalidProtocolBufferException ex)
                    {
                        throw new InvalidDataException("metric batch with an unreadable host inventory: " + ex.Message, ex);
                    }

                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return batch;
    }

    private Identity DecodeSample(ReadOnlySpan<byte> data, Identity? predicted, out DecodedSample sample)
    {
        if (predicted is not null && TryDecodePredicted(data, predicted, out sample))
        {
            return predicted;
        }

        var reader = new ProtoReader(data);
        var identityEnd = 0;
        var contiguous = true;
        var sawOther = false;
        var value = 0.0;
        var timestamp = 0L;
        var kind = MetricKind.Gauge;
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1 or 2 or 3 when wire == ProtoReader.WireBytes:
                    reader.ReadBytes();
                    if (sawOther)
                    {
                        contiguous = false;
                    }
                    else
                    {
                        identityEnd = reader.Position;
                    }

                    break;
                case 4 when wire == ProtoReader.WireFixed64:
                    value = BitConverter.UInt64BitsToDouble(reader.ReadFixed64());
                    sawOther = true;
                    break;
                case 5 when wire == ProtoReader.WireVarint:
                    timestamp = (long)reader.ReadVarint();
                    sawOther = true;
                    break;
                case 6 when wire == ProtoReader.WireVarint:
                    kind = (MetricKind)(int)reader.ReadVarint();
                    sawOther = true;
                    break;
                default:
                    reader.Skip(wire);
                    sawOther = true;
                    break;
            }
        }

        var identity = contiguous ? Resolve(data[..identityEnd]) : ResolveScattered(data);
        sample = new DecodedSample(identity.Descriptor, value, timestamp, kind);
        return identity;
    }

    /// <summary>
    /// The sample is the predicted identity when its bytes start with that identity's and what follows is not
    /// another name, unit or label field (tags 0a, 12, 1a; a longer tag starts with a byte ≥ 0x80): the identity's
    /// bytes are whole fields, so its end is a field boundary. Then only the value, time and kind are read; an
    /// identity field further on (not how encoders write) sends the sample down the general path.
    /// </summary>
    private static bool TryDecodePredicted(ReadOnlySpan<byte> data, Identity predicted, out DecodedSample sample)
    {
        var identity = predicted.Bytes;
        sample = default;
        if (data.Length < identity.Length || !data[..identity.Length].SequenceEqual(identity)
            || (data.Length > identity.Length && data[identity.Length] is 0x0a or 0x12 or 0x1a))
        {
            return false;
        }

        var value = 0.0;
        var timestamp = 0L;
        var kind = MetricKind.Gauge;
        var reader = new ProtoReader(data[identity.Length..]);
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1 or 2 or 3 when wire == ProtoReader.WireBytes:
                    return false;
                case 4 when wire == ProtoReader.WireFixed64:
                    value = BitConverter.UInt64BitsToDouble(reader.ReadFixed64());
                    break;
                case 5 when wire == ProtoReader.WireVarint:
                    timestamp = (long)reader.ReadVarint();
                    break;
                case 6 when wire == ProtoReader.WireVarint:
                    kind = (MetricKind)(int)reader.ReadVarint();
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        sample = new DecodedSample(predicted.Descriptor, value, timestamp, kind);
        return true;
    }

    /// <summary>The identity fields are not all in front (not how protobuf encoders write them): gather them.</summary>
    private Identity ResolveScattered(ReadOnlySpan<byte> data)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(data.Length);
        try
        {
            var length = 0;
            var reader = new ProtoReader(data);
            while (!reader.End)
            {
                var start = reader.Position;
                var (field, wire) = reader.ReadTag();
                reader.Skip(wire);
                if (field is 1 or 2 or 3 && wire == ProtoReader.WireBytes)
                {
                    data[start..reader.Position].CopyTo(scratch.AsSpan(length));
                    length += reader.Position - start;
                }
            }

            return Resolve(scratch.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private Identity Resolve(ReadOnlySpan<byte> identity)
    {
        var hash = Utf8StringTable.Hash(identity);
        var mask = _identities.Length - 1;
        for (var i = hash & mask; ; i = (i + 1) & mask)
        {
            var slot = _identities[i];
            if (slot is null)
            {
                var entry = new Identity(hash, identity.ToArray(), Describe(identity));
                Insert(entry);
                return entry;
            }

            if (slot.Hash == hash && identity.SequenceEqual(slot.Bytes))
            {
                return slot;
            }
        }
    }

    /// <summary>Decodes a new identity into strings and finds or makes its descriptor.</summary>
    private SeriesDescriptor Describe(ReadOnlySpan<byte> identity)
    {
        var labels = _labelScratch;
        labels.Clear();
        ReadStrings(identity, out var name, out var unit, labels);
        // OrderBy is stable: repeated label names keep their order.
        var ordered = labels.OrderBy(l => l.Key, StringComparer.Ordinal).ToArray();
        var key = SeriesDescriptor.FormatKey(name, ordered);
        if (_byKey.TryGetValue(key, out var existing))
        {
            return existing;
        }

        var descriptor = new SeriesDescriptor(_descriptors.Count, name, unit, ordered, key);
        _descriptors.Add(descriptor);
        _byKey[key] = descriptor;
        return descriptor;
    }

    /// <summary>Reads fields 1 and 2 as interned strings (a sample's name and unit, a label's name and value) and,
    /// when <paramref name="labels"/> is given, every field 3 as a label; skips the rest.</summary>
    private void ReadStrings(ReadOnlySpan<byte> data, out string first, out string second, List<KeyValuePair<string, string>>? labels)
    {
        first = string.Empty;
        second = string.Empty;
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1 when wire == ProtoReader.WireBytes:
                    first = _strings.Get(reader.ReadBytes());
                    break;
                case 2 when wire == ProtoReader.WireBytes:
                    second = _strings.Get(reader.ReadBytes());
                    break;
                case 3 when wire == ProtoReader.WireBytes && labels is not null:
                    ReadStrings(reader.ReadBytes(), out var labelName, out var labelValue, null);
                    labels.Add(KeyValuePair.Create(labelName, labelValue));
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
    }

    private void Insert(Identity identity)
    {
        if ((_identityCount + 1) * 2 > _identities.Length)
        {
            var old = _identities;
            _identities = new Identity?[old.Length * 2];
            foreach (var entry in old)
            {
                if (entry is not null)
                {
                    Place(entry);
                }
            }
        }

        Place(identity);
        _identityCount++;
    }

    private void Place(Identity identity)
    {
        var mask = _identities.Length - 1;
        var i = identity.Hash & mask;
        while (_identities[i] is not null)
        {
            i = (i + 1) & mask;
        }

        _identities[i] = identity;
    }

    private void StartOver()
    {
        _identities = new Identity?[1024];
        _identityCount = 0;
        _first = null;
        _descriptors.Clear();
        _byKey.Clear();
        Generation++;
    }

    /// <summary>The encoded name, unit and labels of a sample, its descriptor, and the identity that followed it in
    /// the last batch that had it.</summary>
    private sealed class Identity(int hash, byte[] bytes, SeriesDescriptor descriptor)
    {
        public int Hash { get; } = hash;

        public byte[] Bytes { get; } = bytes;

        public SeriesDescriptor Descriptor { get; } = descriptor;

        public Identity? Next { get; set; }
    }
}
