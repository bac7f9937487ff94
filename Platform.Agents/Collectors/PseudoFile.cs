using System.Text;

namespace Platform.Agents.Collectors;

/// <summary>
/// Reads small /proc, /sys and cgroup files into a string through one reused buffer per thread: a tick reads
/// a dozen of them, and <see cref="File.ReadAllText(string)"/> would allocate a stream, a reader and their
/// buffers for each. (Pseudo-files report size 0, so they are read until end of file.)
/// </summary>
internal static class PseudoFile
{
    [ThreadStatic]
    private static byte[]? t_buffer;

    /// <exception cref="IOException">Missing or unreadable (FileNotFoundException, DirectoryNotFoundException, ...).</exception>
    /// <exception cref="UnauthorizedAccessException">Not permitted.</exception>
    public static string ReadAllText(string path)
    {
        var buffer = t_buffer ??= new byte[16 * 1024];
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
                t_buffer = buffer;
            }

            var n = RandomAccess.Read(handle, buffer.AsSpan(length), length);
            if (n == 0)
            {
                break;
            }

            length += n;
        }

        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}
