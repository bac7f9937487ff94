using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Tests.Evaluation;

public sealed class AbsenceAndLogRuleTests
{
    private static readonly AlertRule HostSilent = new()
    {
        Id = "silent",
        Name = "HostSilent",
        Kind = RuleKind.Absence,
        Absence = new AbsenceCondition { AfterSeconds = 60 },
        Annotations = new Dictionary<string, string> { ["summary"] = "{{host}} silent for {{value|round}} s" },
    };

    [Fact]
    public void AbsenceRule_FiresForSilentHost_AndResolvesWhenItSendsAgain()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(HostSilent);
        f.Metric("web-1", "system.cpu.utilization", 0.1);
        f.Metric("web-2", "system.cpu.utilization", 0.1);
        for (var i = 0; i < 59; i++)
        {
            f.Tick(TimeSpan.FromSeconds(1));
            f.Metric("web-2", "system.cpu.utilization", 0.1);
        }

        Assert.Empty(f.Records);
        f.Tick(TimeSpan.FromSeconds(1));
        f.Metric("web-2", "system.cpu.utilization", 0.1);
        var firing = Assert.Single(f.Records);
        Assert.Equal(AlertState.Firing, firing.State);
        Assert.Equal("web-1", firing.Labels["host"]);
        Assert.Equal("web-1 silent for 60 s", firing.Annotations["summary"]);
        Assert.Single(f.Notifications);

        f.Tick(TimeSpan.FromSeconds(30));
        f.Metric("web-1", "system.cpu.utilization", 0.1);
        Assert.Equal([AlertState.Firing, AlertState.Resolved], f.StatesOf("silent"));
        Assert.Equal("resolved", f.Notifications[^1].Status);
    }

    [Fact]
    public void AbsenceRule_OnMetric_FiresForTheSilentSeriesOnly()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(new AlertRule
        {
            Id = "fs-gone",
            Name = "FilesystemGone",
            Kind = RuleKind.Absence,
            Absence = new AbsenceCondition
            {
                MetricName = "system.filesystem.utilization",
                Matchers = [new LabelMatcher { Name = "mountpoint", Op = MatchOperator.Regex, Value = "/data.*" }],
                AfterSeconds = 30,
            },
        });
        f.Metric("db-1", "system.filesystem.utilization", 0.5, ("mountpoint", "/data"));
        f.Metric("db-1", "system.filesystem.utilization", 0.5, ("mountpoint", "/data2"));
        f.Metric("db-1", "system.filesystem.utilization", 0.5, ("mountpoint", "/"));
        f.Tick(TimeSpan.FromSeconds(20));
        f.Metric("db-1", "system.filesystem.utilization", 0.5, ("mountpoint", "/data"));
        f.Metric("db-1", "system.filesystem.utilization", 0.5, ("mountpoint", "/"));
        f.Tick(TimeSpan.FromSeconds(15));
        var firing = Assert.Single(f.Records);
        Assert.Equal("/data2", firing.Labels["mountpoint"]);
    }

    private static AlertRule LogRule(bool regex, string pattern, int minCount = 3) => new()
    {
        Id = "oom",
        Name = "OutOfMemory",
        Kind = RuleKind.Log,
        Log = new LogCondition { Pattern = pattern, IsRegex = regex, WindowSeconds = 60, MinCount = minCount, IgnoreCase = true },
        Annotations = new Dictionary<string, string> { ["summary"] = "{{value}} OOM lines on {{host}}" },
    };

    [Fact]
    public void LogRule_FiresWhenCountReached_AndResolvesWhenWindowSlidesPast()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(LogRule(regex: false, "out of memory"));
        f.Log("app-1", "Out of memory: killed process 12", "all fine");
        f.Tick(TimeSpan.FromSeconds(10));
        f.Log("app-1", "out of memory again");
        f.Log("app-2", "out of memory", "out of memory"); // another host counts on its own
        Assert.Empty(f.Records);
        f.Tick(TimeSpan.FromSeconds(10));
        f.Log("app-1", "kernel: OUT OF MEMORY");
        var firing = Assert.Single(f.Records);
        Assert.Equal("app-1", firing.Labels["host"]);
        Assert.Equal("3 OOM lines on app-1", firing.Annotations["summary"]);

        f.Tick(TimeSpan.FromSeconds(45)); // the first line (t=0) left the 60 s window
        Assert.Equal([AlertState.Firing, AlertState.Resolved], f.StatesOf("oom"));
    }

    [Fact]
    public void LogRule_MatchesRegex()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(LogRule(regex: true, @"status=5\d\d", minCount: 2));
        f.Log("api-1", "GET / status=200", "GET /x status=503", "GET /y status=404");
        Assert.Empty(f.Records);
        f.Log("api-1", "POST /z status=500");
        Assert.Equal([AlertState.Firing], f.StatesOf("oom"));
    }

    [Fact]
    public void LogRule_AlertCarriesPatternAndWindow_ForItsLinesAfterTheRuleChanges()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(LogRule(regex: true, @"status=5\d\d", minCount: 1));
        f.Log("api-1", "GET /x status=503");
        var firing = Assert.Single(f.Records);
        Assert.Equal(@"status=5\d\d", firing.Annotations[LogRuleAnnotations.Pattern]);
        Assert.Equal("true", firing.Annotations[LogRuleAnnotations.Regex]);
        Assert.Equal("true", firing.Annotations[LogRuleAnnotations.IgnoreCase]);
        Assert.Equal("60", firing.Annotations[LogRuleAnnotations.WindowSeconds]);
        var carried = LogRuleAnnotations.From(firing.Annotations)!;
        Assert.Equal((@"status=5\d\d", true, true, 60.0), (carried.Pattern, carried.IsRegex, carried.IgnoreCase, carried.WindowSeconds));
        Assert.Equal("1 OOM lines on api-1", firing.Annotations["summary"]); // the rule's own annotations are still there
    }

    [Fact]
    public void LogRule_CountsOnlyLinesFromMatchingSources()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(LogRule(regex: false, "error", minCount: 1) with
        {
            Log = new LogCondition { Pattern = "error", WindowSeconds = 60, Matchers = [new LabelMatcher { Name = "source", Op = MatchOperator.Regex, Value = ".*/nginx/.*" }] },
        });
        f.Log("web-1", "error: upstream timed out"); // the fixture's source is /var/log/app.log
        Assert.Empty(f.Records);
    }
}
