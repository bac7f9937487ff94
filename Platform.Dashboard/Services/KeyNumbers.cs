namespace Platform.Dashboard.Services;

/// <summary>The numbers shown for a host at a glance; null where the host does not report them.</summary>
/// <param name="Cpu">CPU utilization, 0..1.</param>
/// <param name="Memory">Used memory, 0..1.</param>
/// <param name="Filesystem">The fullest filesystem, 0..1.</param>
/// <param name="Load1">The 1-minute load average.</param>
public sealed record KeyNumbers(double? Cpu, double? Memory, double? Filesystem, double? Load1)
{
    public static readonly KeyNumbers None = new(null, null, null, null);
}
