using Platform.Alerting.Evaluation;
using Platform.Alerting.Notifications;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Tests.Evaluation;

public sealed class NotificationPolicyTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void Grouping_SendsOneNotification_ForAlertsOfOneGroupWithinGroupWait()
    {
        var f = new EngineFixture(groupWait: TimeSpan.FromSeconds(10));
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Tick(TimeSpan.FromSeconds(3));
        f.Metric("web-2", "system.cpu.utilization", 0.97);
        f.Metric("web-3", "system.cpu.utilization", 0.5);
        Assert.Empty(f.Notifications);
        f.Tick(TimeSpan.FromSeconds(7));
        var n = Assert.Single(f.Notifications);
        Assert.Equal(["web-1", "web-2"], n.Alerts.Select(a => a.Labels["host"]).Order(StringComparer.Ordinal));
        Assert.StartsWith("[FIRING:2] HighCpu", n.Title, StringComparison.Ordinal);
    }

    [Fact]
    public void Grouping_SeparatesGroups_ByGroupByLabels()
    {
        var f = new EngineFixture(groupWait: TimeSpan.FromSeconds(10));
        f.Engine.UpsertRule(EngineFixture.CpuRule() with { GroupBy = ["host"] });
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Metric("web-2", "system.cpu.utilization", 0.97);
        f.Tick(TimeSpan.FromSeconds(10));
        Assert.Equal(2, f.Notifications.Count);
        Assert.All(f.Notifications, n => Assert.Single(n.Alerts));
    }

    [Fact]
    public void RepeatInterval_ResendsFiringAlert_UntilAcknowledged()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule() with { RepeatIntervalSeconds = 60 });
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Tick(TimeSpan.FromSeconds(59));
        Assert.Single(f.Notifications);
        f.Tick(Second);
        Assert.Equal([NotificationReason.Firing, NotificationReason.Repeat], f.Notifications.Select(n => n.Reason));
        Assert.Equal(AlertEvent.Notified, f.Records[^1].Event);
        Assert.Equal(2, f.Records[^1].NotificationCount);

        Assert.True(f.Engine.Acknowledge(f.Records[0].Fingerprint, "alice", "looking"));
        f.Drain();
        var ack = f.Records[^1];
        Assert.Equal(AlertEvent.Acknowledged, ack.Event);
        Assert.Equal("alice", ack.AcknowledgedBy);
        Assert.Equal(f.Clock.Now, ack.AcknowledgedAt);
        for (var i = 0; i < 5; i++)
        {
            f.Tick(TimeSpan.FromSeconds(60));
        }

        Assert.Equal(2, f.Notifications.Count);
        f.Metric("web-1", "system.cpu.utilization", 0.1);
        Assert.Equal("resolved", f.Notifications[^1].Status); // the resolve is still sent
    }

    [Fact]
    public void Acknowledgement_FromAnotherInstance_StopsRepeats()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule() with { RepeatIntervalSeconds = 60 });
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        var firing = f.Records[^1];
        f.Engine.Observe(firing with { Event = AlertEvent.Acknowledged, AcknowledgedBy = "bob", AcknowledgedAt = f.Clock.Now, Instance = "other" });
        f.Tick(TimeSpan.FromSeconds(120));
        Assert.Single(f.Notifications);
    }

    [Fact]
    public void Escalation_SendsToEscalationChannels_WhenNobodyAcknowledges()
    {
        var f = new EngineFixture();
        f.Engine.UpsertChannel(new NotificationChannel { Id = "pager", Name = "pager", Type = ChannelType.Webhook, Url = new Uri("http://127.0.0.1/p") });
        f.Engine.UpsertRule(EngineFixture.CpuRule() with
        {
            RepeatIntervalSeconds = 0,
            Escalation = new EscalationPolicy { AfterSeconds = 300, Channels = ["pager"] },
        });
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Tick(TimeSpan.FromSeconds(299));
        Assert.Single(f.Notifications);
        f.Tick(Second);
        var escalation = f.Notifications[^1];
        Assert.Equal(NotificationReason.Escalation, escalation.Reason);
        Assert.Equal(["pager"], escalation.Channels);
        Assert.StartsWith("[ESCALATED", escalation.Title, StringComparison.Ordinal);
        Assert.Equal(AlertEvent.Escalated, f.Records[^1].Event);
        f.Tick(TimeSpan.FromSeconds(600));
        Assert.Equal(2, f.Notifications.Count); // escalates once
    }

    [Fact]
    public void Escalation_DoesNotHappen_WhenAcknowledgedInTime()
    {
        var f = new EngineFixture();
        f.Engine.UpsertChannel(new NotificationChannel { Id = "pager", Name = "pager", Type = ChannelType.Webhook, Url = new Uri("http://127.0.0.1/p") });
        f.Engine.UpsertRule(EngineFixture.CpuRule() with { Escalation = new EscalationPolicy { AfterSeconds = 300, Channels = ["pager"] } });
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Tick(TimeSpan.FromSeconds(100));
        Assert.True(f.Engine.Acknowledge(f.Records[0].Fingerprint, "carol", null));
        f.Tick(TimeSpan.FromSeconds(600));
        Assert.Single(f.Notifications);
    }

    [Fact]
    public void Silence_SuppressesNotification_ButAlertIsStillPublished_ThenNotifiesWhenSilenceEnds()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Engine.UpsertSilence(new Silence
        {
            Id = "s1",
            Matchers = [new LabelMatcher { Name = "host", Op = MatchOperator.Regex, Value = "web-.*" }],
            StartsAt = EngineFixture.Start,
            EndsAt = EngineFixture.Start.AddMinutes(10),
            CreatedBy = "ops",
        });
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Metric("db-1", "system.cpu.utilization", 0.95);
        Assert.Equal(2, f.StatesOf("cpu").Count);
        Assert.Equal("db-1", Assert.Single(f.Notifications).Alerts[0].Labels["host"]);

        f.Tick(TimeSpan.FromMinutes(9));
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        Assert.Single(f.Notifications);
        f.Tick(TimeSpan.FromMinutes(1)); // the silence expired while web-1 still fires
        Assert.Equal(2, f.Notifications.Count);
        Assert.Equal("web-1", f.Notifications[^1].Alerts[0].Labels["host"]);
    }

    [Fact]
    public void Silence_SuppressesResolve_OfAlertThatWasNeverNotified()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Engine.UpsertSilence(new Silence
        {
            Id = "s1",
            Matchers = [new LabelMatcher { Name = "alertname", Value = "HighCpu" }],
            StartsAt = EngineFixture.Start,
            EndsAt = EngineFixture.Start.AddHours(1),
        });
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Metric("web-1", "system.cpu.utilization", 0.1);
        Assert.Equal([AlertState.Firing, AlertState.Resolved], f.StatesOf("cpu"));
        Assert.Empty(f.Notifications);
    }

    private static Silence Maintenance(RecurrenceFrequency frequency, IReadOnlyList<DayOfWeek> days, string start, double hours, string? zone = null) => new()
    {
        Id = "maint",
        Matchers = [new LabelMatcher { Name = "host", Value = "db-1" }],
        StartsAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        EndsAt = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero),
        Recurrence = new Recurrence { Frequency = frequency, DaysOfWeek = days, StartTime = start, DurationSeconds = hours * 3600, TimeZone = zone },
    };

    [Theory]
    [InlineData("2026-03-01T02:30:00Z", true)] // Sunday, inside 02:00-04:00
    [InlineData("2026-03-01T01:59:00Z", false)]
    [InlineData("2026-03-01T04:00:00Z", false)]
    [InlineData("2026-03-02T02:30:00Z", false)] // Monday
    [InlineData("2027-01-03T02:30:00Z", false)] // a Sunday after EndsAt
    public void MaintenanceWindow_IsActive_OnlyDuringWeeklyOccurrences(string at, bool expected)
    {
        var silence = Maintenance(RecurrenceFrequency.Weekly, [DayOfWeek.Sunday], "02:00", 2);
        Assert.Equal(expected, AlertEngine.IsActive(silence, DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("2026-03-03T23:30:00Z", true)]
    [InlineData("2026-03-04T00:30:00Z", true)] // an occurrence crossing midnight
    [InlineData("2026-03-04T01:00:00Z", false)]
    [InlineData("2026-03-04T12:00:00Z", false)]
    public void MaintenanceWindow_IsActive_AcrossMidnight_ForDailyOccurrences(string at, bool expected)
    {
        var silence = Maintenance(RecurrenceFrequency.Daily, [], "23:00", 2);
        Assert.Equal(expected, AlertEngine.IsActive(silence, DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void MaintenanceWindow_FollowsTimeZone()
    {
        // 02:00 in Paris is 01:00 UTC in winter.
        var silence = Maintenance(RecurrenceFrequency.Daily, [], "02:00", 1, "Europe/Paris");
        Assert.True(AlertEngine.IsActive(silence, new DateTimeOffset(2026, 1, 10, 1, 30, 0, TimeSpan.Zero)));
        Assert.False(AlertEngine.IsActive(silence, new DateTimeOffset(2026, 1, 10, 2, 30, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void MaintenanceWindow_SuppressesNotifications_DuringOccurrence()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Engine.UpsertSilence(Maintenance(RecurrenceFrequency.Weekly, [DayOfWeek.Monday], "09:00", 2)); // fixture starts Monday 10:00
        f.Metric("db-1", "system.cpu.utilization", 0.95);
        Assert.Empty(f.Notifications);
        f.Tick(TimeSpan.FromHours(1)); // 11:00: the window closed
        Assert.Single(f.Notifications);
    }

    [Fact]
    public void Channels_RuleChannels_OverrideDefaults_AndSeverityFilters()
    {
        var f = new EngineFixture();
        f.Engine.UpsertChannel(new NotificationChannel { Id = "crit", Name = "crit", Type = ChannelType.Slack, Url = new Uri("http://127.0.0.1/c"), MinSeverity = AlertSeverity.Critical });
        f.Engine.UpsertChannel(new NotificationChannel { Id = "team", Name = "team", Type = ChannelType.Discord, Url = new Uri("http://127.0.0.1/t") });
        f.Engine.UpsertRule(EngineFixture.CpuRule() with { Channels = ["crit", "team"], Severity = AlertSeverity.Warning });
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        Assert.Equal(["team"], Assert.Single(f.Notifications).Channels);
    }

    [Fact]
    public void Restart_ContinuesFromPublishedState_WithoutNotifyingAgain_AndSendsTheResolve()
    {
        var first = new EngineFixture(instance: "a");
        first.Engine.UpsertRule(EngineFixture.CpuRule());
        first.Metric("web-1", "system.cpu.utilization", 0.95);
        Assert.Single(first.Notifications);

        var second = new EngineFixture(instance: "b");
        second.Clock.Now = first.Clock.Now.AddSeconds(5);
        second.Engine.UpsertRule(EngineFixture.CpuRule());
        foreach (var record in first.Records)
        {
            second.Engine.Observe(record);
        }

        second.Metric("web-1", "system.cpu.utilization", 0.96);
        second.Tick(TimeSpan.FromSeconds(1));
        Assert.Empty(second.Notifications);
        Assert.Empty(second.Records);
        Assert.Single(second.Engine.Alerts);

        second.Metric("web-1", "system.cpu.utilization", 0.2);
        var resolve = Assert.Single(second.Notifications);
        Assert.Equal("resolved", resolve.Status);
        var record2 = Assert.Single(second.Records);
        Assert.Equal(first.Records[0].Fingerprint, record2.Fingerprint);
        Assert.Equal(first.Records[0].FiredAt, record2.FiredAt);
    }

    [Fact]
    public void DropHost_HandsAlertOver_WhenHostComesBack()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Engine.DropHost("web-1");
        Assert.Empty(f.Engine.Alerts);
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        Assert.Single(f.Notifications);
        Assert.Single(f.Records);
        Assert.Single(f.Engine.Alerts);
    }

    [Fact]
    public void Observe_IgnoresALateRecordOfThePreviousOwner_ForAnAlertThatEndedHere()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        var firing = f.Records[^1];
        f.Tick(TimeSpan.FromSeconds(1));
        f.Metric("web-1", "system.cpu.utilization", 0.1);
        Assert.Equal([AlertState.Firing, AlertState.Resolved], f.StatesOf("cpu"));

        // The firing record written by another instance before it gave the host up arrives late.
        f.Engine.Observe(firing with { Instance = "other" });
        f.Tick(TimeSpan.FromSeconds(1));
        f.Metric("web-1", "system.cpu.utilization", 0.1);
        Assert.Empty(f.Engine.Alerts);
        Assert.Equal(2, f.Notifications.Count);
    }

    [Fact]
    public void Observe_AdoptsAFiringAlert_WhenItsHostArrivesLater()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(new AlertRule { Id = "silent", Name = "HostSilent", Kind = RuleKind.Absence, Absence = new AbsenceCondition { AfterSeconds = 60 } });
        var labels = new Dictionary<string, string> { ["host"] = "db-9", ["alertname"] = "HostSilent" };
        f.Engine.Observe(new AlertTransition
        {
            Fingerprint = AlertFingerprint.Compute("silent", labels),
            RuleId = "silent",
            RuleName = "HostSilent",
            State = AlertState.Firing,
            Labels = labels,
            At = EngineFixture.Start.AddMinutes(-5),
            FiredAt = EngineFixture.Start.AddMinutes(-5),
            NotificationCount = 1,
            LastNotifiedAt = EngineFixture.Start.AddMinutes(-5),
            Instance = "other",
        });
        Assert.Empty(f.Engine.Alerts); // dormant until the host is evaluated here
        f.Metric("db-9", "system.cpu.utilization", 0.1);
        Assert.Equal([AlertState.Resolved], f.StatesOf("silent"));
        Assert.Equal("resolved", Assert.Single(f.Notifications).Status);
    }
}
