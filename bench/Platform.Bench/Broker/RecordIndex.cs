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

/// <summary>
/// Which records a consumer has seen, so a run ends only when every one of them arrived intact (not merely as many
/// records as were produced); thread-safe for consumers on several threads.
/// </summary>
internal sealed class RecordTally(int records)
{
    private readonly int[] _seen = new int[records];
    private int _distinct;
    private long _firstTicks;
    private long _completedTicks;

    public int Distinct => Volatile.Read(ref _distinct);

    /// <summary>When the first record arrived (Stopwatch ticks).</summary>
    public long FirstTicks => Volatile.Read(ref _firstTicks);

    /// <summary>From the first record to the last: what a consume rate is timed over (client start-up excluded).</summary>
    public TimeSpan Elapsed => System.Diagnostics.Stopwatch.GetElapsedTime(FirstTicks, CompletedTicks);

    /// <summary>When the last missing record arrived (Stopwatch ticks; 0 until then).</summary>
    public long CompletedTicks => Volatile.Read(ref _completedTicks);

    public bool IsComplete => Distinct == _seen.Length;

    /// <summary>Counts <paramref name="index"/> once; a record of the wrong size or index is an error.</summary>
    public void Mark(int index)
    {
        if ((uint)index >= (uint)_seen.Length)
        {
            throw new InvalidOperationException($"a record came back damaged (index {index} of {_seen.Length})");
        }

        if (Interlocked.Exchange(ref _seen[index], 1) != 0)
        {
            return;
        }

        var distinct = Interlocked.Increment(ref _distinct);
        if (distinct == 1)
        {
            Volatile.Write(ref _firstTicks, System.Diagnostics.Stopwatch.GetTimestamp());
        }

        if (distinct == _seen.Length)
        {
            Volatile.Write(ref _completedTicks, System.Diagnostics.Stopwatch.GetTimestamp());
        }
    }
}
