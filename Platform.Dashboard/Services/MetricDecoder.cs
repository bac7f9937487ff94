using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Services;

/// <summary>
/// Decodes a <c>MetricBatch</c> (protobuf, proto3, <c>Platform.Telemetry/Schema/telemetry.proto</c> version 1) into
/// a reused <see cref="MetricBatch"/> without allocating per sample in the steady state: the <see cref="Sample"/> and
/// <see cref="Label"/> objects of the previous batch are refilled, and every string (series names, units, label
/// names and values, host ids) is interned through a table keyed by its UTF-8 bytes, so a host's same few dozen
/// series cost a hash and a compare each, not new strings.
/// <code>
/// MetricBatch = { 1: varint schema_version | 2: bytes host_id | 3: varint timestamp_unix_ms | 4: varint sequence
///               | 5: bytes agent_run_id | 6: bytes Sample (repeated) | 7: bytes HostInfo }
/// Sample      = { 1: bytes name | 2: bytes unit | 3: bytes Label (repeated) | 4: fixed64 value (double)
///               | 5: varint timestamp_unix_ms | 6: varint kind }
/// Label       = { 1: bytes name | 2: bytes value }
/// </code>
/// Unknown fields are skipped as protobuf requires; <c>HostInfo</c> (sent now and then) goes through the generated
/// parser. One decoder per thread: it is not thread-safe.
/// </summary>
public sealed class MetricDecoder
{
    private readonly Pools _pools = new();
    private readonly MetricBatch _batch = new();

    /// <summary>The number of distinct strings interned so far.</summary>
    public int InternedStrings => _pools.Strings.Count;

    /// <summary>
    /// Decodes one record's value. The batch returned (and its samples and labels) is this decoder's own and is
    /// refilled by the next call: use it before decoding again, copy what must outlive it.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed metric batch.</exception>
    public MetricBatch Decode(ReadOnlySpan<byte> data)
    {
        var batch = _batch;
        var pools = _pools;
        pools.Reset();
        batch.SchemaVersion = 0;
        batch.HostId = string.Empty;
        batch.TimestampUnixMs = 0;
        batch.Sequence = 0;
        batch.AgentRunId = string.Empty;
        batch.Host = null;
        batch.Samples.Clear();
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1 when wire == WireVarint:
                    batch.SchemaVersion = (uint)reader.ReadVarint();
                    break;
                case 2 when wire == WireBytes:
                    batch.HostId = pools.Strings.Get(reader.ReadBytes());
                    break;
                case 3 when wire == WireVarint:
                    batch.TimestampUnixMs = (long)reader.ReadVarint();
                    break;
                case 4 when wire == WireVarint:
                    batch.Sequence = reader.ReadVarint();
                    break;
                case 5 when wire == WireBytes:
                    batch.AgentRunId = pools.Strings.Get(reader.ReadBytes());
                    break;
                case 6 when wire == WireBytes:
                    batch.Samples.Add(DecodeSample(reader.ReadBytes(), pools));
                    break;
                case 7 when wire == WireBytes:
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

    private static Sample DecodeSample(ReadOnlySpan<byte> data, Pools pools)
    {
        var sample = pools.NextSample();
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1 when wire == WireBytes:
                    sample.Name = pools.Strings.Get(reader.ReadBytes());
                    break;
                case 2 when wire == WireBytes:
                    sample.Unit = pools.Strings.Get(reader.ReadBytes());
                    break;
                case 3 when wire == WireBytes:
                    sample.Labels.Add(DecodeLabel(reader.ReadBytes(), pools));
                    break;
                case 4 when wire == WireFixed64:
                    sample.Value = BitConverter.Int64BitsToDouble((long)reader.ReadFixed64());
                    break;
                case 5 when wire == WireVarint:
                    sample.TimestampUnixMs = (long)reader.ReadVarint();
                    break;
                case 6 when wire == WireVarint:
                    sample.Kind = (MetricKind)(int)reader.ReadVarint();
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return sample;
    }

    private static Label DecodeLabel(ReadOnlySpan<byte> data, Pools pools)
    {
        var label = pools.NextLabel();
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1 when wire == WireBytes:
                    label.Name = pools.Strings.Get(reader.ReadBytes());
                    break;
                case 2 when wire == WireBytes:
                    label.Value = pools.Strings.Get(reader.ReadBytes());
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return label;
    }

    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireBytes = 2;
    private const int WireFixed32 = 5;

    [DoesNotReturn]
    private static void ThrowMalformed(string what) => throw new InvalidDataException("malformed metric batch: " + what);

    /// <summary>A forward-only reader of protobuf wire format over one span.</summary>
    private ref struct ProtoReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool End => _position >= _data.Length;

        public (int Field, int Wire) ReadTag()
        {
            var tag = ReadVarint();
            var field = tag >> 3;
            if (field == 0 || field > int.MaxValue)
            {
                ThrowMalformed("field number 0 or out of range");
            }

            return ((int)field, (int)(tag & 7));
        }

        public ulong ReadVarint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_position >= _data.Length)
                {
                    ThrowMalformed("truncated varint");
                }

