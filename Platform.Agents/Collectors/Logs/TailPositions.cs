using System.Globalization;
using System.Text;

namespace Platform.Agents.Collectors.Logs;

/// <summary>
/// Where each tailed file was read up to, saved in <c>log-positions</c> in the state directory after the
/// lines before it are in the spool. Text, version 2: a first line <c>platform-agent log positions v2</c>,
/// then one line per file: <c>DEVICE INODE OFFSET FPLEN FPCRC PATH</c> (decimal numbers; the path is the rest
/// of the line). <c>FPCRC</c> is the CRC-32C of the file's first <c>FPLEN</c> bytes (at most
/// <see cref="LogTailer.FingerprintBytes"/>, never past OFFSET): a restart that finds other bytes there knows the
/// file was truncated and rewritten (copytruncate) while the agent was stopped. Version 1 files
/// (<c>DEVICE INODE OFFSET PATH</c>, no fingerprint) are still read. Replaced atomically (temporary file, then rename).
/// </summary>
internal static class TailPositions
{
    private const string HeaderV1 = "platform-agent log positions v1";
    private const string HeaderV2 = "platform-agent log positions v2";

    public static Dictionary<FileIdentity, SavedPosition> Load(string path)
    {
        var result = new Dictionary<FileIdentity, SavedPosition>();
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return result;
        }

        var lines = text.Split('\n');
        var version = lines[0] == HeaderV2 ? 2 : lines[0] == HeaderV1 ? 1 : 0;
        if (version == 0)
        {
            return result; // unknown or corrupt: start as on a first run
        }

        foreach (var line in lines.AsSpan(1))
        {
            var parts = line.Split(' ', version == 2 ? 6 : 4);
            if (parts.Length < (version == 2 ? 6 : 4)
                || !ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var device)
                || !ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var inode)
                || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                continue;
            }

            if (version == 1)
            {
                result[new FileIdentity(device, inode)] = new SavedPosition(offset, parts[3], 0, 0);
            }
            else if (int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var fingerprintLength)
                && uint.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var fingerprint))
            {
                result[new FileIdentity(device, inode)] = new SavedPosition(offset, parts[5], fingerprintLength, fingerprint);
            }
        }

        return result;
    }

    public static void Save(string path, IReadOnlyList<(FileIdentity Id, SavedPosition Position)> positions)
    {
        var text = new StringBuilder(HeaderV2).Append('\n');
        foreach (var (id, position) in positions)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{id.Device} {id.Inode} {position.Offset} {position.FingerprintLength} {position.Fingerprint} {position.Path.Replace('\n', '?')}\n");
        }

        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text.ToString());
        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>A saved position: the first byte not yet emitted, the file's path then, and the fingerprint of its first bytes.</summary>
internal readonly record struct SavedPosition(long Offset, string Path, int FingerprintLength, uint Fingerprint);
