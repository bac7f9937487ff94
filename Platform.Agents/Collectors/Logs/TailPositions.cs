using System.Globalization;
using System.Text;

namespace Platform.Agents.Collectors.Logs;

/// <summary>
/// Where each tailed file was read up to, saved in <c>log-positions</c> in the state directory after the
/// lines before it are in the spool. Text, version 1: a first line <c>platform-agent log positions v1</c>,
/// then one line per file: <c>DEVICE INODE OFFSET PATH</c> (decimal numbers; the path is the rest of the line).
/// Replaced atomically (temporary file, then rename).
/// </summary>
internal static class TailPositions
{
    private const string Header = "platform-agent log positions v1";

    public static Dictionary<FileIdentity, long> Load(string path)
    {
        var result = new Dictionary<FileIdentity, long>();
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (FileNotFoundException)
        {
            return result;
        }

        if (lines.Length == 0 || lines[0] != Header)
        {
            return result; // unknown or corrupt: start as on a first run
        }

        foreach (var line in lines.AsSpan(1))
        {
            var parts = line.Split(' ', 4);
            if (parts.Length >= 3
                && ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var device)
                && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var inode)
                && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                result[new FileIdentity(device, inode)] = offset;
            }
        }

        return result;
    }

    public static void Save(string path, IReadOnlyList<(FileIdentity Id, long Offset, string Path)> positions)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var (id, offset, filePath) in positions)
        {
            text.Append(CultureInfo.InvariantCulture, $"{id.Device} {id.Inode} {offset} {filePath.Replace('\n', '?')}\n");
        }

        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text.ToString());
        File.Move(temporary, path, overwrite: true);
    }
}
