using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Tests.Evaluation;

public sealed class ComparisonTests
{
    private static AlertRule Rule(Comparison comparison, double threshold, double? recovery = null) => EngineFixture.CpuRule() with
    {
        Metric = new MetricCondition { Name = "system.cpu.utilization", Comparison = comparison, Threshold = threshold, RecoveryThreshold = recovery },
    };

    [Theory]
    [InlineData(Comparison.GreaterThan, 0.5, new[] { 0.5, 0.51, 0.5 }, "-FR")]
    [InlineData(Comparison.GreaterOrEqual, 0.5, new[] { 0.49, 0.5, 0.49 }, "-FR")]
    [InlineData(Comparison.LessThan, 0.1, new[] { 0.1, 0.05, 0.1 }, "-FR")]
    [InlineData(Comparison.LessOrEqual, 0.1, new[] { 0.11, 0.1, 0.11 }, "-FR")]
    [InlineData(Comparison.Equal, 1, new[] { 0.0, 1.0, 1.0, 2.0 }, "-F-R")]
    [InlineData(Comparison.NotEqual, 1, new[] { 1.0, 0.0, 2.0, 1.0 }, "-F-R")]
    public void Comparison_FiresAndResolves_OnTheRightSide(Comparison comparison, double threshold, double[] values, string expected)
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(Rule(comparison, threshold));
        var seen = new System.Text.StringBuilder();
        foreach (var value in values)
        {
            var before = f.Records.Count;
            f.Metric("web-1", "system.cpu.utilization", value);
            seen.Append(f.Records.Count == before ? '-' : f.Records[^1].State == AlertState.Firing ? 'F' : 'R');
        }

        Assert.Equal(expected, seen.ToString());
    }

    [Fact]
    public void Hysteresis_WithLessThan_HoldsBetweenTheThresholds_AndResolvesAboveTheRecovery()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(Rule(Comparison.LessThan, 0.1, recovery: 0.2)); // e.g. free disk below 10 %, recovered above 20 %
        f.Metric("web-1", "system.cpu.utilization", 0.05);
        Assert.Equal([AlertState.Firing], f.StatesOf("cpu"));
        f.Metric("web-1", "system.cpu.utilization", 0.15); // above the threshold, below the recovery
        f.Metric("web-1", "system.cpu.utilization", 0.199);
        Assert.Equal([AlertState.Firing], f.StatesOf("cpu"));
        f.Metric("web-1", "system.cpu.utilization", 0.25);
        Assert.Equal([AlertState.Firing, AlertState.Resolved], f.StatesOf("cpu"));
    }

    [Fact]
    public void Records_CarryTheRulesLabelsAndSeverity()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule() with
        {
            Severity = AlertSeverity.Critical,
            Labels = new Dictionary<string, string> { ["team"] = "db" },
        });
        f.Metric("db-1", "system.cpu.utilization", 0.95, ("cpu", "3"));
        var record = Assert.Single(f.Records);
        Assert.Equal(AlertSeverity.Critical, record.Severity);
        Assert.Equal("db", record.Labels["team"]);
        Assert.Equal("db-1", record.Labels["host"]);
        Assert.Equal("3", record.Labels["cpu"]);
        Assert.Equal("HighCpu", record.Labels["alertname"]);
        var notification = Assert.Single(f.Notifications);
        Assert.Equal(AlertSeverity.Critical, notification.Severity);
        Assert.Equal("db", notification.Alerts[0].Labels["team"]);
    }

    [Fact]
    public void DefaultCpuRule_FiresOnceForTheHostTotal_OnAgentShapedData()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(Platform.Alerting.Rules.DefaultRules.All.Single(r => r.Id == "default-cpu-high"));
        // As the agent sends it every 10 s: one sample per core (label cpu) and the total (no label).
        void Send(double total) => f.Batch("web-1",
            ("system.cpu.utilization", 0.99, ["cpu=0"]),
            ("system.cpu.utilization", 0.99, ["cpu=1"]),
            ("system.cpu.utilization", 0.99, ["cpu=2"]),
            ("system.cpu.utilization", 0.99, ["cpu=3"]),
            ("system.cpu.utilization", total, []));

        for (var s = 0; s < 290; s += 10)
        {
            Send(0.95);
            f.Tick(TimeSpan.FromSeconds(10));
        }

        Assert.Equal([AlertState.Pending], f.StatesOf("default-cpu-high"));
        Assert.Empty(f.Notifications);
        for (var s = 0; s < 30; s += 10)
        {
            Send(0.95);
            f.Tick(TimeSpan.FromSeconds(10));
        }

        Assert.Equal([AlertState.Pending, AlertState.Firing], f.StatesOf("default-cpu-high"));
        var alert = Assert.Single(f.Notifications).Alerts.Single();
        Assert.False(alert.Labels.ContainsKey("cpu")); // the total, not a core
        Assert.Equal("CPU on web-1 above 90 % for 5 minutes", alert.Annotations["summary"]);

        // One idle minute brings the minute's average below the recovery threshold.
        for (var s = 0; s < 70; s += 10)
        {
            Send(0.2);
            f.Tick(TimeSpan.FromSeconds(10));
        }

        Assert.Equal([AlertState.Pending, AlertState.Firing, AlertState.Resolved], f.StatesOf("default-cpu-high"));
    }
}
