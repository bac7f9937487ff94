namespace Platform.Dashboard.Services;

/// <summary>What a series means to the dashboard beyond its ring: which key number or container field it feeds.</summary>
public enum SeriesRole
{
    /// <summary>Drawn only.</summary>
    Other,

    /// <summary>CPU utilization without labels: the whole host.</summary>
    CpuTotal,

    /// <summary>CPU utilization of one core (a <c>cpu</c> label, no <c>state</c>).</summary>
    CpuCore,

    /// <summary>CPU utilization in the <c>idle</c> state.</summary>
    CpuIdle,

    /// <summary>CPU utilization in the <c>wait</c> state (neither busy nor idle).</summary>
    CpuWait,

    /// <summary>CPU utilization in any other state (busy).</summary>
    CpuBusy,

    /// <summary>Memory utilization of the used state (or without a state).</summary>
    MemoryUtilization,

    /// <summary>Memory usage in bytes of the used state (or without a state).</summary>
    MemoryUsed,

    /// <summary>Filesystem utilization of the used state (or without a state).</summary>
    FilesystemUtilization,

    /// <summary>The 1-minute load average.</summary>
    Load1,

    /// <summary>A container's CPU utilization.</summary>
    ContainerCpu,

    /// <summary>A container's memory usage.</summary>
    ContainerMemory,

    /// <summary>A container's memory limit.</summary>
    ContainerMemoryLimit,
}
