namespace Platform.Telemetry;

/// <summary>
/// The metric names the agent writes into <see cref="V1.Sample.Name"/>, after the OpenTelemetry semantic
/// conventions, with the unit (UCUM, as OpenTelemetry) each one carries in <see cref="V1.Sample.Unit"/>.
/// Counters (<see cref="V1.MetricKind.Counter"/>) are totals since an unspecified start: compute rates
/// from successive samples. Label names are in <see cref="LabelNames"/>.
/// </summary>
public static class MetricNames
{
    // Host: CPU.
    /// <summary>Gauge, unit "1": busy fraction (0..1) of the interval, per core (label cpu) and in total (no cpu label).</summary>
    public const string CpuUtilization = "system.cpu.utilization";
    /// <summary>Counter, unit "s": CPU time of the whole host per state (label state; no cpu label).</summary>
    public const string CpuTime = "system.cpu.time";
    /// <summary>Gauge, unit "1": logical CPUs online (OpenTelemetry writes "{cpu}"; the unit is part of a series' identity, so it stays "1").</summary>
    public const string CpuLogicalCount = "system.cpu.logical.count";
    /// <summary>Gauge, unit "Hz": current frequency per core (label cpu), from /sys when the kernel exposes it.</summary>
    public const string CpuFrequency = "system.cpu.frequency";
    /// <summary>Gauge, unit "1": load average over 1 minute (OpenTelemetry writes "{thread}"; kept "1", see <see cref="CpuLogicalCount"/>).</summary>
    public const string LoadAverage1m = "system.cpu.load_average.1m";
    /// <summary>Gauge, unit "1": load average over 5 minutes.</summary>
    public const string LoadAverage5m = "system.cpu.load_average.5m";
    /// <summary>Gauge, unit "1": load average over 15 minutes.</summary>
    public const string LoadAverage15m = "system.cpu.load_average.15m";

    // Host: memory and swap.
    /// <summary>Gauge, unit "By": memory by state (label state = used | free | buffers | cached); used = MemTotal − MemAvailable.</summary>
    public const string MemoryUsage = "system.memory.usage";
    /// <summary>Gauge, unit "By": total memory (MemTotal).</summary>
    public const string MemoryLimit = "system.memory.limit";
    /// <summary>Gauge, unit "1": used / total.</summary>
    public const string MemoryUtilization = "system.memory.utilization";
    /// <summary>Gauge, unit "By": swap by state (label state = used | free).</summary>
    public const string PagingUsage = "system.paging.usage";
    /// <summary>Gauge, unit "1": swap used / swap total (absent when there is no swap).</summary>
    public const string PagingUtilization = "system.paging.utilization";

    // Host: filesystems, disks, network.
    /// <summary>Gauge, unit "By": per mount (labels device, mountpoint, type, state = used | free | reserved).</summary>
    public const string FilesystemUsage = "system.filesystem.usage";
    /// <summary>Gauge, unit "1": used / (used + available to unprivileged users), as df reports it.</summary>
    public const string FilesystemUtilization = "system.filesystem.utilization";
    /// <summary>Counter, unit "By": bytes per disk (labels device, direction = read | write).</summary>
    public const string DiskIo = "system.disk.io";
    /// <summary>Counter, unit "{operation}": completed operations per disk (labels device, direction).</summary>
    public const string DiskOperations = "system.disk.operations";
    /// <summary>Counter, unit "s": time the disk was busy (label device).</summary>
    public const string DiskIoTime = "system.disk.io_time";
    /// <summary>Counter, unit "By": bytes per interface (labels device, direction = receive | transmit).</summary>
    public const string NetworkIo = "system.network.io";
    /// <summary>Counter, unit "{packet}": packets per interface (labels device, direction).</summary>
    public const string NetworkPackets = "system.network.packets";
    /// <summary>Counter, unit "{error}": errors per interface (labels device, direction).</summary>
    public const string NetworkErrors = "system.network.errors";
    /// <summary>Counter, unit "{packet}": dropped packets per interface (labels device, direction).</summary>
    public const string NetworkDropped = "system.network.dropped";

