namespace Platform.Alerting.Evaluation;

/// <summary>One time series (host + metric name + labels) and the samples of its longest window, oldest first,
/// in a growable ring.</summary>
internal sealed class Series
{
    private long[] _times = new long[4];
    private double[] _values = new double[4];
    private int _start;

    public Series(string key, string host, string name, Dictionary<string, string> labels)
    {
        Key = key;
        Host = host;
        Name = name;
        Labels = labels;
    }

    public string Key { get; }

    public string Host { get; }

    public string Name { get; }

    /// <summary>The sample labels plus <c>host</c>.</summary>
    public Dictionary<string, string> Labels { get; }

    public int Count { get; private set; }

    /// <summary>The decoder's id of this series' descriptor and the generation it belongs to (-1: not bound); the
    /// host's table finds the series by that id.</summary>
    public int DescriptorId { get; set; } = -1;

    public int DescriptorGeneration { get; set; } = -1;

    public DateTimeOffset LastSeen { get; set; }

    /// <summary>The rules of this metric whose matchers match, computed for <see cref="RulesVersion"/>.</summary>
    public List<CompiledRule> Rules { get; } = [];

    public int RulesVersion { get; set; } = -1;

    /// <summary>The longest <c>after</c> of the absence rules among <see cref="Rules"/>: the series is kept this much
    /// longer than the engine's stale time, so that its absence can be noticed.</summary>
    public TimeSpan AbsenceAfter { get; set; }

    /// <summary>How long samples are kept: the longest window among <see cref="Rules"/>.</summary>
    public long RetainMs { get; set; }

    /// <summary>Fingerprint per entry of <see cref="Rules"/> (null until first needed; labels of a series never
    /// change, and <see cref="Rules"/> is recomputed with these when the rules change).</summary>
    public List<string?> Fingerprints { get; } = [];

    public long NewestTime => Count == 0 ? long.MinValue : TimeAt(Count - 1);

    public long TimeAt(int i) => _times[(_start + i) % _times.Length];

    public double ValueAt(int i) => _values[(_start + i) % _values.Length];

    /// <summary>Appends a sample (an older timestamp than the newest replaces nothing: samples arrive in order per host)
    /// and drops samples that fell out of the retained window.</summary>
    public void Add(long timeMs, double value)
    {
        if (Count > 0 && timeMs < NewestTime)
        {
            return;
        }

        if (Count == _times.Length)
        {
            Grow();
        }

        var end = (_start + Count) % _times.Length;
        _times[end] = timeMs;
        _values[end] = value;
        Count++;
        var cutoff = timeMs - RetainMs;
        while (Count > 1 && TimeAt(0) < cutoff)
        {
            _start = (_start + 1) % _times.Length;
            Count--;
        }
    }

    private void Grow()
    {
        var times = new long[_times.Length * 2];
        var values = new double[_values.Length * 2];
        for (var i = 0; i < Count; i++)
        {
            times[i] = TimeAt(i);
            values[i] = ValueAt(i);
        }

        _times = times;
        _values = values;
        _start = 0;
    }
}
