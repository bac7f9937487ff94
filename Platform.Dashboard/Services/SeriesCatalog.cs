using Platform.Telemetry.Decoding;

namespace Platform.Dashboard.Services;

/// <summary>
/// One decoding thread's view of the series it meets: a <see cref="MetricBatchDecoder"/> and, per descriptor id, the
/// <see cref="SeriesClass"/> worked out once for that series, so that a sample costs the decode and an array index.
/// When the decoder's table starts over (<see cref="MetricBatchDecoder.Generation"/>) the classes start over with it:
/// hosts find their series again by key (<see cref="HostState"/> keys its slots by class reference, then by key
/// text). Also holds the interpreter's scratch (containers and CPUs of the batch at hand), reused by every batch.
/// Not thread-safe: one per thread.
/// </summary>
public sealed class SeriesCatalog
{
    private readonly MetricBatchDecoder _decoder;
    private SeriesClass?[] _classes = new SeriesClass?[256];
    private int _generation;

    public SeriesCatalog(int maxSeries = 1 << 20)
    {
        _decoder = new MetricBatchDecoder(maxSeries);
        _generation = _decoder.Generation;
    }

    /// <summary>The decoder's generation the classes belong to.</summary>
    public int Generation => _generation;

    /// <summary>The classes worked out so far in this generation.</summary>
    public int Count { get; private set; }

    /// <summary>The containers of the batch being interpreted (scratch of <see cref="BatchInterpreter"/>).</summary>
    internal ContainerScratch Containers { get; } = new();

    /// <summary>The cores seen in the per-state CPU series of the batch being interpreted (scratch).</summary>
    internal HashSet<string> Cpus { get; } = new(StringComparer.Ordinal);

    /// <summary>Decodes one <c>metrics</c> record's value; the batch is the decoder's own, refilled by the next call.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed metric batch.</exception>
    public DecodedMetricBatch Decode(ReadOnlySpan<byte> value)
    {
        var batch = _decoder.Decode(value);
        if (_decoder.Generation != _generation)
        {
            Array.Clear(_classes);
            Count = 0;
            _generation = _decoder.Generation;
        }

        return batch;
    }

    /// <summary>The class of a series of the current generation.</summary>
    public SeriesClass ClassOf(SeriesDescriptor series)
    {
        var id = series.Id;
        var classes = _classes;
        if ((uint)id < (uint)classes.Length && classes[id] is { } known)
        {
            return known;
        }

        return Classify(series);
    }

    private SeriesClass Classify(SeriesDescriptor series)
    {
        if (series.Id >= _classes.Length)
        {
            Array.Resize(ref _classes, Math.Max(_classes.Length * 2, series.Id + 1));
        }

        var made = SeriesClass.Of(series);
        _classes[series.Id] = made;
        Count++;
        return made;
    }
}
