using System.Globalization;

namespace Platform.Agents.Collectors.Logs;

/// <summary>
/// Reads an ISO 8601 / RFC 3339 timestamp at the start of a line ("2026-11-25T10:00:00.123Z",
/// "2026-11-25 10:00:00,123+01:00", "2026-11-25 10:00:00"). A time without a zone or offset is the host's
/// local time (what a program writing local times on this host means), converted to UTC.
/// </summary>
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

    /// <summary>Milliseconds since the epoch of the line's leading timestamp (in the host's time zone when it has no offset).</summary>
    public static bool TryParseLeading(string line, out long unixMs) => TryParseLeading(line, TimeZoneInfo.Local, out unixMs);

    /// <summary>As <see cref="TryParseLeading(string, out long)"/>, with <paramref name="zone"/> for times without an offset.</summary>
    public static bool TryParseLeading(string line, TimeZoneInfo zone, out long unixMs)
    {
        unixMs = 0;
        if (line.Length < 19 || !char.IsAsciiDigit(line[0]) || line[4] != '-' || line[7] != '-')
        {
            return false;
        }

        // The timestamp ends at the first space after the time part (position 19 at the earliest).
        var end = line.IndexOf(' ', 19);
        var candidate = (end < 0 ? line.AsSpan() : line.AsSpan(0, end)).TrimEnd("]:"); // a span: no string per line
        if (!DateTimeOffset.TryParseExact(candidate, Formats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var timestamp))
        {
            return false;
        }

        if (HasOffset(candidate))
        {
            unixMs = timestamp.ToUnixTimeMilliseconds();
            return true;
        }

        // No offset: the wall-clock time in the host's zone (an ambiguous or skipped time takes the standard offset).
        var local = DateTime.SpecifyKind(timestamp.DateTime, DateTimeKind.Unspecified);
        var offset = zone.IsInvalidTime(local) ? zone.BaseUtcOffset : zone.GetUtcOffset(local);
        unixMs = new DateTimeOffset(local, offset).ToUnixTimeMilliseconds();
        return true;
    }

    /// <summary>"Z" or "+hh:mm"/"-hh:mm" after the time part (position 19 on).</summary>
    private static bool HasOffset(ReadOnlySpan<char> candidate)
    {
        if (candidate.EndsWith('Z') || candidate.EndsWith('z'))
        {
            return true;
        }

        return candidate[19..].IndexOfAny('+', '-') >= 0;
    }
}
