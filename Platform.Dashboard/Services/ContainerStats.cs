namespace Platform.Dashboard.Services;

/// <summary>The latest numbers of one container on one host.</summary>
/// <remarks>Cpu: CPU utilization, 0..1 of the host.</remarks>
/// <remarks>MemoryBytes: Memory in use.</remarks>
/// <remarks>MemoryLimitBytes: The memory limit, when the container has one.</remarks>
public sealed record ContainerStats(string HostId, string Name, string? Id, double? Cpu, double? MemoryBytes, double? MemoryLimitBytes, long TimeUnixMs);
