using Platform.Alerting.Notifications;
using Platform.Telemetry.Alerts;
using Platform.Telemetry.V1;

namespace Platform.Alerting.Tests.Evaluation;

/// <summary>What an engine that takes over from another one (a restart, a rebalance) must continue: windows, log
/// counts, silent hosts' alerts, escalation.</summary>
public sealed class TakeOverTests
{
    private static readonly NotificationChannel Pager = new() { Id = "pager", Name = "pager", Type = ChannelType.Webhook, Url = new Uri("http://127.0.0.1/p") };

    [Fact]
    public void Replay_FillsTheWindow_SoAFiringAvgRuleHoldsOnTheFirstSampleAfterATakeOver()
    {
        var rule = EngineFixture.CpuRule(aggregation: Aggregation.Avg, window: 60, recovery: 0.8);
        var before = new EngineFixture();
        before.Engine.UpsertRule(rule);
        var samples = new List<(DateTimeOffset At, double Value)>();
        for (var i = 0; i < 5; i++)
        {
            samples.Add((before.Clock.Now, 0.95));
            before.Metric("web-1", "system.cpu.utilization", 0.95);
            before.Tick(TimeSpan.FromSeconds(10));
        }

        Assert.Equal([AlertState.Firing], before.StatesOf("cpu"));

        var after = new EngineFixture();
        after.Clock.Advance(before.Clock.Now - after.Clock.Now);
        after.Engine.UpsertRule(rule);
        after.Engine.Observe(before.Records[^1]);
        foreach (var (at, value) in samples)
        {
            after.ReplayMetric("web-1", "system.cpu.utilization", value, at);
        }

        Assert.Empty(after.Records); // replaying decides nothing
        after.Metric("web-1", "system.cpu.utilization", 0.7); // below recovery, but the minute's average is 0.91
        Assert.Empty(after.Records);
        Assert.Empty(after.Notifications);
        Assert.Equal(AlertState.Firing, Assert.Single(after.Engine.Alerts).State);

        after.Tick(TimeSpan.FromSeconds(61));
        after.Metric("web-1", "system.cpu.utilization", 0.5); // the window now holds 0.7 and 0.5
        Assert.Equal([AlertState.Resolved], after.StatesOf("cpu"));
    }

    [Fact]
    public void ReplayedLogLines_KeepAFiringLogRuleFiring_AfterATakeOver()
    {
        var rule = new AlertRule { Id = "panic", Name = "Panic", Kind = RuleKind.Log, Log = new LogCondition { Pattern = "panic", WindowSeconds = 300 } };
        var before = new EngineFixture();
        before.Engine.UpsertRule(rule);
        before.Log("app-1", "kernel panic");
        Assert.Equal([AlertState.Firing], before.StatesOf("panic"));

        var after = new EngineFixture();
        after.Clock.Advance(TimeSpan.FromSeconds(30));
        after.Engine.UpsertRule(rule);
        after.Engine.Observe(before.Records[^1]);
        var batch = new LogBatch { HostId = "app-1", TimestampUnixMs = EngineFixture.Start.ToUnixTimeMilliseconds() };
        batch.Records.Add(new LogRecord { Message = "kernel panic", Source = "/var/log/app.log", TimestampUnixMs = EngineFixture.Start.ToUnixTimeMilliseconds() });
        after.Engine.Replay(batch);
        after.Tick(TimeSpan.FromSeconds(1));
        Assert.Empty(after.Records);
        Assert.Equal(AlertState.Firing, Assert.Single(after.Engine.Alerts).State);

        after.Tick(TimeSpan.FromSeconds(300)); // the line left the window
        Assert.Equal([AlertState.Resolved], after.StatesOf("panic"));
    }

