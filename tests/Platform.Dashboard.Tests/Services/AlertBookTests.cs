using Platform.Dashboard.Services;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Tests.Services;

public class AlertBookTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static AlertTransition Alert(string fingerprint, string host, AlertState state, DateTimeOffset at, AlertSeverity severity = AlertSeverity.Warning) => new()
    {
        Fingerprint = fingerprint,
        RuleId = "r-" + fingerprint,
        RuleName = "Rule " + fingerprint,
        State = state,
        Event = AlertEvent.Transition,
        Severity = severity,
        Labels = new Dictionary<string, string> { ["host"] = host },
        At = at,
    };

    [Fact]
    public void WorstFiring_FollowsEachAlertsLatestState_PerHost()
    {
        var book = new AlertBook(new DashboardOptions(), new ManualClock(Start));
        book.ApplyAlert(Alert("a", "web-1", AlertState.Firing, Start));
        book.ApplyAlert(Alert("b", "web-1", AlertState.Firing, Start, AlertSeverity.Critical));
        book.ApplyAlert(Alert("c", "db-1", AlertState.Pending, Start, AlertSeverity.Critical));
        Assert.Equal(AlertSeverity.Critical, book.WorstFiring("web-1"));
        Assert.Null(book.WorstFiring("db-1"));
        Assert.Equal(2, book.FiringCount);

        book.ApplyAlert(Alert("b", "web-1", AlertState.Resolved, Start.AddSeconds(1), AlertSeverity.Critical));
        Assert.Equal(AlertSeverity.Warning, book.WorstFiring("web-1"));
        // An older record of the same alert read late does not bring it back.
        book.ApplyAlert(Alert("b", "web-1", AlertState.Firing, Start.AddMilliseconds(500), AlertSeverity.Critical));
        Assert.Equal(AlertSeverity.Warning, book.WorstFiring("web-1"));

        book.ApplyAlert(Alert("a", "web-1", AlertState.Resolved, Start.AddSeconds(2)));
        book.ApplyAlert(Alert("c", "db-1", AlertState.Firing, Start.AddSeconds(2), AlertSeverity.Critical));
        Assert.Null(book.WorstFiring("web-1"));
        Assert.Equal(AlertSeverity.Critical, book.WorstFiring("db-1"));
        Assert.Equal(1, book.FiringCount);
    }

    [Fact]
    public void ApplyAlert_DropsResolvedAlerts_AfterTheRetention_AndKeepsFiringOnes()
    {
        var clock = new ManualClock(Start);
        var book = new AlertBook(new DashboardOptions { ResolvedRetention = TimeSpan.FromHours(1) }, clock);
        for (var i = 0; i < 100; i++)
        {
            book.ApplyAlert(Alert($"old-{i}", $"h-{i}", AlertState.Resolved, Start));
        }

        // A pending alert that cleared before its rule's "for" ends inactive: it goes too.
        book.ApplyAlert(Alert("cleared", "web-4", AlertState.Pending, Start.AddSeconds(-30)));
        book.ApplyAlert(Alert("cleared", "web-4", AlertState.Inactive, Start));
        book.ApplyAlert(Alert("firing", "web-1", AlertState.Firing, Start));
        Assert.Equal(102, book.Count);

        // Within the retention they stay; after it they go, with the next record read.
        clock.Advance(TimeSpan.FromMinutes(30));
        book.ApplyAlert(Alert("recent", "web-2", AlertState.Resolved, clock.Now));
        Assert.Equal(103, book.Count);
        clock.Advance(TimeSpan.FromMinutes(31));
        book.ApplyAlert(Alert("other", "web-3", AlertState.Pending, clock.Now));

        Assert.Equal(3, book.Count);
        Assert.Null(book.Find("old-0"));
        Assert.Null(book.Find("cleared"));
        Assert.NotNull(book.Find("recent"));
        Assert.NotNull(book.Find("firing"));
        Assert.Equal(AlertSeverity.Warning, book.WorstFiring("web-1"));
        // The history of records is not the table: it still lists them.
        Assert.Contains(book.History(), r => r.Fingerprint == "old-0");
    }

    [Fact]
    public void ApplySavedRule_KeepsANewerRecordAlreadyRead()
    {
        var book = new AlertBook();
        var rule = new AlertRule { Id = "r", Name = "v2", Kind = RuleKind.Metric, Metric = new MetricCondition { Name = "m", Threshold = 1 }, UpdatedAt = Start.AddMinutes(2) };
        book.ApplyRule("r", rule);

        // The API's answer to an earlier save arrives after the consumer read the newer record: the newer stays.
        Assert.False(book.ApplySavedRule(rule with { Name = "v1", UpdatedAt = Start.AddMinutes(1) }));
        Assert.Equal("v2", Assert.Single(book.Rules).Name);

        Assert.True(book.ApplySavedRule(rule with { Name = "v3", UpdatedAt = Start.AddMinutes(3) }));
        Assert.Equal("v3", Assert.Single(book.Rules).Name);
    }
}
