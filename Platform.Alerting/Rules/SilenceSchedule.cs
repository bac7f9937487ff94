using System.Globalization;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Rules;

/// <summary>When a silence or maintenance window is in force, and what it covers: the rules alerting applies, public so
/// the dashboard shows exactly what alerting does.</summary>
public static class SilenceSchedule
{
    /// <summary>A one-off silence is active from StartsAt to EndsAt; a maintenance window (with a recurrence) only during
    /// its occurrences within that span.</summary>
    public static bool IsActive(Silence silence, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(silence);
        if (now < silence.StartsAt || now >= silence.EndsAt)
        {
            return false;
        }

        return silence.Recurrence is null || CurrentOccurrence(silence, silence.Recurrence, now) is not null;
    }

    /// <summary>When the silence is next in force after <paramref name="now"/> (now itself when it is active), or null
    /// when it never is again.</summary>
    public static DateTimeOffset? NextStart(Silence silence, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(silence);
        if (now >= silence.EndsAt)
        {
            return null;
        }

        if (silence.Recurrence is not { } r)
        {
            return now < silence.StartsAt ? silence.StartsAt : now;
        }

        if (IsActive(silence, now))
        {
            return now;
        }

        var (zone, start, _, days) = Parts(silence, r);
        var from = now < silence.StartsAt ? silence.StartsAt : now;
        var localDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, zone).DateTime);
        for (var d = 0; d <= 8; d++)
        {
            var day = localDay.AddDays(d);
            if (r.Frequency == RecurrenceFrequency.Weekly && !days.Contains(day.DayOfWeek))
            {
                continue;
            }

            var occurrence = Occurrence(day, start, zone);
            if (occurrence >= from && occurrence < silence.EndsAt)
            {
                return occurrence;
            }
        }

        return null;
    }

    /// <summary>True when every matcher accepts the labels (an absent label is the empty string).</summary>
    public static bool Matches(Silence silence, IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(silence);
        ArgumentNullException.ThrowIfNull(labels);
        return CompiledMatcher.MatchAll(CompiledMatcher.CompileAll(silence.Matchers), labels);
    }

    /// <summary>True when the silence's <c>host</c> matchers accept the host id: its alerts are covered, those of the
    /// rules and labels the other matchers name. A silence without a <c>host</c> matcher covers every host.</summary>
    public static bool CoversHost(Silence silence, string hostId)
    {
        ArgumentNullException.ThrowIfNull(silence);
        foreach (var m in silence.Matchers)
        {
            if (m.Name == "host" && !new CompiledMatcher(m).Matches(hostId))
            {
                return false;
            }
        }

        return true;
    }

    private static DateTimeOffset? CurrentOccurrence(Silence silence, Recurrence r, DateTimeOffset now)
    {
        var (zone, start, duration, days) = Parts(silence, r);
        var localToday = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var lookBack = (int)Math.Ceiling(duration.TotalDays) + 1;
        for (var d = 0; d <= lookBack; d++)
        {
            var day = localToday.AddDays(-d);
            if (r.Frequency == RecurrenceFrequency.Weekly && !days.Contains(day.DayOfWeek))
            {
                continue;
            }

            var occurrence = Occurrence(day, start, zone);
            if (occurrence <= now && now < occurrence + duration)
            {
                return occurrence;
            }
        }

        return null;
    }

    private static (TimeZoneInfo Zone, TimeOnly Start, TimeSpan Duration, IReadOnlyList<DayOfWeek> Days) Parts(Silence silence, Recurrence r)
    {
        var zone = r.TimeZone is { } id && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var z) ? z : TimeZoneInfo.Utc;
        var start = TimeOnly.ParseExact(r.StartTime, "HH:mm", CultureInfo.InvariantCulture);
        var days = r.DaysOfWeek.Count > 0 ? r.DaysOfWeek : [TimeZoneInfo.ConvertTime(silence.StartsAt, zone).DayOfWeek];
        return (zone, start, TimeSpan.FromSeconds(r.DurationSeconds), days);
    }

    private static DateTimeOffset Occurrence(DateOnly day, TimeOnly start, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(start);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}
