using System.Buffers.Binary;
using System.Text;
using Platform.Broker.Protocol;

namespace Platform.Broker.Tests.Integration;

/// <summary>Builds an uncompressed record batch v2 (the layout in shared/kafka-protocol/NOTES.md) for raw-socket tests.</summary>
internal static class TestBatch
{
    public static byte[] Build(long producerId, short producerEpoch, int baseSequence, long timestamp, params string[] values)
    {
        var records = new List<byte>();
        for (var i = 0; i < values.Length; i++)
        {
            var body = new List<byte> { 0 }; // attributes
            WriteVarint(body, 0); // timestamp delta
            WriteVarint(body, i); // offset delta
            WriteVarint(body, -1); // null key
            var value = Encoding.UTF8.GetBytes(values[i]);
            WriteVarint(body, value.Length);
            body.AddRange(value);
            WriteVarint(body, 0); // headers
            WriteVarint(records, body.Count);
            records.AddRange(body);
        }

        var batch = new byte[61 + records.Count];
        var s = batch.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(s, 0);
        BinaryPrimitives.WriteInt32BigEndian(s[8..], batch.Length - 12);
        BinaryPrimitives.WriteInt32BigEndian(s[12..], -1);
        s[16] = 2;
        BinaryPrimitives.WriteInt16BigEndian(s[21..], 0);
        BinaryPrimitives.WriteInt32BigEndian(s[23..], values.Length - 1);
        BinaryPrimitives.WriteInt64BigEndian(s[27..], timestamp);
        BinaryPrimitives.WriteInt64BigEndian(s[35..], timestamp);
        BinaryPrimitives.WriteInt64BigEndian(s[43..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(s[51..], producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(s[53..], baseSequence);
        BinaryPrimitives.WriteInt32BigEndian(s[57..], values.Length);
        records.ToArray().CopyTo(batch, 61);
        BinaryPrimitives.WriteUInt32BigEndian(s[17..], Crc32C.Compute(s[21..]));
        return batch;
    }

    private static void WriteVarint(List<byte> output, long value)
    {
        var v = (ulong)((value << 1) ^ (value >> 63));
        while (v >= 0x80)
        {
            output.Add((byte)(v | 0x80));
            v >>= 7;
        }

        output.Add((byte)v);
    }
}