    [Fact]
    public void AdoptPartitions_TakesOverASilentHostsAlert_AndStillEscalates()
    {
        var rule = new AlertRule
        {
            Id = "silent",
            Name = "HostSilent",
            Kind = RuleKind.Absence,
            Absence = new AbsenceCondition { AfterSeconds = 60 },
            RepeatIntervalSeconds = 0,
            Escalation = new EscalationPolicy { AfterSeconds = 300, Channels = ["pager"] },
        };
        var before = new EngineFixture();
        before.Engine.UpsertRule(rule);
        before.Engine.UpsertChannel(Pager);
        before.Metric("gone-1", "system.cpu.utilization", 0.1);
        before.Tick(TimeSpan.FromSeconds(61));
        Assert.Equal([AlertState.Firing], before.StatesOf("silent"));
        var record = before.Records[^1] with { Partition = 3 };

        var after = new EngineFixture();
        after.Clock.Advance(TimeSpan.FromSeconds(62));
        after.Engine.UpsertRule(rule);
        after.Engine.UpsertChannel(Pager);
        after.Engine.Observe(record);
        after.Engine.AdoptPartitions(p => p == 2, after.Clock.Now - TimeSpan.FromMinutes(1));
        Assert.Empty(after.Engine.Alerts); // another instance's partition
        after.Engine.AdoptPartitions(p => p == 3, after.Clock.Now - TimeSpan.FromMinutes(1));
        Assert.Equal(AlertState.Firing, Assert.Single(after.Engine.Alerts).State);

        after.Tick(TimeSpan.FromSeconds(300));
        var escalation = Assert.Single(after.Notifications);
        Assert.Equal(NotificationReason.Escalation, escalation.Reason);
        Assert.Equal(["pager"], escalation.Channels);
        Assert.DoesNotContain(after.Records, r => r.Event == AlertEvent.Transition); // neither resolved nor fired again

        after.Metric("gone-1", "system.cpu.utilization", 0.1); // back: resolves, to the paged channel too
        Assert.Equal([AlertState.Resolved], after.StatesOf("silent"));
        Assert.Equal(["ops", "pager"], after.Notifications[^1].Channels);
    }

    [Fact]
    public void Resolve_OfAnEscalatedAlert_GoesToTheEscalationChannelsToo()
    {
        var f = new EngineFixture();
        f.Engine.UpsertChannel(Pager);
        f.Engine.UpsertRule(EngineFixture.CpuRule() with { RepeatIntervalSeconds = 0, Escalation = new EscalationPolicy { AfterSeconds = 60, Channels = ["pager"] } });
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Tick(TimeSpan.FromSeconds(60));
        Assert.Equal(NotificationReason.Escalation, f.Notifications[^1].Reason);
        f.Metric("web-1", "system.cpu.utilization", 0.1);
        var resolved = f.Notifications[^1];
        Assert.Equal(NotificationReason.Resolved, resolved.Reason);
        Assert.Equal(["ops", "pager"], resolved.Channels);
    }

    [Fact]
    public void Resolve_OfAnAlertNeverEscalated_StaysOnTheRuleChannels()
    {
        var f = new EngineFixture();
        f.Engine.UpsertChannel(Pager);
        f.Engine.UpsertRule(EngineFixture.CpuRule() with { Escalation = new EscalationPolicy { AfterSeconds = 600, Channels = ["pager"] } });
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Metric("web-1", "system.cpu.utilization", 0.1);
        Assert.Equal(["ops"], f.Notifications[^1].Channels);
    }

