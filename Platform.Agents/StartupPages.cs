using System.Globalization;
using System.Runtime.InteropServices;

namespace Platform.Agents;

/// <summary>
/// Hands back the pages of the agent's own files that only start-up touched. The kernel maps file pages
/// 64 KiB at a time around every first touch (fault-around), so starting the runtime, binding librdkafka
/// (Confluent.Kafka reflects over ~200 native functions) and initialising librdkafka leave ~10 MiB of the
/// binary and the library resident, though a tick needs about half of it. <c>madvise(MADV_PAGEOUT)</c> on
/// the read-only mappings of the executable and of the files under its directory reclaims what only this process
/// maps; a page needed again is read back on its next touch. Only the <c>run</c> command enables it (an
/// embedding process keeps its pages); Linux 5.4 or later, otherwise a no-op.
/// </summary>
internal static partial class StartupPages
{
    /// <summary><c>MADV_PAGEOUT</c> of <c>madvise(2)</c>: reclaim the range now.</summary>
    private const int MadvPageout = 21;

    private static volatile bool s_enabled;

    /// <summary>Whether <see cref="Release"/> does anything; set once by the <c>run</c> command.</summary>
    public static bool Enabled
    {
        get => s_enabled;
        set => s_enabled = value && OperatingSystem.IsLinux();
    }

    private static long s_advisedBytes;

    /// <summary>Bytes of address space advised so far (mapping sizes, not pages reclaimed).</summary>
    public static long AdvisedBytes => Interlocked.Read(ref s_advisedBytes);

    /// <summary>
    /// Reclaims the resident pages of the executable's and its libraries' read-only mappings, then runs an
    /// aggressive full collection so the managed heap also returns what start-up allocated (after the pages are
    /// handed back: compacting briefly commits new regions).
    /// </summary>
    /// <returns>The number of mappings advised.</returns>
    public static int Release()
    {
        if (!s_enabled)
        {
            return 0;
        }

        var advised = 0;
        var executable = Environment.ProcessPath;
        var directory = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory);
        foreach (var line in ReadMaps())
        {
            if (!TryParse(line, out var start, out var end, out var perms, out var path)
                || perms.Contains('w', StringComparison.Ordinal)
                || !IsOwnFile(path, executable, directory))
            {
                continue;
            }

            if (Native.Madvise((nint)start, (nuint)(end - start), MadvPageout) != 0)
            {
                // EINVAL: a kernel before 5.4. Nothing to gain from trying again.
                s_enabled = false;
                break;
            }

            Interlocked.Add(ref s_advisedBytes, (long)(end - start));
            advised++;
        }

        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return advised;
    }

    /// <summary>Parses one line of /proc/PID/maps: <c>start-end perms offset dev inode [path]</c>.</summary>
    internal static bool TryParse(string line, out ulong start, out ulong end, out string perms, out string path)
    {
        start = end = 0;
        perms = path = "";
        var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 6)
        {
            return false;
        }

        var dash = parts[0].IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0
            || !ulong.TryParse(parts[0].AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out start)
            || !ulong.TryParse(parts[0].AsSpan(dash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out end)
            || end <= start)
        {
            return false;
        }

        perms = parts[1];
        path = parts[5].Trim();
        return path.StartsWith('/');
    }

    private static string[] ReadMaps()
    {
        try
        {
            return File.ReadAllLines("/proc/self/maps");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The executable, or a file at or under its directory (librdkafka is in runtimes/RID/native when not published).</summary>
    private static bool IsOwnFile(string path, string? executable, string directory) =>
        string.Equals(path, executable, StringComparison.Ordinal)
        || (path.Length > directory.Length + 1 && path[directory.Length] == '/' && path.StartsWith(directory, StringComparison.Ordinal));

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
        internal static partial int Madvise(nint address, nuint length, int advice);
    }
}
