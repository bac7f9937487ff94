using System.Globalization;
using System.Text;
using Google.Protobuf;
using Platform.Telemetry;
using Platform.Telemetry.V1;

namespace Platform.Bench.Fleet;

/// <summary>
/// The series of one simulated host, shaped as the agent publishes them (names, units, kinds and labels from
/// <see cref="MetricNames"/>): total and per-core CPU, load, memory, paging, filesystems, disks, network, processes,
/// pressure and containers — 100 series by default, more containers for more, cut for fewer. Every host has the same
/// shape; <see cref="HostState"/> holds a host's values, which move as bounded random walks (gauges) and growing
/// totals (counters), kept below the thresholds of the default rules so only the stimulus fires.
/// </summary>
internal sealed class HostModel
{
    /// <summary>Index of the host's total CPU utilization (the stimulus' target) in <see cref="Series"/>.</summary>
    public const int TotalCpu = 0;

    public const int Cores = 16;

    private HostModel(SeriesDef[] series) => Series = series;

    public SeriesDef[] Series { get; }

    public static HostModel Create(int seriesPerHost)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seriesPerHost, 1);
        var list = new List<SeriesDef>
        {
            new(MetricNames.CpuUtilization, "1", MetricKind.Gauge, [], Walk.Fraction(0.05, 0.80, 0.03)),
        };
        for (var c = 0; c < Cores; c++)
        {
            list.Add(new(MetricNames.CpuUtilization, "1", MetricKind.Gauge, [L(LabelNames.Cpu, Num(c))], Walk.Fraction(0.0, 0.85, 0.05)));
        }

        list.Add(new(MetricNames.LoadAverage1m, "1", MetricKind.Gauge, [], Walk.Fraction(0.2, 8, 0.3)));
        list.Add(new(MetricNames.LoadAverage5m, "1", MetricKind.Gauge, [], Walk.Fraction(0.2, 8, 0.1)));
        list.Add(new(MetricNames.LoadAverage15m, "1", MetricKind.Gauge, [], Walk.Fraction(0.2, 8, 0.05)));
        list.Add(new(MetricNames.MemoryUtilization, "1", MetricKind.Gauge, [], Walk.Fraction(0.2, 0.80, 0.005)));
        foreach (var state in new[] { "used", "free", "buffers", "cached" })
        {
            list.Add(new(MetricNames.MemoryUsage, "By", MetricKind.Gauge, [L(LabelNames.State, state)], Walk.Fraction(1e9, 2e10, 5e7)));
        }

        list.Add(new(MetricNames.MemoryLimit, "By", MetricKind.Gauge, [], Walk.Constant(32L << 30)));
        list.Add(new(MetricNames.PagingUsage, "By", MetricKind.Gauge, [L(LabelNames.State, "used")], Walk.Fraction(0, 1e9, 1e6)));
        list.Add(new(MetricNames.PagingUsage, "By", MetricKind.Gauge, [L(LabelNames.State, "free")], Walk.Fraction(3e9, 4e9, 1e6)));
        foreach (var (device, mount) in new[] { ("nvme0n1p2", "/"), ("nvme0n1p3", "/var"), ("nvme0n1p4", "/home"), ("nvme1n1p1", "/data") })
        {
            Label[] fs = [L(LabelNames.Device, device), L(LabelNames.MountPoint, mount), L(LabelNames.FilesystemType, "ext4")];
            list.Add(new(MetricNames.FilesystemUtilization, "1", MetricKind.Gauge, fs, Walk.Fraction(0.1, 0.75, 0.001)));
            list.Add(new(MetricNames.FilesystemUsage, "By", MetricKind.Gauge, [.. fs, L(LabelNames.State, "used")], Walk.Fraction(1e10, 3e11, 1e7)));
            list.Add(new(MetricNames.FilesystemUsage, "By", MetricKind.Gauge, [.. fs, L(LabelNames.State, "free")], Walk.Fraction(1e10, 3e11, 1e7)));
        }

        foreach (var device in new[] { "nvme0n1", "nvme1n1", "sda" })
        {
            foreach (var direction in new[] { "read", "write" })
            {
                list.Add(new(MetricNames.DiskIo, "By", MetricKind.Counter, [L(LabelNames.Device, device), L(LabelNames.Direction, direction)], Walk.Counter(5e6)));
                list.Add(new(MetricNames.DiskOperations, "{operation}", MetricKind.Counter, [L(LabelNames.Device, device), L(LabelNames.Direction, direction)], Walk.Counter(300)));
            }

            list.Add(new(MetricNames.DiskIoTime, "s", MetricKind.Counter, [L(LabelNames.Device, device)], Walk.Counter(0.2)));
        }

        foreach (var device in new[] { "eth0", "eth1", "lo" })
        {
            foreach (var direction in new[] { "receive", "transmit" })
            {
                Label[] nic = [L(LabelNames.Device, device), L(LabelNames.Direction, direction)];
                list.Add(new(MetricNames.NetworkIo, "By", MetricKind.Counter, nic, Walk.Counter(2e6)));
                list.Add(new(MetricNames.NetworkPackets, "{packet}", MetricKind.Counter, nic, Walk.Counter(2000)));
                list.Add(new(MetricNames.NetworkErrors, "{error}", MetricKind.Counter, nic, Walk.Counter(0.01)));
                list.Add(new(MetricNames.NetworkDropped, "{packet}", MetricKind.Counter, nic, Walk.Counter(0.1)));
            }
        }

        list.Add(new(MetricNames.Uptime, "s", MetricKind.Gauge, [], Walk.Counter(1)));
        list.Add(new(MetricNames.ProcessCount, "{process}", MetricKind.Gauge, [], Walk.Fraction(150, 400, 2)));
        list.Add(new(MetricNames.ProcessesByStatus, "{process}", MetricKind.Gauge, [L(LabelNames.Status, "running")], Walk.Fraction(0, 16, 1)));
        list.Add(new(MetricNames.ProcessesByStatus, "{process}", MetricKind.Gauge, [L(LabelNames.Status, "blocked")], Walk.Fraction(0, 4, 0.5)));
        foreach (var resource in new[] { "cpu", "memory", "io" })
        {
            list.Add(new(MetricNames.PressureAverage, "%", MetricKind.Gauge,
                [L(LabelNames.Resource, resource), L(LabelNames.PressureType, "some"), L(LabelNames.Window, "10s")], Walk.Fraction(0, 20, 0.5)));
        }

        list.Add(new(MetricNames.CpuLogicalCount, "1", MetricKind.Gauge, [], Walk.Constant(Cores)));
        for (var c = 0; list.Count < seriesPerHost; c++)
        {
            Label[] container = [L(LabelNames.ContainerName, $"app-{c}"), L(LabelNames.ContainerId, $"{c:x12}")];
            list.Add(new(MetricNames.ContainerCpuUtilization, "1", MetricKind.Gauge, container, Walk.Fraction(0, 0.2, 0.01)));
            if (list.Count < seriesPerHost)
            {
                list.Add(new("container.memory.usage", "By", MetricKind.Gauge, container, Walk.Fraction(5e7, 2e9, 1e6)));
            }
        }

        return new HostModel([.. list.Take(seriesPerHost)]);

        static Label L(string name, string value) => new() { Name = name, Value = value };
        static string Num(int i) => i.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>One protobuf <see cref="MetricBatch"/> with this model's samples, reused for every host and tick:
    /// Encode only sets the host's values before serializing it (no per-sample allocation).</summary>
    public MetricBatch NewTemplate()
    {
        var batch = new MetricBatch { SchemaVersion = Topics.SchemaVersion, AgentRunId = "fleet-sim" };
        foreach (var s in Series)
        {
            var sample = new Sample { Name = s.Name, Unit = s.Unit, Kind = s.Kind };
            sample.Labels.Add(s.Labels);
            batch.Samples.Add(sample);
        }

        return batch;
    }

    /// <summary>Serializes the host's batch for one tick into a new array (Confluent.Kafka takes arrays).</summary>
    public static byte[] Encode(MetricBatch template, string hostId, HostState state, long timeUnixMs, ulong sequence)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Encode(template, hostId, state.Values, timeUnixMs, sequence);
    }

    /// <summary>Serializes a batch of the given values into a new array.</summary>
    public static byte[] Encode(MetricBatch template, string hostId, double[] values, long timeUnixMs, ulong sequence)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        template.HostId = hostId;
        template.TimestampUnixMs = timeUnixMs;
        template.Sequence = sequence;
        var samples = template.Samples;
        for (var i = 0; i < values.Length; i++)
        {
            samples[i].Value = values[i];
        }

        var bytes = new byte[template.CalculateSize()];
        template.WriteTo(bytes.AsSpan());
        return bytes;
    }

    /// <summary>The Prometheus text exposition name of a metric: dots become underscores.</summary>
    public static string PrometheusName(string name) => name.Replace('.', '_');

    /// <summary>Appends the host's series in the Prometheus text format (labels plus <c>host</c>).</summary>
    public void AppendPrometheus(StringBuilder text, string hostId, HostState state)
    {
        for (var i = 0; i < Series.Length; i++)
        {
            var s = Series[i];
            text.Append(s.PrometheusName).Append("{host=\"").Append(hostId).Append('"');
            foreach (var label in s.Labels)
            {
                text.Append(',').Append(PrometheusName(label.Name)).Append("=\"").Append(label.Value).Append('"');
            }

            text.Append("} ").Append(state.Values[i].ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
    }
}

/// <summary>One series of the model: what it is and how it moves.</summary>
internal sealed class SeriesDef(string name, string unit, MetricKind kind, Label[] labels, Walk walk)
{
    public string Name { get; } = name;

    public string PrometheusName { get; } = HostModel.PrometheusName(name);

    public string Unit { get; } = unit;

    public MetricKind Kind { get; } = kind;

    public Label[] Labels { get; } = labels;

    public Walk Walk { get; } = walk;
}

/// <summary>How a series moves from one tick to the next.</summary>
internal readonly record struct Walk(double Min, double Max, double Step, bool IsCounter)
{
    /// <summary>A gauge: a random walk of ±<paramref name="step"/> a tick between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public static Walk Fraction(double min, double max, double step) => new(min, max, step, false);

    /// <summary>A total that grows by 0..2×<paramref name="ratePerTick"/> a tick.</summary>
    public static Walk Counter(double ratePerTick) => new(0, double.MaxValue, ratePerTick, true);

    public static Walk Constant(double value) => new(value, value, 0, false);
}

/// <summary>The values of one host's series, and whether the stimulus holds its CPU high.</summary>
internal sealed class HostState
{
    private ulong _random;

    public HostState(HostModel model, int host)
    {
        Values = new double[model.Series.Length];
        _random = (ulong)host * 0x9E3779B97F4A7C15UL | 1;
        for (var i = 0; i < Values.Length; i++)
        {
            var walk = model.Series[i].Walk;
            Values[i] = walk.IsCounter ? NextUnit() * 1e6 * walk.Step : walk.Min + ((walk.Max - walk.Min) * (0.25 + (0.5 * NextUnit())));
        }
    }

    public double[] Values { get; }

    /// <summary>The stimulus value of total and per-core CPU while it lasts, else null.</summary>
    public double? Forced { get; set; }

    public ulong Sequence { get; set; }

    /// <summary>Moves every series one tick.</summary>
    public void Step(HostModel model)
    {
        var series = model.Series;
        for (var i = 0; i < Values.Length; i++)
        {
            var walk = series[i].Walk;
            if (walk.IsCounter)
            {
                Values[i] += 2 * walk.Step * NextUnit();
            }
            else if (walk.Step > 0)
            {
                Values[i] = Math.Clamp(Values[i] + (walk.Step * ((2 * NextUnit()) - 1)), walk.Min, walk.Max);
            }
        }

        if (Forced is { } forced)
        {
            for (var i = HostModel.TotalCpu; i <= HostModel.Cores && i < Values.Length; i++)
            {
                Values[i] = forced;
            }
        }
    }

    /// <summary>xorshift64*: cheap, allocation-free, reproducible per host.</summary>
    private double NextUnit()
    {
        _random ^= _random >> 12;
        _random ^= _random << 25;
        _random ^= _random >> 27;
        return ((_random * 0x2545F4914F6CDD1DUL) >> 11) * (1.0 / (1UL << 53));
    }
}
