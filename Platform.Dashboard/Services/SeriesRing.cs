namespace Platform.Dashboard.Services;

/// <summary>
/// A bounded ring of the most recent points of one series. One writer (the consumer) and any number of
/// readers (pages, the live push); a small lock keeps reads consistent. Points arrive in time order per
/// host; an older point than the newest one is dropped (a replayed or duplicated batch). A point takes
/// 8 bytes: its time as milliseconds after the ring's base time, its value as a float (7 significant
/// digits, plenty for a chart), so a host's few dozen series stay small as the fleet grows. The arrays grow on
/// demand (from <see cref="InitialAllocation"/> points, doubling up to the capacity): a series that has only
/// been seen for a minute holds a minute's worth of memory, not the whole window.
/// </summary>
public sealed class SeriesRing
{
    /// <summary>The points a new ring allocates room for.</summary>
    public const int InitialAllocation = 16;

    private readonly int _capacity;
    private int[] _times;
    private float[] _values;
    private readonly Lock _lock = new();
    private long _base;
    private long _newest;
    private int _start;
    private int _count;

    public SeriesRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        _capacity = capacity;
        var initial = Math.Min(capacity, InitialAllocation);
        _times = new int[initial];
        _values = new float[initial];
    }

    /// <summary>The most points the ring holds.</summary>
    public int Capacity => _capacity;

    /// <summary>The points the ring has room for now (it grows up to <see cref="Capacity"/>).</summary>
    public int Allocated
    {
        get
        {
            lock (_lock)
            {
                return _times.Length;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>The newest point, or null when the ring is empty.</summary>
    public Point? Last
    {
        get
        {
            lock (_lock)
            {
                return _count == 0 ? null : At(_count - 1);
            }
        }
    }

    /// <summary>Appends a point; returns false when it is not newer than the newest point held.</summary>
    public bool Add(Point point)
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                _base = point.TimeUnixMs;
            }
            else if (point.TimeUnixMs <= _newest)
            {
                return false;
            }

            if (point.TimeUnixMs - _base > int.MaxValue)
            {
                Rebase(point.TimeUnixMs);
            }

            if (_count == _times.Length && _count < _capacity)
            {
                Grow();
            }

            var length = _times.Length;
            int slot;
            if (_count < length)
            {
                slot = _start + _count;
                if (slot >= length)
                {
                    slot -= length;
                }

                _count++;
            }
            else
            {
                slot = _start;
                _start = slot + 1 == length ? 0 : slot + 1;
            }

            _times[slot] = (int)(point.TimeUnixMs - _base);
            _values[slot] = (float)point.Value;
            _newest = point.TimeUnixMs;
            return true;
        }
    }

    /// <summary>The points with a time after <paramref name="afterUnixMs"/>, oldest first.</summary>
    public Point[] Since(long afterUnixMs)
    {
        lock (_lock)
        {
            // Binary search over the logical order for the first point after the bound.
            int lo = 0, hi = _count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (At(mid).TimeUnixMs <= afterUnixMs)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            var result = new Point[_count - lo];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = At(lo + i);
            }

            return result;
        }
    }

    /// <summary>All the points held, oldest first.</summary>
    public Point[] ToArray() => Since(long.MinValue);

    private Point At(int index)
    {
        var slot = _start + index;
        if (slot >= _times.Length)
        {
            slot -= _times.Length;
        }

        return new Point(_base + _times[slot], _values[slot]);
    }

    /// <summary>Doubles the arrays (up to the capacity), the points laid out oldest first.</summary>
    private void Grow()
    {
        var size = (int)Math.Min((long)_times.Length * 2, _capacity);
        var times = new int[size];
        var values = new float[size];
        var firstPart = Math.Min(_count, _times.Length - _start);
        Array.Copy(_times, _start, times, 0, firstPart);
        Array.Copy(_values, _start, values, 0, firstPart);
        Array.Copy(_times, 0, times, firstPart, _count - firstPart);
        Array.Copy(_values, 0, values, firstPart, _count - firstPart);
        _times = times;
        _values = values;
        _start = 0;
    }

    /// <summary>Moves the base time forward (after weeks of points) so the newest point's offset fits in 32 bits again.</summary>
    private void Rebase(long newest)
    {
        var oldest = _count == 0 ? newest : At(0).TimeUnixMs;
        var shift = oldest - _base;
        for (var i = 0; i < _count; i++)
        {
            var slot = (_start + i) % _times.Length;
            _times[slot] = (int)(_times[slot] - shift);
        }

        _base = oldest;
        if (newest - _base > int.MaxValue)
        {
            // The ring spans more than 24 days: keep only the new point.
            _start = 0;
            _count = 0;
            _base = newest;
        }
    }
}
