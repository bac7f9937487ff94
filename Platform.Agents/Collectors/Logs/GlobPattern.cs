using System.IO.Enumeration;

namespace Platform.Agents.Collectors.Logs;

/// <summary>
/// Log path patterns: an absolute path whose segments may hold <c>*</c> and <c>?</c> (within one segment)
/// or be <c>**</c> (any number of directories).
/// </summary>
internal static class GlobPattern
{
    private static readonly char[] Wildcards = ['*', '?'];

    /// <summary>Null when the pattern is usable, else why not (relative, unreadable directory, unreadable file).</summary>
    public static string? Check(string pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return "empty";
        }

        if (!Path.IsPathRooted(pattern))
        {
            return "must be an absolute path";
        }

        var (baseDirectory, rest) = Split(pattern);
        if (rest.Length == 0)
        {
            // A plain file: it may appear later, but its directory must be there and, if it exists, it must be readable.
            var directory = Path.GetDirectoryName(pattern);
            if (directory is null || !Directory.Exists(directory))
            {
                return $"directory '{directory}' does not exist";
            }

            if (File.Exists(pattern))
            {
                try
                {
                    using var stream = new FileStream(pattern, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return $"not readable: {e.Message}";
                }
            }

            if (Directory.Exists(pattern))
            {
                return "is a directory (use a glob such as /dir/*.log)";
            }

            return null;
        }

        if (!Directory.Exists(baseDirectory))
        {
            return $"directory '{baseDirectory}' does not exist";
        }

        try
        {
            using var entries = Directory.EnumerateFileSystemEntries(baseDirectory).GetEnumerator();
            entries.MoveNext();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"directory '{baseDirectory}' is not readable: {e.Message}";
        }

        foreach (var segment in rest)
        {
            if (segment.Contains("**", StringComparison.Ordinal) && segment != "**")
            {
                return "'**' must be a whole path segment";
            }
        }

        return null;
    }

    /// <summary>The files matching <paramref name="pattern"/> now (unreadable directories are skipped).</summary>
    public static void Expand(string pattern, List<string> into)
    {
        var (baseDirectory, rest) = Split(pattern);
        if (rest.Length == 0)
        {
            if (File.Exists(pattern))
            {
                into.Add(pattern);
            }

            return;
        }

        Match(baseDirectory, rest, 0, into, 0);
    }

    private static void Match(string directory, string[] segments, int index, List<string> into, int depth)
    {
        if (depth > 32)
        {
            return;
        }

        var segment = segments[index];
        var last = index == segments.Length - 1;
        try
        {
            if (segment == "**")
            {
                if (!last)
                {
                    Match(directory, segments, index + 1, into, depth + 1); // zero directories
                }

                foreach (var sub in Directory.EnumerateDirectories(directory))
                {
                    Match(sub, segments, index, into, depth + 1);
                }

                return;
            }

            if (segment.IndexOfAny(Wildcards) < 0)
            {
                var path = Path.Join(directory, segment);
                if (last)
                {
                    if (File.Exists(path))
                    {
                        into.Add(path);
                    }
                }
                else if (Directory.Exists(path))
                {
                    Match(path, segments, index + 1, into, depth + 1);
                }

                return;
            }

            if (last)
            {
                foreach (var file in Directory.EnumerateFiles(directory))
                {
                    if (FileSystemName.MatchesSimpleExpression(segment, Path.GetFileName(file.AsSpan()), ignoreCase: false))
                    {
                        into.Add(file);
                    }
                }
            }
            else
            {
                foreach (var sub in Directory.EnumerateDirectories(directory))
                {
                    if (FileSystemName.MatchesSimpleExpression(segment, Path.GetFileName(sub.AsSpan()), ignoreCase: false))
                    {
                        Match(sub, segments, index + 1, into, depth + 1);
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A directory vanished or is unreadable now: nothing matches there this time.
        }
    }

    /// <summary>The directory before the first wildcard, and the segments from there on (empty when there is no wildcard).</summary>
    private static (string BaseDirectory, string[] Remaining) Split(string pattern)
    {
        var segments = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var first = Array.FindIndex(segments, s => s.IndexOfAny(Wildcards) >= 0);
        if (first < 0)
        {
            return (pattern, []);
        }

        var baseDirectory = "/" + string.Join('/', segments[..first]);
        return (baseDirectory, segments[first..]);
    }
}