    [Fact]
    public void SeriesAbsence_LongerThanStaleAfter_StillFires_WithTheDefaultStaleAfter()
    {
        var f = new EngineFixture(staleAfter: TimeSpan.FromMinutes(5));
        f.Engine.UpsertRule(new AlertRule
        {
            Id = "fs-silent",
            Name = "FilesystemSilent",
            Kind = RuleKind.Absence,
            Absence = new AbsenceCondition { AfterSeconds = 600, MetricName = "system.filesystem.utilization" },
        });
        f.Metric("db-1", "system.filesystem.utilization", 0.5, ("mountpoint", "/data"));
        for (var i = 0; i < 12; i++)
        {
            f.Tick(TimeSpan.FromMinutes(1)); // one tick a minute, past StaleAfter and up to After
            f.Metric("db-1", "system.cpu.utilization", 0.1);
        }

        var firing = Assert.Single(f.Records);
        Assert.Equal(AlertState.Firing, firing.State);
        Assert.Equal("/data", firing.Labels["mountpoint"]);

        f.Metric("db-1", "system.filesystem.utilization", 0.5, ("mountpoint", "/data"));
        Assert.Equal([AlertState.Firing, AlertState.Resolved], f.StatesOf("fs-silent"));
    }

    [Fact]
    public void LogRule_CountsOnlyLinesInsideTheWindow_WhenLinesArriveOutOfOrder()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(new AlertRule { Id = "oom", Name = "Oom", Kind = RuleKind.Log, Log = new LogCondition { Pattern = "oom", WindowSeconds = 60, MinCount = 2 } });
        var now = f.Clock.Now.ToUnixTimeMilliseconds();
        var batch = new LogBatch { HostId = "app-1", TimestampUnixMs = now };
        batch.Records.Add(new LogRecord { Message = "oom killer", Source = "kern", TimestampUnixMs = now });
        batch.Records.Add(new LogRecord { Message = "oom killer", Source = "kern", TimestampUnixMs = now - 120_000 }); // late, outside
        f.Engine.Ingest(batch);
        f.Drain();
        Assert.Empty(f.Records);
    }

    [Fact]
    public void GroupWait_CountsTheAlertNotifiedOnlyWhenTheGroupIsSent_SoATakeOverSendsALostGroup()
    {
        var before = new EngineFixture(groupWait: TimeSpan.FromSeconds(10));
        before.Engine.UpsertRule(EngineFixture.CpuRule());
        before.Metric("web-1", "system.cpu.utilization", 0.95);
        var firing = Assert.Single(before.Records);
        Assert.Equal(0, firing.NotificationCount); // nothing sent yet
        Assert.Null(firing.LastNotifiedAt);
        before.Tick(TimeSpan.FromSeconds(5));
        Assert.Single(before.Records); // waiting: no record claims a notification

        // The process dies here: the group is lost. Its successor takes over from the firing record.
        var after = new EngineFixture(groupWait: TimeSpan.FromSeconds(10));
        after.Clock.Advance(TimeSpan.FromSeconds(6));
        after.Engine.UpsertRule(EngineFixture.CpuRule());
        after.Engine.Observe(firing);
        after.Metric("web-1", "system.cpu.utilization", 0.96);
        after.Tick(TimeSpan.FromSeconds(1));
        Assert.Empty(after.Notifications); // the late first notification waits in its group too
        after.Tick(TimeSpan.FromSeconds(10));
        var sent = Assert.Single(after.Notifications);
        Assert.Equal(NotificationReason.Firing, sent.Reason);
        var notified = after.Records[^1];
        Assert.Equal((AlertEvent.Notified, 1), (notified.Event, notified.NotificationCount));

        after.Tick(TimeSpan.FromSeconds(60));
        Assert.Single(after.Notifications); // once
    }

    [Fact]
    public void GroupWait_AnAlertResolvedBeforeItsGroupIsSent_IsNotSentAtAll()
    {
        var f = new EngineFixture(groupWait: TimeSpan.FromSeconds(10));
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Metric("web-2", "system.cpu.utilization", 0.95);
        f.Tick(TimeSpan.FromSeconds(2));
        f.Metric("web-1", "system.cpu.utilization", 0.1);
        f.Tick(TimeSpan.FromSeconds(10));
        var n = Assert.Single(f.Notifications);
        Assert.Equal(["web-2"], n.Alerts.Select(a => a.Labels["host"]));
        Assert.Equal("firing", n.Status);
    }
}
