using Platform.Telemetry.Decoding;

namespace Platform.Dashboard.Services;

/// <summary>
/// What the dashboard needs to know of one series, worked out once when the series is first met
/// (<see cref="SeriesCatalog"/>) rather than for every sample: its key, unit and the unit of its rate, its
/// <see cref="SeriesRole"/>, and for a per-state CPU series its core, for a container series the container.
/// </summary>
public sealed class SeriesClass
{
    internal SeriesClass(SeriesKey key, string unit, SeriesRole role, string? cpu, string? containerName, string? containerId)
    {
        Key = key;
        Unit = unit;
        RateUnit = unit + "/s";
        Role = role;
        Cpu = cpu;
        ContainerName = containerName;
        ContainerId = containerId;
    }

    public SeriesKey Key { get; }

    public string Unit { get; }

    /// <summary>The unit of the per-second rate a counter of this series becomes ("By" → "By/s").</summary>
    public string RateUnit { get; }

    public SeriesRole Role { get; }

    /// <summary>The <c>cpu</c> label of a per-state CPU series (empty when it has none), else null.</summary>
    public string? Cpu { get; }

    /// <summary>The container a container series belongs to (its name, else its id), else null.</summary>
    public string? ContainerName { get; }

    public string? ContainerId { get; }

    /// <summary>Classifies one series.</summary>
    public static SeriesClass Of(SeriesDescriptor series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var key = SeriesKey.FromCanonical(series.Name, series.Labels, series.Key);
        var state = series.Label("state");
        var usedState = state is null or "used";
        string? cpu = null, containerName = null, containerId = null;
        var role = SeriesRole.Other;
        switch (series.Name)
        {
            case SeriesNames.CpuUtilization:
                var core = series.Label("cpu");
                if (state is null)
                {
                    role = core is null ? SeriesRole.CpuTotal : SeriesRole.CpuCore;
                }
                else
                {
                    cpu = core ?? string.Empty;
                    role = state switch { "idle" => SeriesRole.CpuIdle, "wait" => SeriesRole.CpuWait, _ => SeriesRole.CpuBusy };
                }

                break;
            case SeriesNames.MemoryUtilization when usedState:
                role = SeriesRole.MemoryUtilization;
                break;
            case SeriesNames.MemoryUsage when usedState:
                role = SeriesRole.MemoryUsed;
                break;
            case SeriesNames.FilesystemUtilization when usedState:
                role = SeriesRole.FilesystemUtilization;
                break;
            case SeriesNames.Load1:
                role = SeriesRole.Load1;
                break;
            case SeriesNames.ContainerCpu or SeriesNames.ContainerMemory or SeriesNames.ContainerMemoryLimit:
                containerId = series.Label(SeriesNames.ContainerIdLabel);
                containerName = series.Label(SeriesNames.ContainerNameLabel) ?? containerId;
                if (containerName is not null)
                {
                    role = series.Name switch
                    {
                        SeriesNames.ContainerCpu => SeriesRole.ContainerCpu,
                        SeriesNames.ContainerMemory => SeriesRole.ContainerMemory,
                        _ => SeriesRole.ContainerMemoryLimit,
                    };
                }

                break;
        }

        return new SeriesClass(key, series.Unit, role, cpu, containerName, containerId);
    }

    /// <summary>A series the dashboard derives (whole-host CPU, used memory, fullest filesystem).</summary>
    internal static SeriesClass Derived(string name) => new(SeriesKey.Create(name), "1", SeriesRole.Other, null, null, null);
}
