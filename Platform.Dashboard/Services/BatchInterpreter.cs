using Google.Protobuf;
using Platform.Telemetry.Decoding;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Services;

/// <summary>
/// Reads one decoded metric batch into what the dashboard keeps: the series values (counter totals turned into
/// per-second rates), the derived host series (whole CPU, used memory, fullest filesystem), the key numbers and the
/// containers. The one interpretation of a batch, used alike by the live ingest (into <see cref="HostState"/>), the
/// history reader (into buckets) and <see cref="Interpret(MetricBatch, CounterRates, long)"/>. A sample costs its
/// class (an array index in the <see cref="SeriesCatalog"/>), its slot in the target and a switch on its role: no
/// strings are hashed or compared and nothing is allocated per sample or per batch.
/// </summary>
public static class BatchInterpreter
{
    /// <summary>The derived whole-host series.</summary>
    internal static readonly SeriesClass HostCpu = SeriesClass.Derived(SeriesNames.HostCpu);

    internal static readonly SeriesClass HostMemory = SeriesClass.Derived(SeriesNames.HostMemory);

    internal static readonly SeriesClass HostFilesystem = SeriesClass.Derived(SeriesNames.HostFilesystem);

    /// <summary>Where the interpreted values go, slot by slot.</summary>
    internal interface ITarget
    {
        /// <summary>The slot of a series, or -1 when it is not kept. <paramref name="position"/> is the sample's index in
        /// the batch (the derived series come after the samples): a host sends its series in the same order every time.</summary>
        int Resolve(SeriesClass series, int position, bool counter);

        /// <summary>Records a counter's total in its slot; true with the per-second rate since the previous total.</summary>
        bool TryRate(int slot, long timeUnixMs, double total, out double ratePerSecond);

        void Add(int slot, long timeUnixMs, double value);
    }

    /// <summary>The batch-level result of <see cref="Interpret{T}"/>; the containers are in the catalog's scratch.</summary>
    internal readonly record struct Summary(long TimeUnixMs, double? Cpu, double? Memory, double? Filesystem, double? Load1)
    {
        public KeyNumbers Numbers => new(Cpu, Memory, Filesystem, Load1);
    }

    /// <summary>The result of <see cref="Interpret(MetricBatch, CounterRates, long)"/>.</summary>
    public sealed record Result(string HostId, long TimeUnixMs, IReadOnlyList<SeriesSample> Samples, KeyNumbers Numbers, IReadOnlyList<ContainerStats> Containers);

    /// <summary>Interprets a batch decoded by <paramref name="catalog"/> into <paramref name="target"/>.</summary>
    /// <param name="batch">The batch <paramref name="catalog"/> decoded last.</param>
    /// <param name="catalog">The classes of the batch's series, and the scratch the containers are gathered in.</param>
    /// <param name="target">Where the values go.</param>
    /// <param name="receivedUnixMs">When the batch arrived, for a batch without a timestamp.</param>
    /// <exception cref="InvalidDataException">The batch has no host id or an unknown schema version.</exception>
    internal static Summary Interpret<T>(DecodedMetricBatch batch, SeriesCatalog catalog, long receivedUnixMs, ref T target)
        where T : struct, ITarget
    {
        if (batch.HostId.Length == 0)
        {
            throw new InvalidDataException("metric batch without a host id");
        }

        if (batch.SchemaVersion > Platform.Telemetry.Topics.SchemaVersion)
        {
            throw new InvalidDataException($"metric batch of schema version {batch.SchemaVersion}; this dashboard reads up to {Platform.Telemetry.Topics.SchemaVersion}");
        }

        var batchTime = batch.TimestampUnixMs != 0 ? batch.TimestampUnixMs : receivedUnixMs;
        var containers = catalog.Containers;
        containers.Clear();
        var cpu = new CpuAccumulator(catalog.Cpus);
        double? memory = null, memoryUsedBytes = null, filesystem = null, load1 = null;
        var samples = batch.Samples;
        for (var i = 0; i < samples.Length; i++)
        {
            ref readonly var sample = ref samples[i];
            var series = catalog.ClassOf(sample.Series);
            var value = sample.Value;
            if (series.Key.Name.Length == 0 || !double.IsFinite(value))
            {
                continue;
            }

            var time = sample.TimestampUnixMs != 0 ? sample.TimestampUnixMs : batchTime;
            var counter = sample.Kind == MetricKind.Counter;
            var slot = target.Resolve(series, i, counter);
            if (counter)
            {
                if (slot >= 0 && target.TryRate(slot, time, value, out var rate))
                {
                    target.Add(slot, time, rate);
                }

                continue;
            }

            if (slot >= 0)
            {
                target.Add(slot, time, value);
            }

            switch (series.Role)
            {
                case SeriesRole.Other:
                    break;
                case SeriesRole.CpuTotal or SeriesRole.CpuCore or SeriesRole.CpuIdle or SeriesRole.CpuWait or SeriesRole.CpuBusy:
                    cpu.Add(series, value);
                    break;
                case SeriesRole.MemoryUtilization:
                    memory = value;
                    break;
                case SeriesRole.MemoryUsed:
                    memoryUsedBytes = value;
                    break;
                case SeriesRole.FilesystemUtilization:
                    filesystem = Math.Max(filesystem ?? 0, value);
                    break;
                case SeriesRole.Load1:
                    load1 = value;
                    break;
                default:
                    containers.Set(series, time, value);
                    break;
            }
        }

        if (memory is null && memoryUsedBytes is { } used && batch.Host is { MemoryTotalBytes: > 0 } info)
        {
            memory = used / info.MemoryTotalBytes;
        }

        var cpuTotal = cpu.Total();
        AddDerived(ref target, HostCpu, samples.Length, batchTime, cpuTotal);
        AddDerived(ref target, HostMemory, samples.Length + 1, batchTime, memory);
        AddDerived(ref target, HostFilesystem, samples.Length + 2, batchTime, filesystem);
        return new Summary(batchTime, cpuTotal, memory, filesystem, load1);
    }

