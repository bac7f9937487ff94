using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Platform.Alerting.Tests.Support;
using Platform.Telemetry;
using Platform.Telemetry.Alerts;
using Platform.TestKit;

namespace Platform.Alerting.Tests.Integration;

/// <summary>What alerting keeps across a restart: the contract topics' records, undelivered notifications, windows,
/// log counts and the alerts of hosts that send nothing any more.</summary>
public sealed class RestartIntegrationTests
{
    private static readonly TimeSpan Deadline = AlertingCluster.Deadline;

    private static NotificationChannel Hook(WebhookReceiver receiver, string id = "hook", string path = "/hook", bool isDefault = true) =>
        new() { Id = id, Name = id, Type = ChannelType.Webhook, Url = receiver.Url(path), IsDefault = isDefault };

    private static List<(string Status, string Host)> Notified(WebhookReceiver receiver, string path = "/hook") =>
        [.. receiver.BodiesOf(path).SelectMany(b => b["alerts"]!.AsArray().Select(a =>
            ((string)b["status"]!, (string)a!["labels"]!["host"]!)))];

    private static AlertRule AvgCpuRule() => new()
    {
        Id = "cpu-avg",
        Name = "HighCpu",
        Kind = RuleKind.Metric,
        Metric = new MetricCondition
        {
            Name = "system.cpu.utilization",
            Aggregation = Aggregation.Avg,
            WindowSeconds = 120,
            Comparison = Comparison.GreaterThan,
            Threshold = 0.9,
            RecoveryThreshold = 0.8,
        },
        GroupBy = ["host"],
        RepeatIntervalSeconds = 0,
    };

