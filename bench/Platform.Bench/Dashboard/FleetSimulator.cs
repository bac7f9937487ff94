using Google.Protobuf;
using Platform.Telemetry.V1;

namespace Platform.Bench.Dashboard;

/// <summary>Metric batches of made-up hosts shaped as the agent publishes them (about 25 samples each).</summary>
internal static class FleetSimulator
{
    public static string HostId(int host) => $"sim-{host:D4}";

    public static byte[] Batch(int host, long timeUnixMs, ulong sequence, bool withInventory)
    {
        var id = HostId(host);
        var phase = (timeUnixMs / 20_000.0) + host;
        var cpu = Math.Clamp(0.2 + (0.15 * Math.Sin(phase)) + (host % 9 == 0 ? 0.6 : 0), 0, 1);
        var batch = new MetricBatch { SchemaVersion = 1, HostId = id, TimestampUnixMs = timeUnixMs, Sequence = sequence, AgentRunId = "bench" };
        if (withInventory)
        {
            batch.Host = new HostInfo { HostName = id, Os = "linux", Kernel = "6.12", CpuCount = 8, MemoryTotalBytes = 32L << 30, IntervalMs = 1000, AgentVersion = "bench" };
            batch.Host.Labels.Add(new Label { Name = "rack", Value = $"r{host % 20}" });
        }

        void Add(string name, string unit, double value, MetricKind kind, params (string, string)[] labels)
        {
            var sample = new Sample { Name = name, Unit = unit, Value = value, Kind = kind };
            foreach (var (n, v) in labels)
            {
                sample.Labels.Add(new Label { Name = n, Value = v });
            }

            batch.Samples.Add(sample);
        }

        Add("system.cpu.utilization", "1", cpu, MetricKind.Gauge);
        for (var c = 0; c < 8; c++)
        {
            Add("system.cpu.utilization", "1", Math.Clamp(cpu + (0.05 * Math.Sin(phase + c)), 0, 1), MetricKind.Gauge, ("cpu", c.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Add("system.memory.utilization", "1", 0.4 + (0.1 * Math.Cos(phase)), MetricKind.Gauge);
        Add("system.memory.usage", "By", 12e9, MetricKind.Gauge, ("state", "used"));
        Add("system.filesystem.utilization", "1", 0.5, MetricKind.Gauge, ("device", "nvme0n1p1"), ("mountpoint", "/"), ("type", "ext4"));
        Add("system.filesystem.utilization", "1", 0.3, MetricKind.Gauge, ("device", "nvme0n1p2"), ("mountpoint", "/var"), ("type", "ext4"));
        Add("system.cpu.load_average.1m", "1", cpu * 8, MetricKind.Gauge);
        Add("system.cpu.load_average.5m", "1", cpu * 7, MetricKind.Gauge);
        Add("system.cpu.load_average.15m", "1", cpu * 6, MetricKind.Gauge);
        var seconds = timeUnixMs / 1000.0;
        Add("system.disk.io", "By", seconds * 3e6, MetricKind.Counter, ("device", "nvme0n1"), ("direction", "read"));
        Add("system.disk.io", "By", seconds * 5e6, MetricKind.Counter, ("device", "nvme0n1"), ("direction", "write"));
        Add("system.network.io", "By", seconds * 1e6, MetricKind.Counter, ("device", "eth0"), ("direction", "receive"));
        Add("system.network.io", "By", seconds * 4e5, MetricKind.Counter, ("device", "eth0"), ("direction", "transmit"));
        for (var c = 0; c < 3; c++)
        {
            var name = $"app-{c}";
            Add("container.cpu.utilization", "1", cpu / 4, MetricKind.Gauge, ("container.name", name), ("container.id", $"{host:x4}{c:x4}"));
            Add("container.memory.usage", "By", (200 + c) * 1048576.0, MetricKind.Gauge, ("container.name", name), ("container.id", $"{host:x4}{c:x4}"));
        }

        return batch.ToByteArray();
    }
}
