using System.Collections.Concurrent;

namespace Platform.Alerting.Rules;

/// <summary>The metric names rules may refer to: the names the agents publish (OpenTelemetry semantic conventions)
/// plus every name seen on the <c>metrics</c> topic since start. A rule on any other name is refused as unknown.</summary>
public sealed class MetricCatalog
{
    /// <summary>Metrics whose values are ratios 0..1 (unit "1").</summary>
    private static readonly string[] Ratios =
    [
        "system.cpu.utilization", "system.memory.utilization", "system.filesystem.utilization",
        "system.swap.utilization", "container.cpu.utilization", "container.memory.utilization",
    ];

    private static readonly string[] Others =
    [
        "system.cpu.time", "system.cpu.load_average.1m", "system.cpu.load_average.5m", "system.cpu.load_average.15m",
        "system.memory.usage", "system.memory.limit", "system.swap.usage", "system.filesystem.usage", "system.filesystem.limit",
        "system.filesystem.inodes.usage", "system.disk.io", "system.disk.operations", "system.disk.io_time",
        "system.network.io", "system.network.packets", "system.network.errors", "system.network.dropped",
        "system.network.connections", "system.processes.count", "system.uptime", "system.thread.count",
        "container.cpu.time", "container.memory.usage", "container.memory.limit", "container.network.io",
        "container.disk.io", "container.restarts", "container.uptime", "process.count",
    ];

    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);

    public static bool IsRatio(string name) => Ratios.Contains(name, StringComparer.Ordinal) || name.EndsWith(".utilization", StringComparison.Ordinal);

    public bool IsKnown(string name) =>
        IsRatio(name) || Others.Contains(name, StringComparer.Ordinal) || _seen.ContainsKey(name);

    public void Observe(string name)
    {
        if (!_seen.ContainsKey(name))
        {
            _seen.TryAdd(name, 0);
        }
    }

    public IReadOnlyCollection<string> Names =>
        Ratios.Concat(Others).Concat(_seen.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
}
