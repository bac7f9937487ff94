namespace Platform.Dashboard.Services;

/// <summary>
/// The times of one host's batches, shared by the host's <see cref="SeriesRing"/>s: every sample of a batch is drawn
/// at the batch's time, so the time is held once per batch (8 bytes) and a point costs its value alone (a float).
/// Columns are numbered from 0 as they open; column <c>n</c> lives at index <c>n % Allocated</c> of the timeline and
/// of every ring on it. Like the rings it grows on demand (16 columns, doubling, up to the capacity); once full, a new
/// column takes the oldest one's place. One writer; writers and readers hold <see cref="Gate"/>.
/// </summary>
internal sealed class SeriesTimeline
{
    private long[] _times;

    public SeriesTimeline(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        Capacity = capacity;
        _times = new long[Math.Min(capacity, SeriesRing.InitialAllocation)];
    }

    public Lock Gate { get; } = new();

    /// <summary>The most columns held.</summary>
    public int Capacity { get; }

    /// <summary>The columns there is room for now.</summary>
    public int Allocated => _times.Length;

    /// <summary>The columns held.</summary>
    public int Count { get; private set; }

    /// <summary>The newest column's number, -1 before the first.</summary>
    public long Newest { get; private set; } = -1;

    /// <summary>The oldest column still held.</summary>
    public long Oldest => Newest - Count + 1;

    public long TimeOf(long column) => _times[column % _times.Length];

    /// <summary>
    /// The column for a batch at <paramref name="timeUnixMs"/>: a new one when it is newer than the newest column, the
    /// newest one when it has the same time, -1 when it is older (a replayed batch: its points are dropped).
    /// </summary>
    public long Open(long timeUnixMs)
    {
        if (Count > 0)
        {
            var newest = TimeOf(Newest);
            if (timeUnixMs < newest)
            {
                return -1;
            }

            if (timeUnixMs == newest)
            {
                return Newest;
            }
        }

        if (Count == _times.Length && Count < Capacity)
        {
            Grow();
        }

        Newest++;
        _times[Newest % _times.Length] = timeUnixMs;
        if (Count < _times.Length)
        {
            Count++;
        }

        return Newest;
    }

    /// <summary>The first column in [<paramref name="from"/>, <paramref name="to"/>] whose time is after <paramref name="afterUnixMs"/>.</summary>
    public long FirstAfter(long from, long to, long afterUnixMs)
    {
        long lo = from, hi = to + 1;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            if (TimeOf(mid) <= afterUnixMs)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private void Grow()
    {
        var times = new long[(int)Math.Min((long)_times.Length * 2, Capacity)];
        for (var column = Oldest; column <= Newest; column++)
        {
            times[column % times.Length] = _times[column % _times.Length];
        }

        _times = times;
    }
}
