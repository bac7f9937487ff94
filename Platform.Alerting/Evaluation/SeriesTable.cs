namespace Platform.Alerting.Evaluation;

/// <summary>
/// One host's watched series by descriptor id (open addressing, linear probing over a power-of-two array): a lookup
/// is a multiply, a mask and a compare. Sized by the series it holds, not by the largest id, so a fleet whose
/// descriptor ids run high (labels unique per host) costs each host only its own series. Not thread-safe.
/// </summary>
internal sealed class SeriesTable
{
    private int[] _ids = new int[16];
    private Series?[] _series = new Series?[16];
    private int _count;

    public int Count => _count;

    public Series? Find(int id)
    {
        var mask = _ids.Length - 1;
        for (var i = Slot(id, mask); ; i = (i + 1) & mask)
        {
            var found = _series[i];
            if (found is null || _ids[i] == id)
            {
                return found;
            }
        }
    }

    public void Add(int id, Series series)
    {
        if ((_count + 1) * 2 > _ids.Length)
        {
            Rehash(_ids.Length * 2, skip: null);
        }

        Place(id, series);
        _count++;
    }

    /// <summary>Removes the series if it is the one held under its id.</summary>
    public void Remove(int id, Series series)
    {
        if (!ReferenceEquals(Find(id), series))
        {
            return;
        }

        Rehash(_ids.Length, skip: series);
        _count--;
    }

    public void Clear()
    {
        Array.Clear(_series);
        _count = 0;
    }

    private static int Slot(int id, int mask) => (int)(((uint)id * 0x9E3779B1u) >> 7) & mask;

    private void Place(int id, Series series)
    {
        var mask = _ids.Length - 1;
        var i = Slot(id, mask);
        while (_series[i] is not null)
        {
            i = (i + 1) & mask;
        }

        _ids[i] = id;
        _series[i] = series;
    }

    private void Rehash(int capacity, Series? skip)
    {
        var ids = _ids;
        var series = _series;
        _ids = new int[capacity];
        _series = new Series?[capacity];
        for (var i = 0; i < series.Length; i++)
        {
            if (series[i] is { } s && !ReferenceEquals(s, skip))
            {
                Place(ids[i], s);
            }
        }
    }
}
