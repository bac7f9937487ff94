using Platform.Dashboard.Services;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Tests;

/// <summary>Builds metric batches as an agent would publish them, and a model to apply them to.</summary>
public static class Batches
{
    public static readonly DateTimeOffset Start = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    public static (FleetModel Model, ManualClock Clock) Model(DashboardOptions? options = null)
    {
        var clock = new ManualClock(Start);
        return (new FleetModel(options ?? new DashboardOptions(), clock, new AlertBook()), clock);
    }

    public static Sample Gauge(string name, double value, params (string Name, string Value)[] labels)
    {
        var sample = new Sample { Name = name, Value = value, Unit = "1", Kind = MetricKind.Gauge };
        sample.Labels.AddRange(labels.Select(l => new Label { Name = l.Name, Value = l.Value }));
        return sample;
    }

    public static Sample Counter(string name, double total, params (string Name, string Value)[] labels)
    {
        var sample = Gauge(name, total, labels);
        sample.Unit = "By";
        sample.Kind = MetricKind.Counter;
        return sample;
    }

    /// <summary>A host's batch at <paramref name="time"/> with the usual host metrics.</summary>
    public static MetricBatch Host(string hostId, DateTimeOffset time, double cpu, double memory = 0.4, double filesystem = 0.5, double load = 0.7,
        ulong sequence = 1, double diskTotal = 0, params (string Name, double Cpu, double Memory)[] containers)
    {
        var batch = new MetricBatch
        {
            SchemaVersion = 1,
            HostId = hostId,
            TimestampUnixMs = time.ToUnixTimeMilliseconds(),
            Sequence = sequence,
            AgentRunId = "run-1",
            Host = new HostInfo { HostName = hostId, Os = "linux", Kernel = "6.1", CpuCount = 4, MemoryTotalBytes = 8L << 30, IntervalMs = 1000, AgentVersion = "1.0" },
        };
        batch.Host.Labels.Add(new Label { Name = "env", Value = hostId.Contains("db", StringComparison.Ordinal) ? "prod" : "dev" });
        batch.Samples.Add(Gauge(SeriesNames.CpuUtilization, cpu));
        batch.Samples.Add(Gauge(SeriesNames.MemoryUtilization, memory));
        batch.Samples.Add(Gauge(SeriesNames.FilesystemUtilization, filesystem, ("mountpoint", "/")));
        batch.Samples.Add(Gauge(SeriesNames.FilesystemUtilization, filesystem / 2, ("mountpoint", "/data")));
        batch.Samples.Add(Gauge(SeriesNames.Load1, load));
        batch.Samples.Add(Counter(SeriesNames.DiskIo, diskTotal, ("device", "sda"), ("direction", "read")));
        batch.Samples.Add(Counter(SeriesNames.NetworkIo, diskTotal * 2, ("device", "eth0"), ("direction", "receive")));
        foreach (var (name, containerCpu, containerMemory) in containers)
        {
            batch.Samples.Add(Gauge(SeriesNames.ContainerCpu, containerCpu, (SeriesNames.ContainerNameLabel, name)));
            var memorySample = Gauge(SeriesNames.ContainerMemory, containerMemory, (SeriesNames.ContainerNameLabel, name));
            memorySample.Unit = "By";
            batch.Samples.Add(memorySample);
        }

        return batch;
    }

    /// <summary>Feeds <paramref name="seconds"/> one-second batches of a host ending at the clock's now.</summary>
    public static void Feed(FleetModel model, ManualClock clock, string hostId, int seconds, Func<int, double> cpu, params (string Name, double Cpu, double Memory)[] containers)
    {
        var end = clock.Now;
        for (var i = 0; i < seconds; i++)
        {
            var t = end - TimeSpan.FromSeconds(seconds - 1 - i);
            model.Apply(Host(hostId, t, cpu(i), sequence: (ulong)i + 1, diskTotal: i * 1_000_000, containers: containers));
        }
    }
}
