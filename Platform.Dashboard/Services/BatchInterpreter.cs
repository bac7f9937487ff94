using Platform.Telemetry.V1;

namespace Platform.Dashboard.Services;

/// <summary>
/// Reads one <see cref="MetricBatch"/> into what the dashboard keeps: the series values (counter totals
/// turned into per-second rates), the derived host series (whole CPU, used memory, fullest filesystem),
/// the key numbers and the containers. Used alike by the live consumer and the history reader.
/// </summary>
public static class BatchInterpreter
{
    /// <summary>The result of reading one batch.</summary>
    public sealed record Result(string HostId, long TimeUnixMs, IReadOnlyList<SeriesSample> Samples, KeyNumbers Numbers, IReadOnlyList<ContainerStats> Containers);

    /// <exception cref="InvalidDataException">The batch has no host id or an unknown schema version.</exception>
    private static readonly SeriesKey HostCpuKey = SeriesKey.Create(SeriesNames.HostCpu);
    private static readonly SeriesKey HostMemoryKey = SeriesKey.Create(SeriesNames.HostMemory);
    private static readonly SeriesKey HostFilesystemKey = SeriesKey.Create(SeriesNames.HostFilesystem);

    /// <param name="batch">The batch as read from the topic.</param>
    /// <param name="rates">The previous counter totals of this host.</param>
    /// <param name="receivedUnixMs">When the batch arrived, for a batch without a timestamp.</param>
    /// <param name="keys">Where the series keys of this host are cached; null builds every key.</param>
    public static Result Interpret(MetricBatch batch, CounterRates rates, long receivedUnixMs, SeriesKeyCache? keys = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(rates);
        if (string.IsNullOrEmpty(batch.HostId))
        {
            throw new InvalidDataException("metric batch without a host id");
        }

        if (batch.SchemaVersion > Platform.Telemetry.Topics.SchemaVersion)
        {
            throw new InvalidDataException($"metric batch of schema version {batch.SchemaVersion}; this dashboard reads up to {Platform.Telemetry.Topics.SchemaVersion}");
        }

        var batchTime = batch.TimestampUnixMs != 0 ? batch.TimestampUnixMs : receivedUnixMs;
        var samples = new List<SeriesSample>(batch.Samples.Count + 3);
        var cpu = new CpuAccumulator();
        double? memory = null, memoryUsedBytes = null, filesystem = null, load1 = null;
        Dictionary<string, ContainerBuilder>? containers = null;

        foreach (var sample in batch.Samples)
        {
            if (string.IsNullOrEmpty(sample.Name) || !double.IsFinite(sample.Value))
            {
                continue;
            }

            var time = sample.TimestampUnixMs != 0 ? sample.TimestampUnixMs : batchTime;
            var key = keys is null
                ? SeriesKey.Create(sample.Name, sample.Labels.Select(static l => KeyValuePair.Create(l.Name, l.Value)))
                : keys.Get(sample.Name, sample.Labels);
            if (sample.Kind == MetricKind.Counter)
            {
                if (rates.TryRate(key.Id, time, sample.Value, out var rate))
                {
                    samples.Add(new SeriesSample(key, RateUnit(sample.Unit), time, rate));
                }

                continue;
            }

            samples.Add(new SeriesSample(key, sample.Unit, time, sample.Value));
            switch (sample.Name)
            {
                case SeriesNames.CpuUtilization:
                    cpu.Add(key, sample.Value);
                    break;
                case SeriesNames.MemoryUtilization:
                    if (key.Label("state") is null or "used")
                    {
                        memory = sample.Value;
                    }

                    break;
                case SeriesNames.MemoryUsage:
                    if (key.Label("state") is null or "used")
                    {
                        memoryUsedBytes = sample.Value;
                    }

                    break;
                case SeriesNames.FilesystemUtilization:
                    if (key.Label("state") is null or "used")
                    {
                        filesystem = Math.Max(filesystem ?? 0, sample.Value);
                    }

                    break;
                case SeriesNames.Load1:
                    load1 = sample.Value;
                    break;
                case SeriesNames.ContainerCpu or SeriesNames.ContainerMemory or SeriesNames.ContainerMemoryLimit:
                    var name = key.Label(SeriesNames.ContainerNameLabel) ?? key.Label(SeriesNames.ContainerIdLabel);
                    if (name is not null)
                    {
                        containers ??= new Dictionary<string, ContainerBuilder>(StringComparer.Ordinal);
                        if (!containers.TryGetValue(name, out var container))
                        {
                            container = new ContainerBuilder { Id = key.Label(SeriesNames.ContainerIdLabel), Time = time };
                            containers[name] = container;
                        }

                        container.Set(sample.Name, sample.Value);
                    }

                    break;
            }
        }

        if (memory is null && memoryUsedBytes is { } used && batch.Host is { MemoryTotalBytes: > 0 } info)
        {
            memory = used / info.MemoryTotalBytes;
        }

        var cpuTotal = cpu.Total();
        if (cpuTotal is { } c)
        {
            samples.Add(new SeriesSample(HostCpuKey, "1", batchTime, c));
        }

        if (memory is { } m)
        {
            samples.Add(new SeriesSample(HostMemoryKey, "1", batchTime, m));
        }

        if (filesystem is { } f)
        {
            samples.Add(new SeriesSample(HostFilesystemKey, "1", batchTime, f));
        }

        var containerList = containers is null
            ? (IReadOnlyList<ContainerStats>)[]
            : containers.Select(kv => new ContainerStats(batch.HostId, kv.Key, kv.Value.Id, kv.Value.Cpu, kv.Value.Memory, kv.Value.Limit, kv.Value.Time)).ToList();
        return new Result(batch.HostId, batchTime, samples, new KeyNumbers(cpuTotal, memory, filesystem, load1), containerList);
    }