    /// <summary>
    /// Interprets one generated <see cref="MetricBatch"/> on its own (tests and tools): the same reading as the live
    /// path, with counter totals kept in <paramref name="rates"/> by series key.
    /// </summary>
    /// <exception cref="InvalidDataException">The batch has no host id or an unknown schema version.</exception>
    public static Result Interpret(MetricBatch batch, CounterRates rates, long receivedUnixMs)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(rates);
        var catalog = new SeriesCatalog();
        var decoded = catalog.Decode(batch.ToByteArray());
        var target = new ListTarget(rates);
        var summary = Interpret(decoded, catalog, receivedUnixMs, ref target);
        var containers = new List<ContainerStats>(catalog.Containers.Count);
        foreach (var c in catalog.Containers.Entries)
        {
            containers.Add(new ContainerStats(decoded.HostId, c.Name, c.Id, c.Cpu, c.Memory, c.Limit, c.Time));
        }

        return new Result(decoded.HostId, summary.TimeUnixMs, target.Samples, summary.Numbers, containers);
    }

    private static void AddDerived<T>(ref T target, SeriesClass series, int position, long time, double? value)
        where T : struct, ITarget
    {
        if (value is { } v)
        {
            var slot = target.Resolve(series, position, counter: false);
            if (slot >= 0)
            {
                target.Add(slot, time, v);
            }
        }
    }

    /// <summary>Collects the samples into a list (for <see cref="Interpret(MetricBatch, CounterRates, long)"/>).</summary>
    private readonly struct ListTarget(CounterRates rates) : ITarget
    {
        private readonly List<(SeriesClass Series, bool Counter)> _slots = [];

        public List<SeriesSample> Samples { get; } = [];

        public int Resolve(SeriesClass series, int position, bool counter)
        {
            _slots.Add((series, counter));
            return _slots.Count - 1;
        }

        public bool TryRate(int slot, long timeUnixMs, double total, out double ratePerSecond) =>
            rates.TryRate(_slots[slot].Series.Key.Id, timeUnixMs, total, out ratePerSecond);

        public void Add(int slot, long timeUnixMs, double value)
        {
            var (series, counter) = _slots[slot];
            Samples.Add(new SeriesSample(series.Key, counter ? series.RateUnit : series.Unit, timeUnixMs, value));
        }
    }

    /// <summary>
    /// The whole-host CPU utilization from whatever breakdown the agent sends: one series without labels
    /// is the total; per-CPU series are averaged; per-state series count everything but idle (and wait).
    /// </summary>
    private struct CpuAccumulator(HashSet<string> cpus)
    {
        private double? _total;
        private double _sum;
        private int _count;
        private double _idleSum;
        private int _idleCount;
        private double _busyStateSum;
        private bool _states;

        public void Add(SeriesClass series, double value)
        {
            switch (series.Role)
            {
                case SeriesRole.CpuTotal:
                    _total = value;
                    return;
                case SeriesRole.CpuCore:
                    _sum += value;
                    _count++;
                    return;
            }

            if (!_states)
            {
                _states = true;
                cpus.Clear();
            }

            cpus.Add(series.Cpu!);
            if (series.Role == SeriesRole.CpuIdle)
            {
                _idleSum += value;
                _idleCount++;
            }
            else if (series.Role == SeriesRole.CpuBusy)
            {
                _busyStateSum += value;
            }
        }

        public readonly double? Total()
        {
            if (_total is { } total)
            {
                return total;
            }

            if (_count > 0)
            {
                return _sum / _count;
            }

            if (_idleCount > 0)
            {
                return Math.Clamp(1 - (_idleSum / _idleCount), 0, 1);
            }

            return _states && cpus.Count > 0 ? Math.Clamp(_busyStateSum / cpus.Count, 0, 1) : null;
        }
    }
}
