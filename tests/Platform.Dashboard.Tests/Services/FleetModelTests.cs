using Platform.Dashboard.Services;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Tests.Services;

public class FleetModelTests
{
    [Fact]
    public void Apply_KeepsKeyNumbersAndSeries_PerHost()
    {
        var (model, clock) = Batches.Model();
        Batches.Feed(model, clock, "web-1", 10, i => i / 10.0);

        var host = Assert.Single(model.Hosts);
        Assert.Equal("web-1", host.HostId);
        Assert.Equal(0.9, host.Numbers.Cpu!.Value, 6);
        Assert.Equal(0.4, host.Numbers.Memory!.Value, 6);
        Assert.Equal(0.5, host.Numbers.Filesystem!.Value, 6);
        Assert.Equal(10, host.Ring(SeriesNames.HostCpu)!.Count);
        Assert.Equal(2, host.SeriesNamed(SeriesNames.FilesystemUtilization).Count);
        Assert.Equal(9, host.SeriesNamed(SeriesNames.DiskIo).Single().Ring.Count);
        Assert.Equal("dev", host.Labels["env"]);
    }

    [Fact]
    public void HealthOf_IsSilent_AfterThreeMissedIntervals()
    {
        var (model, clock) = Batches.Model();
        Batches.Feed(model, clock, "web-1", 2, _ => 0.1);
        var host = model.Find("web-1")!;
        Assert.Equal(HostHealth.Ok, model.HealthOf(host));

        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(HostHealth.Ok, model.HealthOf(host));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(HostHealth.Silent, model.HealthOf(host));
        Assert.Equal(1, model.Counts().Silent);
    }

    [Fact]
    public void HealthOf_FollowsFiringAlerts_WhenRulesExist()
    {
        var (model, clock) = Batches.Model();
        Batches.Feed(model, clock, "db-1", 2, _ => 0.99);
        var host = model.Find("db-1")!;
        Assert.Equal(HostHealth.Critical, model.HealthOf(host));

        model.Alerts.ApplyRule("cpu", new AlertRule { Id = "cpu", Name = "High CPU", Metric = new MetricCondition { Name = SeriesNames.CpuUtilization, Threshold = 0.9 } });
        Assert.Equal(HostHealth.Ok, model.HealthOf(host));

        model.Alerts.ApplyAlert(new AlertTransition
        {
            Fingerprint = "0123456789abcdef", RuleId = "cpu", RuleName = "High CPU", Severity = AlertSeverity.Warning,
            State = AlertState.Firing, Labels = new Dictionary<string, string> { ["host"] = "db-1" }, At = clock.Now,
        });
        Assert.Equal(HostHealth.Warning, model.HealthOf(host));
        Assert.Single(model.Alerts.Active("db-1"));
        Assert.Empty(model.Alerts.Active("web-1"));

        model.Alerts.ApplyAlert(new AlertTransition
        {
            Fingerprint = "0123456789abcdef", RuleId = "cpu", RuleName = "High CPU", Severity = AlertSeverity.Warning,
            State = AlertState.Resolved, Labels = new Dictionary<string, string> { ["host"] = "db-1" }, At = clock.Now.AddSeconds(1),
        });
        Assert.Equal(HostHealth.Ok, model.HealthOf(host));
    }

    [Fact]
    public void ThresholdsFor_ReturnsEnabledRulesOfTheMetric_ThatMatchTheHost()
    {
        var alerts = new AlertBook();
        alerts.ApplyRule("a", new AlertRule { Id = "a", Name = "cpu warn", Metric = new MetricCondition { Name = SeriesNames.CpuUtilization, Threshold = 0.8, RecoveryThreshold = 0.7 } });
        alerts.ApplyRule("b", new AlertRule { Id = "b", Name = "cpu off", Enabled = false, Metric = new MetricCondition { Name = SeriesNames.CpuUtilization, Threshold = 0.5 } });
        alerts.ApplyRule("c", new AlertRule
        {
            Id = "c", Name = "db only", Severity = AlertSeverity.Critical,
            Metric = new MetricCondition { Name = SeriesNames.CpuUtilization, Threshold = 0.95, Matchers = [new LabelMatcher { Name = "host", Op = MatchOperator.Regex, Value = "db-.*" }] },
        });

        Assert.Equal(["cpu warn"], alerts.ThresholdsFor(SeriesNames.CpuUtilization, "web-1").Select(t => t.RuleName));
        Assert.Equal(["cpu warn", "db only"], alerts.ThresholdsFor(SeriesNames.CpuUtilization, "db-1").Select(t => t.RuleName));
        alerts.ApplyRule("a", null);
        Assert.Equal(["db only"], alerts.ThresholdsFor(SeriesNames.CpuUtilization, "db-1").Select(t => t.RuleName));
    }

    [Fact]
    public void Apply_CountsMissedBatches_FromSequenceGaps()
    {
        var (model, clock) = Batches.Model();
        model.Apply(Batches.Host("h", clock.Now, 0.1, sequence: 1));
        model.Apply(Batches.Host("h", clock.Now.AddSeconds(1), 0.1, sequence: 4));
        Assert.Equal(2, model.Find("h")!.MissedBatches);
    }

    [Fact]
    public void Apply_DropsSeries_BeyondThePerHostBound()
    {
        var (model, clock) = Batches.Model(new DashboardOptions { MaxSeriesPerHost = 3 });
        model.Apply(Batches.Host("h", clock.Now, 0.1));
        var host = model.Find("h")!;
        Assert.Equal(3, host.SeriesCount);
        Assert.True(host.DroppedSeries > 0);
    }

    [Fact]
    public void Apply_Rejects_BatchWithoutHost()
    {
        var (model, _) = Batches.Model();
        Assert.Throws<InvalidDataException>(() => model.Apply(new Platform.Telemetry.V1.MetricBatch { SchemaVersion = 1 }));
        Assert.Equal(1, model.Rejected);
    }

    [Fact]
    public void ForgetLongSilent_FreesOldHosts()
    {
        var (model, clock) = Batches.Model(new DashboardOptions { ForgetAfter = TimeSpan.FromMinutes(10) });
        Batches.Feed(model, clock, "old", 1, _ => 0.1);
        clock.Advance(TimeSpan.FromMinutes(11));
        Batches.Feed(model, clock, "new", 1, _ => 0.1);
        Assert.Equal(1, model.ForgetLongSilent());
        Assert.Null(model.Find("old"));
        Assert.NotNull(model.Find("new"));
    }

    [Fact]
    public void Containers_DropOut_WhenNotReportedForAFewIntervals()
    {
        var (model, clock) = Batches.Model();
        model.Apply(Batches.Host("h", clock.Now, 0.1, sequence: 1, containers: [("web", 0.2, 1e8), ("db", 0.1, 2e8)]));
        model.Apply(Batches.Host("h", clock.Now.AddSeconds(1), 0.1, sequence: 2, containers: [("web", 0.2, 1e8)]));
        Assert.Equal(2, model.Find("h")!.Containers.Count);
        model.Apply(Batches.Host("h", clock.Now.AddSeconds(5), 0.1, sequence: 3, containers: [("web", 0.2, 1e8)]));
        Assert.Equal(["web"], model.Find("h")!.Containers.Select(c => c.Name));
    }

    [Fact]
    public void Options_Validate_RejectsBadSettings()
    {
        var error = Assert.Throws<ArgumentException>(() => new DashboardOptions { RingCapacity = 1 }.Validate());
        Assert.Contains("RingCapacity", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DashboardOptions { Bootstrap = " " }.Validate());
    }
}
