using Platform.Dashboard.Services;
using Platform.Telemetry.V1;

namespace Platform.EndToEnd.Tests;

/// <summary>Batches of made-up hosts, shaped as the agent publishes them, with a deterministic wave per host.</summary>
public static class SimulatedFleet
{
    public static MetricBatch Batch(int host, long timeUnixMs, ulong sequence, bool withInventory)
    {
        var id = HostId(host);
        var phase = (timeUnixMs / 1000.0 / 20) + host;
        var cpu = Math.Clamp(0.15 + (0.1 * Math.Sin(phase)) + (host % 7 == 3 ? 0.7 : host % 5 == 1 ? 0.45 : 0), 0, 1);
        var batch = new MetricBatch { SchemaVersion = 1, HostId = id, TimestampUnixMs = timeUnixMs, Sequence = sequence, AgentRunId = "sim" };
        if (withInventory)
        {
            batch.Host = new HostInfo { HostName = id, Os = "linux", Kernel = "6.12.0", CpuCount = 8, MemoryTotalBytes = 32L << 30, IntervalMs = 1000, AgentVersion = "1.0.0" };
            batch.Host.Labels.Add(new Label { Name = "env", Value = host % 3 == 0 ? "prod" : "staging" });
            batch.Host.Labels.Add(new Label { Name = "role", Value = RoleOf(host) });
        }

        void Add(string name, string unit, double value, MetricKind kind = MetricKind.Gauge, params (string, string)[] labels)
        {
            var sample = new Sample { Name = name, Unit = unit, Value = value, Kind = kind };
            sample.Labels.AddRange(labels.Select(l => new Label { Name = l.Item1, Value = l.Item2 }));
            batch.Samples.Add(sample);
        }

        Add(SeriesNames.CpuUtilization, "1", cpu);
        Add(SeriesNames.MemoryUtilization, "1", 0.35 + (0.05 * Math.Cos(phase)) + (host % 4 * 0.1));
        Add(SeriesNames.FilesystemUtilization, "1", 0.42 + (host % 6 * 0.08), MetricKind.Gauge, ("mountpoint", "/"));
        Add(SeriesNames.FilesystemUtilization, "1", 0.2 + (host % 3 * 0.1), MetricKind.Gauge, ("mountpoint", "/var/lib"));
        Add(SeriesNames.Load1, "1", cpu * 8 * 0.9);
        Add(SeriesNames.Load5, "1", cpu * 8 * 0.8);
        Add(SeriesNames.Load15, "1", cpu * 8 * 0.7);
        var seconds = timeUnixMs / 1000.0;
        Add(SeriesNames.DiskIo, "By", (seconds * 2e6) - (2e7 * Math.Cos(phase)), MetricKind.Counter, ("device", "nvme0n1"), ("direction", "read"));
        Add(SeriesNames.DiskIo, "By", seconds * 5e6, MetricKind.Counter, ("device", "nvme0n1"), ("direction", "write"));
        Add(SeriesNames.NetworkIo, "By", seconds * 1.2e6, MetricKind.Counter, ("device", "eth0"), ("direction", "receive"));
        Add(SeriesNames.NetworkIo, "By", seconds * 4e5, MetricKind.Counter, ("device", "eth0"), ("direction", "transmit"));
        for (var c = 0; c < host % 4; c++)
        {
            var name = $"{RoleOf(host)}-{c}";
            Add(SeriesNames.ContainerCpu, "1", Math.Abs(Math.Sin(phase + c)) * cpu, MetricKind.Gauge, ("container.name", name), ("container.id", $"{host:x4}{c:x4}"));
            Add(SeriesNames.ContainerMemory, "By", (100 + (37 * host) + (11 * c)) * 1048576.0, MetricKind.Gauge, ("container.name", name), ("container.id", $"{host:x4}{c:x4}"));
            Add(SeriesNames.ContainerMemoryLimit, "By", 2L << 30, MetricKind.Gauge, ("container.name", name), ("container.id", $"{host:x4}{c:x4}"));
        }

        return batch;
    }

    public static string HostId(int host) => $"{RoleOf(host)}-{host:D3}";

    private static string RoleOf(int host) => (host % 4) switch
    {
        0 => "web",
        1 => "api",
        2 => "db",
        _ => "cache",
    };

    /// <summary>Applies <paramref name="seconds"/> of history for <paramref name="hosts"/> hosts, ending now.</summary>
    public static void Fill(FleetModel model, int hosts, int seconds)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var s = seconds - 1; s >= 0; s--)
        {
            for (var h = 0; h < hosts; h++)
            {
                model.Apply(Batch(h, now - (s * 1000L), (ulong)(seconds - s), s == seconds - 1));
            }
        }
    }
}
