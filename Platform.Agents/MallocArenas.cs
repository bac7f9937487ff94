using System.Runtime.InteropServices;

namespace Platform.Agents;

/// <summary>
/// Caps glibc's malloc arenas for the agent process. glibc gives threads their own arena (up to 8 per core)
/// and every arena keeps freed memory resident; librdkafka's threads (main, one per broker, internal) each
/// take one, about 1.8 MiB together for the agent's small allocations. Two arenas are plenty for its load.
/// Looked up at run time, so on a C library without <c>mallopt</c> (musl) it does nothing.
/// </summary>
internal static class MallocArenas
{
    /// <summary>The arenas kept; also set as MALLOC_ARENA_MAX in the systemd unit for threads started before Main.</summary>
    internal const int Max = 2;

    /// <summary>glibc's <c>M_ARENA_MAX</c> parameter of <c>mallopt(3)</c>.</summary>
    private const int MArenaMax = -8;

    /// <summary>Applies the cap unless MALLOC_ARENA_MAX is set (the operator's choice wins).</summary>
    /// <returns>True when glibc took the setting.</returns>
    public static unsafe bool Limit()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is { Length: > 0 })
        {
            return false;
        }

        if (!NativeLibrary.TryLoad("libc.so.6", out var libc))
        {
            return false;
        }

        if (!NativeLibrary.TryGetExport(libc, "mallopt", out var mallopt))
        {
            return false;
        }

        return ((delegate* unmanaged<int, int, int>)mallopt)(MArenaMax, Max) == 1;
    }
}