                var b = _data[_position++];
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return result;
                }
            }

            ThrowMalformed("varint longer than 10 bytes");
            return 0;
        }

        public ulong ReadFixed64()
        {
            if (_data.Length - _position < 8)
            {
                ThrowMalformed("truncated fixed64");
            }

            var value = BinaryPrimitives.ReadUInt64LittleEndian(_data[_position..]);
            _position += 8;
            return value;
        }

        public ReadOnlySpan<byte> ReadBytes()
        {
            var length = ReadVarint();
            if (length > (ulong)(_data.Length - _position))
            {
                ThrowMalformed("length beyond the end of the message");
            }

            var bytes = _data.Slice(_position, (int)length);
            _position += (int)length;
            return bytes;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case WireVarint:
                    ReadVarint();
                    break;
                case WireFixed64:
                    ReadFixed64();
                    break;
                case WireBytes:
                    ReadBytes();
                    break;
                case WireFixed32:
                    if (_data.Length - _position < 4)
                    {
                        ThrowMalformed("truncated fixed32");
                    }

                    _position += 4;
                    break;
                default:
                    ThrowMalformed($"wire type {wire}");
                    break;
            }
        }
    }

    /// <summary>The reused objects and the string table of one thread.</summary>
    private sealed class Pools
    {
        private readonly List<Sample> _samples = [];
        private readonly List<Label> _labels = [];
        private int _nextSample;
        private int _nextLabel;

        public StringTable Strings { get; } = new();

        public void Reset()
        {
            _nextSample = 0;
            _nextLabel = 0;
        }

        public Sample NextSample()
        {
            if (_nextSample == _samples.Count)
            {
                _samples.Add(new Sample());
            }

            var sample = _samples[_nextSample++];
            sample.Name = string.Empty;
            sample.Unit = string.Empty;
            sample.Labels.Clear();
            sample.Value = 0;
            sample.TimestampUnixMs = 0;
            sample.Kind = MetricKind.Gauge;
            return sample;
        }

        public Label NextLabel()
        {
            if (_nextLabel == _labels.Count)
            {
                _labels.Add(new Label());
            }

            var label = _labels[_nextLabel++];
            label.Name = string.Empty;
            label.Value = string.Empty;
            return label;
        }
    }

    /// <summary>
    /// Strings by their UTF-8 bytes (open addressing, linear probing). Bounded: when it holds
    /// <see cref="MaxEntries"/> strings (a fleet inventing label values without end) it starts over.
    /// </summary>
    internal sealed class StringTable
    {
        internal const int MaxEntries = 1 << 17;
        private Entry[] _slots = new Entry[1024];
        private int _count;

        public int Count => _count;

        public string Get(ReadOnlySpan<byte> utf8)
        {
            if (utf8.IsEmpty)
            {
                return string.Empty;
            }

            var hash = Hash(utf8);
            var mask = _slots.Length - 1;
            for (var i = hash & mask; ; i = (i + 1) & mask)
            {
                ref var slot = ref _slots[i];
                if (slot.Bytes is null)
                {
                    var text = Encoding.UTF8.GetString(utf8);
                    if (_count >= MaxEntries)
                    {
                        Array.Clear(_slots);
                        _count = 0;
                        return Add(hash, utf8, text);
                    }

                    slot = new Entry(hash, utf8.ToArray(), text);
                    if (++_count * 2 > _slots.Length)
                    {
                        Grow();
                    }

                    return text;
                }

                if (slot.Hash == hash && utf8.SequenceEqual(slot.Bytes))
                {
                    return slot.Text;
                }
            }
        }

        private static int Hash(ReadOnlySpan<byte> utf8)
        {
            var hash = default(HashCode);
            hash.AddBytes(utf8);
            return hash.ToHashCode() & int.MaxValue;
        }

        private string Add(int hash, ReadOnlySpan<byte> utf8, string text)
        {
            var mask = _slots.Length - 1;
            var i = hash & mask;
            while (_slots[i].Bytes is not null)
            {
                i = (i + 1) & mask;
            }

            _slots[i] = new Entry(hash, utf8.ToArray(), text);
            _count++;
            return text;
        }

        private void Grow()
        {
            var old = _slots;
            _slots = new Entry[old.Length * 2];
            var mask = _slots.Length - 1;
            foreach (var entry in old)
            {
                if (entry.Bytes is null)
                {
                    continue;
                }

                var i = entry.Hash & mask;
                while (_slots[i].Bytes is not null)
                {
                    i = (i + 1) & mask;
                }

                _slots[i] = entry;
            }
        }

        private readonly record struct Entry(int Hash, byte[] Bytes, string Text);
    }
}
