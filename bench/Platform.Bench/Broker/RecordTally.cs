using System.Diagnostics;

namespace Platform.Bench.Broker;

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

    /// <summary>From the first record to the last: what a consume rate is timed over (client start-up excluded).</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(Volatile.Read(ref _firstTicks), Volatile.Read(ref _completedTicks));

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
            Volatile.Write(ref _firstTicks, Stopwatch.GetTimestamp());
        }

        if (distinct == _seen.Length)
        {
            Volatile.Write(ref _completedTicks, Stopwatch.GetTimestamp());
        }
    }
}
