using System.Globalization;

namespace Platform.Dashboard.Services;

/// <summary><c>GET /api/logs</c>: the lines of a time range read back from the <c>logs</c> topic, filtered by host, source,
/// minimum severity, text and a log rule's pattern — the Logs page's filters (<see cref="LogFilter"/>), as the page shows
/// them when it opens from a log-rule alert.</summary>
public static class LogsEndpoint
{
    /// <summary>The most lines one answer holds (the newest of the range).</summary>
    public const int MaxLimit = 2000;

    public static IEndpointRouteBuilder MapLogsApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/api/logs", async (long? from, long? to, string? host, string? source, string? severity, string? text, string? pattern, bool? regex, bool? icase, int? limit,
                LogHistoryReader reader, CancellationToken ct) =>
            {
                var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
                if (from is null)
                {
                    errors["from"] = ["required: the range's start in Unix milliseconds"];
                }

                if (to is null)
                {
                    errors["to"] = ["required: the range's end in Unix milliseconds"];
                }
                else if (from is not null && to <= from)
                {
                    errors["to"] = ["must be after from"];
                }

                if (limit is < 1 or > MaxLimit)
                {
                    errors["limit"] = [$"must be 1..{MaxLimit.ToString(CultureInfo.InvariantCulture)}"];
                }

                LogPattern? match = null;
                if (!string.IsNullOrEmpty(pattern))
                {
                    try
                    {
                        match = new LogPattern(pattern, regex == true, icase == true);
                    }
                    catch (ArgumentException e)
                    {
                        errors["pattern"] = [$"bad regular expression: {e.Message}"];
                    }
                }

                if (!LogFilter.TryParseSeverity(severity, out var minSeverity))
                {
                    errors["severity"] = ["one of any, trace, debug, info, warn, error, fatal"];
                }

                if (errors.Count > 0)
                {
                    return Results.ValidationProblem(errors, title: "The log query is invalid");
                }

                var history = await reader.ReadAsync(DateTimeOffset.FromUnixTimeMilliseconds(from!.Value), DateTimeOffset.FromUnixTimeMilliseconds(to!.Value),
                    new LogFilter(host, source, minSeverity, text, match, ExactHost: true).Pass, ct, host);
                var lines = history.Lines.TakeLast(limit ?? MaxLimit).Select(l => new
                {
                    host = l.HostId,
                    at = l.At,
                    source = l.Source,
                    severity = l.Severity.ToString().ToLowerInvariant(),
                    message = l.Message,
                    matches = match?.Split(l.Message).Where(p => p.Match).Select(p => p.Part).ToArray(),
                });
                return Results.Ok(new { lines, truncated = history.Truncated || history.Lines.Count > (limit ?? MaxLimit) });
            })
            .RequireAuthorization(Platform.Alerting.Security.PlatformPolicies.View).WithTags("Logs").WithSummary("Log lines of a time range read back from the logs topic, by host, source, minimum severity, text and pattern");
        return endpoints;
    }
}
