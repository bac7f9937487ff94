using Platform.Telemetry.V1;

namespace Platform.Dashboard.Services;

/// <summary>
/// The filters of the Logs page and of <c>GET /api/logs</c>, one definition for both: host, source and text
/// (case-insensitive substrings; the API's host is exact), a minimum severity and a log rule's pattern.
/// </summary>
public sealed record LogFilter(string? Host = null, string? Source = null, Severity MinSeverity = Severity.Unspecified, string? Text = null, LogPattern? Pattern = null, bool ExactHost = false)
{
    public bool Pass(LogLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return (string.IsNullOrEmpty(Host) || (ExactHost ? line.HostId == Host : line.HostId.Contains(Host, StringComparison.OrdinalIgnoreCase)))
            && (string.IsNullOrEmpty(Source) || line.Source.Contains(Source, StringComparison.OrdinalIgnoreCase))
            && line.Severity >= MinSeverity
            && (string.IsNullOrEmpty(Text) || line.Message.Contains(Text, StringComparison.OrdinalIgnoreCase))
            && (Pattern is null || Pattern.IsMatch(line.Message));
    }

    /// <summary>Reads a severity name as the page shows it (trace, debug, info, warn, error, fatal; any = every line).</summary>
    public static bool TryParseSeverity(string? name, out Severity severity)
    {
        severity = Severity.Unspecified;
        if (string.IsNullOrEmpty(name) || name.Equals("any", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return Enum.TryParse(name, ignoreCase: true, out severity) && Enum.IsDefined(severity) && !int.TryParse(name, out _);
    }
}