    /// <summary>The unit of a counter's rate ("By" → "By/s"), built once per unit.</summary>
    private static string RateUnit(string unit)
    {
        if (RateUnits.TryGetValue(unit, out var rateUnit))
        {
            return rateUnit;
        }

        rateUnit = unit + "/s";
        if (RateUnits.Count < 1024)
        {
            RateUnits.TryAdd(unit, rateUnit);
        }

        return rateUnit;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> RateUnits = new(StringComparer.Ordinal);

    private sealed class ContainerBuilder
    {
        public string? Id { get; init; }

        public long Time { get; init; }

        public double? Cpu { get; private set; }

        public double? Memory { get; private set; }

        public double? Limit { get; private set; }

        public void Set(string name, double value)
        {
            switch (name)
            {
                case SeriesNames.ContainerCpu:
                    Cpu = value;
                    break;
                case SeriesNames.ContainerMemory:
                    Memory = value;
                    break;
                default:
                    Limit = value > 0 ? value : null;
                    break;
            }
        }
    }

    /// <summary>
    /// The whole-host CPU utilization from whatever breakdown the agent sends: one series without labels
    /// is the total; per-CPU series are averaged; per-state series count everything but idle (and wait).
    /// </summary>
    private struct CpuAccumulator
    {
        private double? _total;
        private double _sum;
        private int _count;
        private double _idleSum;
        private int _idleCount;
        private double _busyStateSum;
        private HashSet<string>? _cpus;

        public void Add(SeriesKey key, double value)
        {
            var state = key.Label("state");
            var cpu = key.Label("cpu");
            if (state is null)
            {
                if (cpu is null)
                {
                    _total = value;
                }
                else
                {
                    _sum += value;
                    _count++;
                }

                return;
            }

            (_cpus ??= new HashSet<string>(StringComparer.Ordinal)).Add(cpu ?? string.Empty);
            if (state == "idle")
            {
                _idleSum += value;
                _idleCount++;
            }
            else if (state != "wait")
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

            return _cpus is { Count: > 0 } ? Math.Clamp(_busyStateSum / _cpus.Count, 0, 1) : null;
        }
    }
}
