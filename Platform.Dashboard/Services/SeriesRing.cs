namespace Platform.Dashboard.Services;

/// <summary>
/// The most recent points of one series, a float each (7 significant digits, plenty for a chart), on the
/// <see cref="SeriesTimeline"/> of its host: the series' values by batch, the times held once per batch by the timeline,
/// so a host's 100 series × 360 points take 4 bytes a point plus 8 bytes a batch. A batch that lacks the series
/// leaves a gap (no point). One writer (the host's ingest thread) and any number of readers (pages, the live push),
/// both under the timeline's lock. A ring made on its own (<see cref="SeriesRing(int)"/>) has a timeline of its own:
/// every point opens a column, and a point not newer than the newest one is dropped (a replayed or duplicated batch).
/// The values grow on demand with the timeline (from <see cref="InitialAllocation"/> points, doubling up to the
/// capacity): a series that has only been seen for a minute holds a minute's worth of memory, not the whole window.
/// </summary>
public sealed class SeriesRing
{
    /// <summary>The points a new ring allocates room for.</summary>
    public const int InitialAllocation = 16;

    private readonly SeriesTimeline _timeline;
    private float[] _values;
    private long _first = -1;
    private long _last = -1;

    public SeriesRing(int capacity)
        : this(new SeriesTimeline(capacity))
    {
    }

    internal SeriesRing(SeriesTimeline timeline)
    {
        _timeline = timeline;
        _values = new float[timeline.Allocated];
    }

    /// <summary>The most points the ring holds.</summary>
    public int Capacity => _timeline.Capacity;

    /// <summary>The points the ring has room for now (it grows up to <see cref="Capacity"/>).</summary>
    public int Allocated
    {
        get
        {
            lock (_timeline.Gate)
            {
                return _values.Length;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_timeline.Gate)
            {
                var (from, to) = Held();
                var count = 0;
                for (var column = from; column <= to; column++)
                {
                    if (!float.IsNaN(ValueAt(column)))
                    {
                        count++;
                    }
                }

                return count;
            }
        }
    }

    /// <summary>The newest point, or null when the ring is empty.</summary>
    public Point? Last
    {
        get
        {
            lock (_timeline.Gate)
            {
                var (from, to) = Held();
                for (var column = to; column >= from; column--)
                {
                    var value = ValueAt(column);
                    if (!float.IsNaN(value))
                    {
                        return new Point(_timeline.TimeOf(column), value);
                    }
                }

                return null;
            }
        }
    }

    /// <summary>Appends a point at its own time; returns false when it is not newer than the newest point held.</summary>
    public bool Add(Point point)
    {
        lock (_timeline.Gate)
        {
            var column = _timeline.Open(point.TimeUnixMs);
            if (column < 0 || column <= _last)
            {
                return false;
            }

            Set(column, point.Value);
            return true;
        }
    }

    /// <summary>The points with a time after <paramref name="afterUnixMs"/>, oldest first.</summary>
    public Point[] Since(long afterUnixMs)
    {
        lock (_timeline.Gate)
        {
            var (from, to) = Held();
            if (from > to)
            {
                return [];
            }

            from = _timeline.FirstAfter(from, to, afterUnixMs);
            var count = 0;
            for (var column = from; column <= to; column++)
            {
                if (!float.IsNaN(ValueAt(column)))
                {
                    count++;
                }
            }

            var result = new Point[count];
            var i = 0;
            for (var column = from; column <= to; column++)
            {
                var value = ValueAt(column);
                if (!float.IsNaN(value))
                {
                    result[i++] = new Point(_timeline.TimeOf(column), value);
                }
            }

            return result;
        }
    }

    /// <summary>All the points held, oldest first.</summary>
    public Point[] ToArray() => Since(long.MinValue);

    /// <summary>Sets the value of a column of the timeline (the writer holds the timeline's lock).</summary>
    internal void Set(long column, double value)
    {
        var length = _values.Length;
        if (length != _timeline.Allocated)
        {
            Relayout();
            length = _values.Length;
        }

        if (_last < 0)
        {
            _first = column;
        }
        else if (column > _last + 1)
        {
            // The batches in between lacked the series: gaps, not the values of long ago.
            for (var gap = Math.Max(_last + 1, column - length + 1); gap < column; gap++)
            {
                _values[gap % length] = float.NaN;
            }
        }

        _values[column % length] = (float)value;
        if (column > _last)
        {
            _last = column;
        }
    }

    /// <summary>The columns this ring holds values for.</summary>
    private (long From, long To) Held()
    {
        if (_last < 0)
        {
            return (0, -1);
        }

        var to = Math.Min(_last, _timeline.Newest);
        var from = Math.Max(Math.Max(_first, _timeline.Oldest), to - _values.Length + 1);
        return (from, to);
    }

    private float ValueAt(long column) => _values[column % _values.Length];

    /// <summary>Follows the timeline's growth: the held values moved to their places in an array of its new size.</summary>
    private void Relayout()
    {
        var values = new float[_timeline.Allocated];
        var (from, to) = Held();
        for (var column = from; column <= to; column++)
        {
            values[column % values.Length] = ValueAt(column);
        }

        _values = values;
    }
}
