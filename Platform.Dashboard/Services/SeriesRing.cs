namespace Platform.Dashboard.Services;

/// <summary>
/// A bounded ring of the most recent points of one series. One writer (the consumer) and any number of
/// readers (pages, the live push); a small lock keeps reads consistent. Points arrive in time order per
/// host; an older point than the newest one is dropped (a replayed or duplicated batch).
/// </summary>
public sealed class SeriesRing
{
    private readonly Point[] _points;
    private readonly Lock _lock = new();
    private int _start;
    private int _count;

    public SeriesRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        _points = new Point[capacity];
    }

    public int Capacity => _points.Length;

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
                return _count == 0 ? null : _points[(_start + _count - 1) % _points.Length];
            }
        }
    }

    /// <summary>Appends a point; returns false when it is not newer than the newest point held.</summary>
    public bool Add(Point point)
    {
        lock (_lock)
        {
            if (_count > 0 && point.TimeUnixMs <= _points[(_start + _count - 1) % _points.Length].TimeUnixMs)
            {
                return false;
            }

            if (_count < _points.Length)
            {
                _points[(_start + _count) % _points.Length] = point;
                _count++;
            }
            else
            {
                _points[_start] = point;
                _start = (_start + 1) % _points.Length;
            }

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
                if (_points[(_start + mid) % _points.Length].TimeUnixMs <= afterUnixMs)
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
                result[i] = _points[(_start + lo + i) % _points.Length];
            }

            return result;
        }
    }

    /// <summary>All the points held, oldest first.</summary>
    public Point[] ToArray() => Since(long.MinValue);
}
