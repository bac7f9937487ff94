namespace Platform.Agents.Collectors.Host;

/// <summary>
/// Where the host's pseudo-filesystems are: the real ones by default, a recorded fixture tree in tests, or
/// the host's when the agent runs in a container with them mounted (e.g. /host/proc).
/// </summary>
/// <param name="Proc">The procfs root, default /proc.</param>
/// <param name="Sys">The sysfs root, default /sys.</param>
/// <param name="RootFs">The host's root filesystem: mount points listed in /proc/mounts are looked up under it
/// for their usage, and etc/os-release is read from it. Default "/".</param>
internal sealed record HostPaths(string Proc, string Sys, string RootFs)
{
    public static HostPaths Default { get; } = new("/proc", "/sys", "/");

    public string ProcFile(string relative) => Path.Join(Proc, relative);

    public string SysFile(string relative) => Path.Join(Sys, relative);

    public string RootFile(string relative) => Path.Join(RootFs, relative);
}