    // Host: uptime, processes, pressure.
    /// <summary>Gauge, unit "s": seconds since boot.</summary>
    public const string Uptime = "system.uptime";
    /// <summary>Gauge, unit "{process}": all processes (threads excluded): the numeric directories of /proc.</summary>
    public const string ProcessCount = "system.process.count";
    /// <summary>Gauge, unit "{process}": processes by status (label status = running | blocked).</summary>
    public const string ProcessesByStatus = "system.processes.count";
    /// <summary>Gauge, unit "%": PSI stall average (labels resource = cpu | memory | io, type = some | full, window = 10s | 60s | 300s).</summary>
    public const string PressureAverage = "system.pressure.avg";
    /// <summary>Counter, unit "s": PSI total stall time (labels resource, type).</summary>
    public const string PressureStallTime = "system.pressure.stall_time";

    // Containers (label container.id, container.name).
    /// <summary>Gauge, unit "1": CPU seconds used per second divided by the host's CPU count (0..1 of the host).</summary>
    public const string ContainerCpuUtilization = "container.cpu.utilization";
    /// <summary>Counter, unit "s": CPU time (label state = user | system, or none for the total).</summary>
    public const string ContainerCpuTime = "container.cpu.time";
    /// <summary>Counter, unit "{period}": CFS enforcement periods.</summary>
    public const string ContainerCpuThrottlingPeriods = "container.cpu.throttling_data.periods";
    /// <summary>Counter, unit "{period}": periods in which the container was throttled.</summary>
    public const string ContainerCpuThrottledPeriods = "container.cpu.throttling_data.throttled_periods";
    /// <summary>Counter, unit "s": time the container was throttled.</summary>
    public const string ContainerCpuThrottledTime = "container.cpu.throttling_data.throttled_time";
    /// <summary>Gauge, unit "By": memory charged to the cgroup.</summary>
    public const string ContainerMemoryUsage = "container.memory.usage";
    /// <summary>Gauge, unit "By": usage minus inactive file cache (what the OOM killer looks at).</summary>
    public const string ContainerMemoryWorkingSet = "container.memory.working_set";
    /// <summary>Gauge, unit "By": the memory limit (absent when unlimited).</summary>
    public const string ContainerMemoryLimit = "container.memory.limit";
    /// <summary>Counter, unit "By": block IO bytes (label direction = read | write).</summary>
    public const string ContainerDiskIo = "container.disk.io";
    /// <summary>Gauge, unit "{process}": tasks in the cgroup.</summary>
    public const string ContainerPidsCount = "container.pids.count";
    /// <summary>Gauge, unit "{process}": task limit (absent when unlimited).</summary>
    public const string ContainerPidsLimit = "container.pids.limit";

    // The agent itself (also served on its optional /metrics port).
    /// <summary>Counter, unit "{record}": batches lost: never handed to the Kafka client before the spool's size bound deleted them, handed over but failed and deleted before they could be sent again, refused for good by the broker, or refused by a full spool queue.</summary>
    public const string AgentSpoolDropped = "platform.agent.spool.dropped";
    /// <summary>Gauge, unit "By": bytes waiting in the spool.</summary>
    public const string AgentSpoolBytes = "platform.agent.spool.usage";
    /// <summary>Counter, unit "{error}": collection errors (unreadable file, vanished container, failed scrape, a failed tick), one series per label collector = host | containers | logs | scrape | agent.</summary>
    public const string AgentCollectErrors = "platform.agent.collect.errors";
    /// <summary>Counter, unit "{error}": failed spool reads and commit-file writes (the publisher backs off and tries again).</summary>
    public const string AgentSpoolErrors = "platform.agent.spool.errors";
}

/// <summary>The label names the agent uses (OpenTelemetry attribute names where one exists).</summary>
public static class LabelNames
{
    public const string Cpu = "cpu";
    public const string State = "state";
    public const string Device = "device";
    public const string MountPoint = "mountpoint";
    public const string FilesystemType = "type";
    public const string Direction = "direction";
    public const string Status = "status";
    public const string Resource = "resource";
    public const string PressureType = "type";
    public const string Window = "window";
    public const string ContainerId = "container.id";
    public const string ContainerName = "container.name";
    public const string Collector = "collector";
    /// <summary>On forwarded Prometheus samples: the scraped endpoint (host:port).</summary>
    public const string Instance = "instance";
}
