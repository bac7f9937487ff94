using System.Globalization;
using Platform.Telemetry.V1;

namespace Platform.Agents.Collectors.Logs;

/// <summary>
/// Finds a line's severity, looking at its first 256 characters, in this order:
/// <list type="number">
/// <item>a syslog priority (<c>&lt;3&gt;</c>) or a klog/glog prefix (<c>E1125 10:00:00.000</c>);</item>
/// <item>a severity key and its value: <c>level=error</c>, <c>lvl=warn</c>, <c>severity=info</c>, <c>loglevel=debug</c>
/// (logfmt, also <c>key: value</c>), <c>"level":"error"</c> (JSON, also pino/bunyan numbers <c>"level":50</c>);</item>
/// <item>a severity word among the first six tokens, when it is in capitals, in brackets or ends with a colon
/// (<c>[warn]</c>, <c>ERROR</c>, <c>error:</c>, <c>2026-11-25 10:00:00 [main] FATAL</c>);</item>
/// <item>else an all-capitals severity word anywhere (<c>... failed: ERROR 42</c>), never a lower-case one:
/// <c>msg="no error"</c> or "user alert" says nothing about the line's own severity.</item>
/// </list>
/// </summary>
internal static class SeverityDetector
{
    private const int Window = 256;
    private const int LeadingTokens = 6;
    private static readonly string[] Keys = ["level", "lvl", "severity", "loglevel", "log.level"];

    public static Severity Detect(ReadOnlySpan<char> line)
    {
        if (line.Length > Window)
        {
            line = line[..Window];
        }

        if (line.Length >= 3 && line[0] == '<')
        {
            var close = line.IndexOf('>');
            if (close is > 1 and <= 4 && int.TryParse(line[1..close], NumberStyles.None, CultureInfo.InvariantCulture, out var priority))
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

        var keyed = FromKey(line);
        if (keyed != Severity.Unspecified)
        {
            return keyed;
        }

        // The first tokens: a level after a timestamp, a thread or a logger name ("[WARN]", "INFO:", "<date> <time> [main] FATAL").
        var i = 0;
        for (var token = 0; token < LeadingTokens && i < line.Length; token++)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i]))
            {
                i++;
            }

            var start = i;
            while (i < line.Length && !char.IsWhiteSpace(line[i]))
            {
                i++;
            }

            // Counted only when it looks like a level: in capitals, in brackets, or ending with ':' ("error: x").
            var raw = line[start..i];
            var word = raw.Trim("[]()<>|:,;-");
            if (word.Length == 0 || !(raw[0] is '[' or '(' or '<' || raw[^1] == ':' || !word.ContainsAnyExceptInRange('A', 'Z')))
            {
                continue;
            }

            // "alert" in lower case is a word of the message far more often than syslog's level ("user alert: ...").
            var severity = FromWord(word);
            if (severity != Severity.Unspecified && !(word.Equals("alert", StringComparison.OrdinalIgnoreCase) && word.ContainsAnyInRange('a', 'z')))
            {
                return severity;
            }
        }

        // Anywhere else only a word in capitals counts.
        i = 0;
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
            if (word.Length >= 4 && !word.ContainsAnyExceptInRange('A', 'Z'))
            {
                var severity = FromWord(word);
                if (severity != Severity.Unspecified && !word.SequenceEqual("ALERT") && !word.SequenceEqual("NOTICE"))
                {
                    return severity;
                }
            }
        }

        return Severity.Unspecified;
    }

    /// <summary>The value of a severity key (level=, lvl=, severity=, "level":...), or Unspecified.</summary>
    private static Severity FromKey(ReadOnlySpan<char> line)
    {
        foreach (var key in Keys)
        {
            var from = 0;
            while (from < line.Length)
            {
                var at = line[from..].IndexOf(key, StringComparison.OrdinalIgnoreCase);
                if (at < 0)
                {
                    break;
                }

                at += from;
                from = at + key.Length;

                // The key must be a whole word: at the start, or after a space, '{', ',' or a quote.
                if (at > 0 && line[at - 1] is not (' ' or '\t' or '{' or ',' or '"' or '\''))
                {
                    continue;
                }

                var j = at + key.Length;
                if (j < line.Length && line[j] is '"' or '\'')
                {
                    j++;
                }

                while (j < line.Length && line[j] == ' ')
                {
                    j++;
                }

                if (j >= line.Length || line[j] is not ('=' or ':'))
                {
                    continue;
                }

                j++;
                while (j < line.Length && line[j] is ' ' or '"' or '\'')
                {
                    j++;
                }

                var start = j;
                while (j < line.Length && (char.IsAsciiLetterOrDigit(line[j]) || line[j] == '_'))
                {
                    j++;
                }

                var value = line[start..j];
                var severity = value.Length > 0 && char.IsAsciiDigit(value[0]) ? FromNumber(value) : FromWord(value);
                if (severity != Severity.Unspecified)
                {
                    return severity;
                }
            }
        }

        return Severity.Unspecified;
    }

    /// <summary>pino / bunyan numeric levels: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal.</summary>
    private static Severity FromNumber(ReadOnlySpan<char> value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n switch
        {
            >= 60 => Severity.Fatal,
            >= 50 => Severity.Error,
            >= 40 => Severity.Warn,
            >= 30 => Severity.Info,
            >= 20 => Severity.Debug,
            >= 10 => Severity.Trace,
            _ => Severity.Unspecified,
        } : Severity.Unspecified;

    internal static Severity FromWord(ReadOnlySpan<char> word)
    {
        if (word.Length is < 3 or > 11)
        {
            return Severity.Unspecified;
        }

        Span<char> upper = stackalloc char[11];
        var n = word.ToUpperInvariant(upper);
        return upper[..n] switch
        {
            "TRACE" or "TRC" => Severity.Trace,
            "DEBUG" or "DBG" => Severity.Debug,
            "INFO" or "INF" or "NOTICE" or "INFORMATION" => Severity.Info,
            "WARN" or "WARNING" or "WRN" => Severity.Warn,
            "ERROR" or "ERR" or "EROR" => Severity.Error,
            "FATAL" or "FTL" or "CRITICAL" or "CRIT" or "PANIC" or "EMERG" or "EMERGENCY" or "ALERT" => Severity.Fatal,
            _ => Severity.Unspecified,
        };
    }
}
