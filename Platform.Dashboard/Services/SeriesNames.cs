namespace Platform.Dashboard.Services;

/// <summary>
/// The metric names the dashboard draws (OpenTelemetry semantic conventions, as the agents publish them)
/// and the series it derives from them.
/// </summary>
public static class SeriesNames
{
    public const string CpuUtilization = "system.cpu.utilization";
    public const string MemoryUtilization = "system.memory.utilization";
    public const string MemoryUsage = "system.memory.usage";
    public const string FilesystemUtilization = "system.filesystem.utilization";
    public const string DiskIo = "system.disk.io";
    public const string NetworkIo = "system.network.io";
    public const string Load1 = "system.cpu.load_average.1m";
    public const string Load5 = "system.cpu.load_average.5m";
    public const string Load15 = "system.cpu.load_average.15m";
    public const string ContainerCpu = "container.cpu.utilization";
    public const string ContainerMemory = "container.memory.usage";
    public const string ContainerMemoryLimit = "container.memory.limit";

    /// <summary>Derived: the host's whole CPU utilization (0..1), whatever the per-CPU or per-state breakdown.</summary>
    public const string HostCpu = "host.cpu.utilization";

    /// <summary>Derived: the host's used memory ratio (0..1).</summary>
    public const string HostMemory = "host.memory.utilization";

    /// <summary>Derived: the fullest filesystem's utilization (0..1).</summary>
    public const string HostFilesystem = "host.filesystem.utilization";

    /// <summary>The label that names a container.</summary>
    public const string ContainerNameLabel = "container.name";

    /// <summary>The label that identifies a container.</summary>
    public const string ContainerIdLabel = "container.id";
}
