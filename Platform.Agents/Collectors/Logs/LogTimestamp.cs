using System.Globalization;

namespace Platform.Agents.Collectors.Logs;

/// <summary>Reads an ISO 8601 / RFC 3339 timestamp at the start of a line ("2026-11-25T10:00:00.123Z", "2026-11-25 10:00:00,123").</summary>
internal static class LogTimestamp
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mm:ssK",
        "yyyy-MM-dd HH:mm:ss,FFFFFFFK",
        "yyyy-MM-dd'T'HH:mm:ss,FFFFFFFK",
    ];

    /// <summary>Milliseconds since the epoch of the line's leading timestamp (UTC when it has no offset).</summary>
    public static bool TryParseLeading(string line, out long unixMs)
    {
        unixMs = 0;
        if (line.Length < 19 || !char.IsAsciiDigit(line[0]) || line[4] != '-' || line[7] != '-')
        {
            return false;
        }

        // The timestamp ends at the first space after the time part (position 19 at the earliest).
        var end = line.IndexOf(' ', 19);
        var candidate = (end < 0 ? line : line[..end]).TrimEnd(']', ':');
        if (DateTimeOffset.TryParseExact(candidate, Formats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var timestamp))
        {
            unixMs = timestamp.ToUnixTimeMilliseconds();
            return true;
        }

        return false;
    }
}
