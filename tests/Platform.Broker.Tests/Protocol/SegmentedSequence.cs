using System.Buffers;

namespace Platform.Broker.Tests.Protocol;

/// <summary>Builds a <see cref="ReadOnlySequence{T}"/> with one segment per byte (the worst split a socket can produce).</summary>
internal static class SegmentedSequence
{
    public static ReadOnlySequence<byte> OneBytePerSegment(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(new[] { data[0] }, 0);
        var last = first;
        for (var i = 1; i < data.Length; i++)
        {
            last = last.Append(new[] { data[i] });
        }

        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