    [Fact]
    public async Task ContractTopics_KeepEveryRecord_AndADeletedDefaultRuleStaysDeleted()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap, BrokerAddressFamily = BrokerAddressFamily.V4 }).Build())
        {
            // An earlier version created silences with the broker's default retention.
            await admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = Topics.Silences, NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["retention.ms"] = "3600000" },
            }]);
        }

        var first = await cluster.StartAlertingAsync("first", o => o.SeedDefaultRules = true);
        foreach (var topic in new[] { Topics.AlertRules, Topics.Alerts, AlertTopics.Channels })
        {
            Assert.True(cluster.Broker.Log.TryGetTopic(topic, out var log), topic);
            Assert.Equal(-1, log.Config.RetentionMs);
            Assert.Equal(-1, log.Config.RetentionBytes);
        }

        // Set to forever where the broker takes IncrementalAlterConfigs; else left as it was (a warning): never fatal.
        Assert.True(cluster.Broker.Log.TryGetTopic(Topics.Silences, out var silences));
        Assert.Contains(silences.Config.RetentionMs, new long?[] { -1, 3_600_000 });

        using var deleted = await first.Http.DeleteAsync("/api/rules/default-cpu-high");
        Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);
        await first.StopAsync();
        var second = await cluster.StartAlertingAsync("second", o => o.SeedDefaultRules = true);
        var rules = (await second.GetJsonAsync("/api/rules")).AsArray().Select(r => (string)r!["id"]!).ToList();
        Assert.DoesNotContain("default-cpu-high", rules);
        Assert.Contains("default-host-silent", rules);
    }

    [Fact]
    public async Task Restart_MidRetry_DeliversTheNotificationOnceTheChannelIsBack()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Script("/hook", [.. Enumerable.Repeat(503, 100_000)]); // the receiver is down
        static void Patient(AlertingOptions o)
        {
            o.DeliveryAttempts = 1000;
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
        }

        var first = await cluster.StartAlertingAsync("first", Patient);
        await first.PutChannelAsync(Hook(receiver));
        await first.PutRuleAsync(AvgCpuRule() with { Metric = AvgCpuRule().Metric! with { Aggregation = Aggregation.Last, WindowSeconds = 0 } });
        await first.WaitAssignedAsync();
        await cluster.SendAsync("db-9", "system.cpu.utilization", 0.99);
        await Poll.UntilAsync(() => receiver.BodiesOf("/hook").Count() >= 2, Deadline, "two failed attempts");
        await first.StopAsync(); // mid-retry

        receiver.Script("/hook"); // back
        var before = receiver.BodiesOf("/hook").Count();
        var again = await cluster.StartAlertingAsync("first", Patient); // the same state directory
        await Poll.UntilAsync(() => again.Runtime.Dispatcher.Log.Of("hook").Any(r => r.Success), Deadline, "the delivery after the restart");
        await again.WaitAssignedAsync(2);
        Assert.Equal(before + 1, receiver.BodiesOf("/hook").Count());
        Assert.Equal(("firing", "db-9"), Notified(receiver)[^1]);
        Assert.Equal(0, again.Runtime.Dispatcher.Outbox.Count);
    }

    [Fact]
    public async Task Restart_WhileAnAvgRuleFires_EvaluatesTheWholeWindow_NoResolveNoSecondNotification()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var first = await cluster.StartAlertingAsync("first");
        await first.PutChannelAsync(Hook(receiver));
        await first.PutRuleAsync(AvgCpuRule());
        await first.WaitAssignedAsync(2);
        var t0 = DateTimeOffset.UtcNow;
        for (var s = -50; s <= -30; s += 5)
        {
            await cluster.SendAsync("db-2", "system.cpu.utilization", 0.95, t0.AddSeconds(s));
        }

        await Poll.UntilAsync(() => first.Service.BatchesEvaluated >= 5, Deadline, "the batches evaluated");
        await Poll.UntilAsync(() => Notified(receiver).Contains(("firing", "db-2")), Deadline, "the firing webhook");
        await first.StopAsync();

        var second = await cluster.StartAlertingAsync("second");
        await second.WaitAssignedAsync(2);
        // Alone these would resolve (0.79 is below the recovery threshold) and then fire again; within the window's
        // two minutes the average stays above 0.8.
        foreach (var (s, value) in new[] { (-25, 0.79), (-22, 1.0), (-20, 1.0) })
        {
            await cluster.SendAsync("db-2", "system.cpu.utilization", value, t0.AddSeconds(s));
        }

        await Poll.UntilAsync(() => second.Service.BatchesEvaluated >= 3, Deadline, "the batches after the restart evaluated");
        for (var s = -19; s <= -17; s++)
        {
            await cluster.SendAsync("db-2", "system.cpu.utilization", 0.1, t0.AddSeconds(s));
        }

        await Poll.UntilAsync(() => Notified(receiver).Contains(("resolved", "db-2")), Deadline, "the resolved webhook");
        await Poll.UntilAsync(() => second.Service.BatchesEvaluated >= 6, Deadline, "every batch evaluated");
        await Poll.UntilAsync(() => second.Runtime.Dispatcher.Outbox.Count == 0, Deadline, "every notification delivered");
        Assert.Equal([("firing", "db-2"), ("resolved", "db-2")], Notified(receiver));
    }

    [Fact]
    public async Task Restart_WhileALogRuleFires_KeepsItFiring()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var first = await cluster.StartAlertingAsync("first");
        await first.PutChannelAsync(Hook(receiver));
        await first.PutRuleAsync(new AlertRule { Id = "panic", Name = "Panic", Kind = RuleKind.Log, Log = new LogCondition { Pattern = "panic", WindowSeconds = 300 } });
        await first.WaitAssignedAsync(2);
        await cluster.SendAsync("app-1", "system.cpu.utilization", 0.1);
        await cluster.SendLogAsync("app-1", null, "kernel panic");
        await Poll.UntilAsync(() => Notified(receiver).Contains(("firing", "app-1")), Deadline, "the firing webhook");
        await Poll.UntilAsync(() => first.Service.BatchesEvaluated >= 2, Deadline, "both batches evaluated");
        await first.StopAsync();

        var second = await cluster.StartAlertingAsync("second");
        await second.WaitAssignedAsync(2);
        await cluster.SendAsync("app-1", "system.cpu.utilization", 0.1); // the host is alive: its alert is evaluated here
        await Poll.UntilAsync(() => second.Service.BatchesEvaluated >= 1, Deadline, "the batch after the restart evaluated");
        var ticks = second.Service.Ticks;
        await Poll.UntilAsync(() => second.Service.Ticks >= ticks + 3, Deadline, "three ticks after the take-over");
        second.Runtime.Flush(TimeSpan.FromSeconds(10));
        await second.Runtime.Alerts.WaitCaughtUpAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var alert = Assert.Single(second.Runtime.Alerts.Items.Values);
        Assert.Equal(AlertState.Firing, alert.State);
        Assert.Equal([("firing", "app-1")], Notified(receiver));
    }

    [Fact]
    public async Task Restart_WhileAHostIsLongSilent_StillEscalatesItsAlert()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        static void ShortLookback(AlertingOptions o) => o.StartLookback = TimeSpan.FromSeconds(1);
        var first = await cluster.StartAlertingAsync("first", ShortLookback);
        await first.PutChannelAsync(Hook(receiver));
        await first.PutChannelAsync(Hook(receiver, "pager", "/pager", isDefault: false));
        await first.PutRuleAsync(new AlertRule
        {
            Id = "down",
            Name = "HostDown",
            Kind = RuleKind.Absence,
            Absence = new AbsenceCondition { AfterSeconds = 2 },
            RepeatIntervalSeconds = 0,
            Escalation = new EscalationPolicy { AfterSeconds = 8, Channels = ["pager"] },
        });
        await first.WaitAssignedAsync(2);
        await cluster.SendAsync("gone-1", "system.cpu.utilization", 0.1);
        await Poll.UntilAsync(() => Notified(receiver).Contains(("firing", "gone-1")), Deadline, "the firing webhook");
        await first.StopAsync();

        // The host's last batch is older than the lookback: only the alert record (with its partition) tells of it.
        var second = await cluster.StartAlertingAsync("second", ShortLookback);
        await Poll.UntilAsync(() => Notified(receiver, "/pager").Contains(("firing", "gone-1")), Deadline, "the escalation after the restart");
        Assert.StartsWith("[ESCALATED", (string?)receiver.BodiesOf("/pager").Single()["title"], StringComparison.Ordinal);
        Assert.Equal([("firing", "gone-1")], Notified(receiver));
    }
}
