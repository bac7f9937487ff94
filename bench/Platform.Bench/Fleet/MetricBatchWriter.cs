using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using Platform.Telemetry;
using Platform.Telemetry.V1;

namespace Platform.Bench.Fleet;

/// <summary>
/// Writes a simulated host's <see cref="MetricBatch"/> straight into its record bytes, the same bytes Google.Protobuf
/// writes for it (fields in number order, proto3 defaults left out), without walking the message tree: each series'
/// name, unit and labels are the same for every host and tick, so their encoding is made once and copied, and only
/// the header and the 8-byte values change. <see cref="Verify"/> checks the output against Google.Protobuf's.
/// <code>
/// MetricBatch = 08 schema_version | 12 len host_id | 18 timestamp | 20 sequence | 2a len agent_run_id | (32 len Sample)*
/// Sample      = (0a len name | 12 len unit | (1a len Label)*) | 21 value (fixed64, when ≠ 0) | 30 kind (when ≠ 0)
/// </code>
/// </summary>
internal sealed class MetricBatchWriter
{
    private readonly byte[][] _identities;
    private readonly MetricKind[] _kinds;
    private readonly byte[] _runId;

    public MetricBatchWriter(HostModel model, string agentRunId)
    {
        ArgumentNullException.ThrowIfNull(model);
        _runId = Encoding.UTF8.GetBytes(agentRunId);
        _identities = new byte[model.Series.Length][];
        _kinds = new MetricKind[model.Series.Length];
        for (var i = 0; i < model.Series.Length; i++)
        {
            var s = model.Series[i];
            var identity = new Sample { Name = s.Name, Unit = s.Unit };
            identity.Labels.Add(s.Labels);
            _identities[i] = identity.ToByteArray();
            _kinds[i] = s.Kind;
        }
    }

    /// <summary>The record value of one host's tick, in a new array (Confluent.Kafka takes arrays).</summary>
    public byte[] Write(ReadOnlySpan<byte> hostIdUtf8, ReadOnlySpan<double> values, long timeUnixMs, ulong sequence)
    {
        var length = 0;
        length += Field(1, Topics.SchemaVersion);
        length += hostIdUtf8.IsEmpty ? 0 : 1 + VarintLength((ulong)hostIdUtf8.Length) + hostIdUtf8.Length;
        length += Field(3, (ulong)timeUnixMs);
        length += Field(4, sequence);
        length += _runId.Length == 0 ? 0 : 1 + VarintLength((ulong)_runId.Length) + _runId.Length;
        for (var i = 0; i < _identities.Length; i++)
        {
            var sample = SampleLength(i, values[i]);
            length += 1 + VarintLength((ulong)sample) + sample;
        }

        var bytes = new byte[length];
        var span = bytes.AsSpan();
        var at = 0;
        at = PutVarintField(span, at, 0x08, Topics.SchemaVersion);
        at = PutBytesField(span, at, 0x12, hostIdUtf8);
        at = PutVarintField(span, at, 0x18, (ulong)timeUnixMs);
        at = PutVarintField(span, at, 0x20, sequence);
        at = PutBytesField(span, at, 0x2a, _runId);
        for (var i = 0; i < _identities.Length; i++)
        {
            var value = values[i];
            span[at++] = 0x32;
            at = PutVarint(span, at, (ulong)SampleLength(i, value));
            _identities[i].CopyTo(span[at..]);
            at += _identities[i].Length;
            if (value != 0)
            {
                span[at++] = 0x21;
                BinaryPrimitives.WriteDoubleLittleEndian(span[at..], value);
                at += 8;
            }

            if (_kinds[i] != MetricKind.Gauge)
            {
                span[at++] = 0x30;
                at = PutVarint(span, at, (ulong)(long)_kinds[i]);
            }
        }

        return bytes;
    }

    /// <summary>Throws unless this writer's bytes equal Google.Protobuf's for the same batch.</summary>
    public void Verify(HostModel model, string hostId, double[] values, long timeUnixMs, ulong sequence)
    {
        var template = model.NewTemplate();
        var expected = HostModel.Encode(template, hostId, values, timeUnixMs, sequence);
        var actual = Write(Encoding.UTF8.GetBytes(hostId), values, timeUnixMs, sequence);
        if (!expected.AsSpan().SequenceEqual(actual))
        {
            throw new InvalidOperationException("the simulator's batch writer differs from Google.Protobuf's encoding");
        }
    }

    private int SampleLength(int series, double value) =>
        _identities[series].Length + (value != 0 ? 9 : 0) + (_kinds[series] != MetricKind.Gauge ? 1 + VarintLength((ulong)(long)_kinds[series]) : 0);

    private static int Field(int number, ulong value) => value == 0 ? 0 : VarintLength((ulong)number << 3) + VarintLength(value);

    private static int VarintLength(ulong value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    private static int PutVarintField(Span<byte> span, int at, byte tag, ulong value)
    {
        if (value == 0)
        {
            return at;
        }

        span[at++] = tag;
        return PutVarint(span, at, value);
    }

    private static int PutBytesField(Span<byte> span, int at, byte tag, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return at;
        }

        span[at++] = tag;
        at = PutVarint(span, at, (ulong)value.Length);
        value.CopyTo(span[at..]);
        return at + value.Length;
    }

    private static int PutVarint(Span<byte> span, int at, ulong value)
    {
        while (value >= 0x80)
        {
            span[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[at++] = (byte)value;
        return at;
    }
}
