using System.Globalization;
using Platform.Alerting.Rules;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Tests.Rules;

public sealed class SilenceScheduleTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Silence Weekly(string matcherValue = "db-.*") => new()
    {
        Id = "w",
        Matchers = [new LabelMatcher { Name = "host", Op = MatchOperator.Regex, Value = matcherValue }, new LabelMatcher { Name = "alertname", Value = "HighCpu" }],
        StartsAt = Start,
        EndsAt = Start.AddYears(1),
        Recurrence = new Recurrence { Frequency = RecurrenceFrequency.Weekly, DaysOfWeek = [DayOfWeek.Sunday], StartTime = "02:00", DurationSeconds = 7200 },
    };

    [Theory]
    [InlineData("2026-03-02T10:00:00Z", "2026-03-08T02:00:00Z")] // Monday → next Sunday 02:00
    [InlineData("2026-03-01T02:30:00Z", "2026-03-01T02:30:00Z")] // inside an occurrence: now
    [InlineData("2026-03-01T04:00:00Z", "2026-03-08T02:00:00Z")] // just after one
    public void NextStart_IsTheNextWeeklyOccurrence_OrNowWhenActive(string now, string expected)
    {
        var next = SilenceSchedule.NextStart(Weekly(), DateTimeOffset.Parse(now, CultureInfo.InvariantCulture));
        Assert.Equal(DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture), next);
    }

    [Fact]
    public void NextStart_IsNull_AfterTheEnd_AndTheStart_ForAOneOffSilenceLaterOn()
    {
        Assert.Null(SilenceSchedule.NextStart(Weekly(), Start.AddYears(2)));
        var later = new Silence { Id = "s", Matchers = [new LabelMatcher { Name = "host", Value = "a" }], StartsAt = Start.AddDays(1), EndsAt = Start.AddDays(2) };
        Assert.Equal(Start.AddDays(1), SilenceSchedule.NextStart(later, Start));
        Assert.False(SilenceSchedule.IsActive(later, Start));
    }

    [Fact]
    public void CoversHost_LooksOnlyAtHostMatchers_AndMatchesNeedsEveryLabel()
    {
        var silence = Weekly();
        Assert.True(SilenceSchedule.CoversHost(silence, "db-1"));
        Assert.False(SilenceSchedule.CoversHost(silence, "web-1"));
        Assert.True(SilenceSchedule.Matches(silence, new Dictionary<string, string> { ["host"] = "db-1", ["alertname"] = "HighCpu" }));
        Assert.False(SilenceSchedule.Matches(silence, new Dictionary<string, string> { ["host"] = "db-1", ["alertname"] = "DiskFull" }));
        var everyHost = silence with { Matchers = [new LabelMatcher { Name = "alertname", Value = "HighCpu" }] };
        Assert.True(SilenceSchedule.CoversHost(everyHost, "anything"));
    }
}
