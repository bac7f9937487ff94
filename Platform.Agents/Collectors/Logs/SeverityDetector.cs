using Platform.Telemetry.V1;

namespace Platform.Agents.Collectors.Logs;

/// <summary>
/// Finds a line's severity from the common formats, looking at its first 256 characters:
/// a syslog priority (<c>&lt;3&gt;</c>), a klog/glog prefix (<c>E1125 10:00:00.000</c>), <c>level=error</c> (logfmt),
/// <c>"level":"error"</c> (JSON), and otherwise the first severity word (<c>[WARN]</c>, <c>ERROR:</c>, <c> info </c>).
/// </summary>
internal static class SeverityDetector
{
    private const int Window = 256;

    public static Severity Detect(ReadOnlySpan<char> line)
    {
        if (line.Length > Window)
        {
            line = line[..Window];
        }

        if (line.Length >= 3 && line[0] == '<')
        {
            var close = line.IndexOf('>');
            if (close is > 1 and <= 4 && int.TryParse(line[1..close], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var priority))
            {
                return (priority & 7) switch
                {
                    0 or 1 or 2 => Severity.Fatal,
                    3 => Severity.Error,
                    4 => Severity.Warn,
                    5 or 6 => Severity.Info,
                    _ => Severity.Debug,
                };
            }
        }

        if (line.Length >= 6 && line[0] is 'I' or 'W' or 'E' or 'F' && char.IsAsciiDigit(line[1]) && char.IsAsciiDigit(line[2])
            && char.IsAsciiDigit(line[3]) && char.IsAsciiDigit(line[4]) && line[5] == ' ')
        {
            return line[0] switch
            {
                'I' => Severity.Info,
                'W' => Severity.Warn,
                'E' => Severity.Error,
                _ => Severity.Fatal,
            };
        }

        // The first word that names a severity wins ("level=error", "\"level\":\"warn\"", "[ERROR]", "INFO:").
        var i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && !char.IsAsciiLetter(line[i]))
            {
                i++;
            }

            var start = i;
            while (i < line.Length && char.IsAsciiLetter(line[i]))
            {
                i++;
            }

            var word = line[start..i];
            if (word.Length is >= 3 and <= 8)
            {
                var severity = FromWord(word);
                if (severity != Severity.Unspecified)
                {
                    return severity;
                }
            }
        }

        return Severity.Unspecified;
    }

    internal static Severity FromWord(ReadOnlySpan<char> word)
    {
        Span<char> upper = stackalloc char[8];
        var n = word.ToUpperInvariant(upper);
        return upper[..n] switch
        {
            "TRACE" or "TRC" => Severity.Trace,
            "DEBUG" or "DBG" => Severity.Debug,
            "INFO" or "INF" or "NOTICE" => Severity.Info,
            "WARN" or "WARNING" or "WRN" => Severity.Warn,
            "ERROR" or "ERR" or "EROR" => Severity.Error,
            "FATAL" or "FTL" or "CRITICAL" or "CRIT" or "PANIC" or "EMERG" or "ALERT" => Severity.Fatal,
            _ => Severity.Unspecified,
        };
    }
}
