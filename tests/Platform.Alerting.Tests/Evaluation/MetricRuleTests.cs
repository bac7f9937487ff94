using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Tests.Evaluation;

public sealed class MetricRuleTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void MetricRule_FiresAtOnce_WhenForIsZero()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Metric("web-1", "system.cpu.utilization", 0.5);
        Assert.Empty(f.Records);
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        Assert.Equal([AlertState.Firing], f.StatesOf("cpu"));
        var n = Assert.Single(f.Notifications);
        Assert.Equal("firing", n.Status);
        Assert.Equal(["ops"], n.Channels);
        Assert.Equal("CPU on web-1 at 95 %", n.Alerts[0].Annotations["summary"]);
        Assert.Equal("web-1", n.Alerts[0].Labels["host"]);
        Assert.Equal("HighCpu", n.Alerts[0].Labels["alertname"]);
    }

    [Fact]
    public void MetricRule_GoesPendingThenFiring_AfterForElapses()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule(forSeconds: 60));
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        Assert.Equal([AlertState.Pending], f.StatesOf("cpu"));
        f.Tick(TimeSpan.FromSeconds(30));
        f.Metric("web-1", "system.cpu.utilization", 0.96);
        Assert.Equal([AlertState.Pending], f.StatesOf("cpu"));
        Assert.Empty(f.Notifications);
        f.Tick(TimeSpan.FromSeconds(30));
        Assert.Equal([AlertState.Pending, AlertState.Firing], f.StatesOf("cpu"));
        Assert.Single(f.Notifications);
        var firing = f.Records[^1];
        Assert.Equal(EngineFixture.Start, firing.ActiveSince);
        Assert.Equal(EngineFixture.Start.AddSeconds(60), firing.FiredAt);
        Assert.Equal(1, firing.NotificationCount);
    }

    [Fact]
    public void MetricRule_PendingReturnsToInactive_WhenConditionStopsBeforeFor()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule(forSeconds: 60));
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Tick(TimeSpan.FromSeconds(20));
        f.Metric("web-1", "system.cpu.utilization", 0.5);
        f.Tick(TimeSpan.FromSeconds(60));
        Assert.Equal([AlertState.Pending, AlertState.Inactive], f.StatesOf("cpu"));
        Assert.Empty(f.Notifications);
        Assert.Empty(f.Engine.Alerts);
    }

    [Fact]
    public void MetricRule_StaysFiringBetweenThresholds_WithRecoveryThreshold()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule(recovery: 0.85));
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Metric("web-1", "system.cpu.utilization", 0.88); // below 0.9 but above 0.85: no flapping
        f.Metric("web-1", "system.cpu.utilization", 0.91);
        f.Metric("web-1", "system.cpu.utilization", 0.87);
        Assert.Equal([AlertState.Firing], f.StatesOf("cpu"));
        f.Metric("web-1", "system.cpu.utilization", 0.80);
        Assert.Equal([AlertState.Firing, AlertState.Resolved], f.StatesOf("cpu"));
        Assert.Equal(["firing", "resolved"], f.Notifications.Select(n => n.Status));
    }

    [Fact]
    public void MetricRule_Flaps_WithoutRecoveryThreshold()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Metric("web-1", "system.cpu.utilization", 0.88);
        f.Metric("web-1", "system.cpu.utilization", 0.91);
        Assert.Equal([AlertState.Firing, AlertState.Resolved, AlertState.Firing], f.StatesOf("cpu"));
    }

    [Fact]
    public void MetricRule_DoesNotNotifyTwice_WhileFiring()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        for (var i = 0; i < 10; i++)
        {
            f.Metric("web-1", "system.cpu.utilization", 0.95);
            f.Tick(Second);
        }

        Assert.Single(f.Notifications);
        Assert.Single(f.Records);
    }

    [Fact]
    public void MetricRule_EvaluatesEachSeriesOnItsOwn_ForSeveralHostsAndLabels()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule() with { GroupBy = ["host"] });
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Metric("web-2", "system.cpu.utilization", 0.5);
        f.Metric("web-2", "system.cpu.utilization", 0.97, ("cpu", "1"));
        Assert.Equal(2, f.Records.Select(r => r.Fingerprint).Distinct().Count());
        Assert.Equal(2, f.Notifications.Count);
    }

    [Theory]
    [InlineData(MatchOperator.Equal, "/", new[] { "/" })]
    [InlineData(MatchOperator.NotEqual, "/", new[] { "/boot", "/snap/core" })]
    [InlineData(MatchOperator.Regex, "/(boot|snap/.*)", new[] { "/boot", "/snap/core" })]
    [InlineData(MatchOperator.NotRegex, "/snap/.*", new[] { "/", "/boot" })]
    public void MetricRule_SelectsSeries_ByLabelMatcher(MatchOperator op, string value, string[] expected)
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(new AlertRule
        {
            Id = "fs",
            Name = "FilesystemFull",
            Kind = RuleKind.Metric,
            Metric = new MetricCondition
            {
                Name = "system.filesystem.utilization",
                Matchers = [new LabelMatcher { Name = "mountpoint", Op = op, Value = value }],
                Threshold = 0.9,
            },
        });
        foreach (var mount in new[] { "/", "/boot", "/snap/core" })
        {
            f.Metric("db-1", "system.filesystem.utilization", 0.99, ("mountpoint", mount));
        }

        Assert.Equal(expected, f.Records.Select(r => r.Labels["mountpoint"]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void MetricRule_UsesWindowAverage_WhenAggregationIsAvg()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule(aggregation: Aggregation.Avg, window: 30));
        f.Metric("web-1", "system.cpu.utilization", 0.99);
        Assert.Single(f.Records); // avg of one sample
        f.Metric("web-1", "system.cpu.utilization", 0.5);
        Assert.Equal([AlertState.Firing, AlertState.Resolved], f.StatesOf("cpu")); // avg 0.745
        f.Clock.Advance(TimeSpan.FromSeconds(10));
        f.Metric("web-1", "system.cpu.utilization", 1.0);
        f.Clock.Advance(TimeSpan.FromSeconds(10));
        f.Metric("web-1", "system.cpu.utilization", 1.0); // avg (0.99 + 0.5 + 1 + 1) / 4 = 0.8725
        Assert.Equal(2, f.StatesOf("cpu").Count);
        f.Clock.Advance(TimeSpan.FromSeconds(15));
        f.Metric("web-1", "system.cpu.utilization", 1.0); // the first two left the 30 s window
        Assert.Equal([AlertState.Firing, AlertState.Resolved, AlertState.Firing], f.StatesOf("cpu"));
    }

    [Fact]
    public void MetricRule_ResolvesFiringAlert_WhenSeriesGoesStale()
    {
        var f = new EngineFixture(staleAfter: TimeSpan.FromMinutes(5));
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Tick(TimeSpan.FromMinutes(6));
        Assert.Equal([AlertState.Firing, AlertState.Resolved], f.StatesOf("cpu"));
        Assert.Equal(0, f.Engine.SeriesCount);
    }

    [Fact]
    public void RemovedRule_PublishesRemovedRecord_ForItsLiveAlerts()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        f.Engine.RemoveRule("cpu");
        f.Drain();
        Assert.Equal(AlertEvent.Removed, f.Records[^1].Event);
        Assert.Empty(f.Engine.Alerts);
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        Assert.Equal(2, f.Records.Count);
    }

    [Fact]
    public void DisabledRule_IsNotEvaluated()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule() with { Enabled = false });
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        Assert.Empty(f.Records);
    }

    [Fact]
    public void UpdatedRule_AppliesNewThreshold_ToExistingSeries()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Metric("web-1", "system.cpu.utilization", 0.8);
        Assert.Empty(f.Records);
        f.Engine.UpsertRule(EngineFixture.CpuRule(threshold: 0.7));
        f.Metric("web-1", "system.cpu.utilization", 0.8);
        Assert.Equal([AlertState.Firing], f.StatesOf("cpu"));
    }

    [Fact]
    public void MetricRule_FromJsonWithNullCollections_IsEvaluated()
    {
        var f = new EngineFixture();
        var rule = AlertCodec.DecodeRule("""
            { "id": "cpu", "name": "HighCpu", "kind": "metric", "labels": null, "annotations": null, "groupBy": null, "channels": null,
              "metric": { "name": "system.cpu.utilization", "threshold": 0.9, "matchers": null } }
            """u8);
        f.Engine.UpsertRule(rule);
        f.Engine.UpsertRule(rule);
        f.Metric("web-1", "system.cpu.utilization", 0.95);
        Assert.Equal([AlertState.Firing], f.StatesOf("cpu"));
        Assert.Single(f.Notifications);
    }
}
