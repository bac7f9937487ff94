using System.Buffers;
using System.Buffers.Binary;
using Confluent.Kafka;
using NATS.Client.Core;

namespace Platform.Bench.Broker;

/// <summary>
/// What both consumers make of a record: its index (the first 4 bytes the producer wrote), read where the client
/// holds the bytes, without copying the value into a new array — a copy per record is client work that is the same
/// for both systems and only hides the difference between the brokers. A record of the wrong size reads as -1.
/// </summary>
internal sealed class RecordIndex(int size) : IDeserializer<int>, INatsDeserialize<int>
{
    public int Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
        isNull || data.Length != size ? -1 : BinaryPrimitives.ReadInt32LittleEndian(data);

    public int Deserialize(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length != size)
        {
            return -1;
        }

        Span<byte> first = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(first);
        return BinaryPrimitives.ReadInt32LittleEndian(first);
    }
}
