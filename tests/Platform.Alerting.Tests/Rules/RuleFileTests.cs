using Platform.Alerting.Rules;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Tests.Rules;

public sealed class RuleFileTests
{
    private const string Yaml = """
        rules:
          - id: disk-root
            name: RootDiskFull
            kind: metric
            severity: critical
            forSeconds: 120
            metric:
              name: system.filesystem.utilization
              matchers:
                - { name: mountpoint, op: "=", value: "/" }
              aggregation: max
              windowSeconds: 60
              comparison: ">"
              threshold: 0.95
              recoveryThreshold: 0.9
            labels:
              team: "storage"
            annotations:
              summary: "{{mountpoint}} on {{host}} at {{value|percent}}"
          - id: panics
            name: KernelPanic
            kind: log
            log: { pattern: "panic", windowSeconds: 300, minCount: 1 }
        """;

    [Fact]
    public void ParseYaml_ReadsRules_WithTypedScalars()
    {
        var rules = RuleFile.ParseYaml(Yaml);
        Assert.Equal(["disk-root", "panics"], rules.Select(r => r.Id));
        var disk = rules[0];
        Assert.Equal(AlertSeverity.Critical, disk.Severity);
        Assert.Equal(120, disk.ForSeconds);
        Assert.Equal(Aggregation.Max, disk.Metric!.Aggregation);
        Assert.Equal(Comparison.GreaterThan, disk.Metric.Comparison);
        Assert.Equal(0.9, disk.Metric.RecoveryThreshold);
        Assert.Equal(MatchOperator.Equal, disk.Metric.Matchers[0].Op);
        Assert.Equal("storage", disk.Labels["team"]);
        Assert.Equal(RuleKind.Log, rules[1].Kind);
        Assert.Empty(new RuleValidator(new MetricCatalog()).Validate(disk));
    }

    [Fact]
    public void ParseJson_ReadsAList()
    {
        var rules = RuleFile.ParseJson("""[{ "id": "a", "name": "A", "kind": "absence", "absence": { "afterSeconds": 30 } }]""");
        Assert.Equal(30, Assert.Single(rules).Absence!.AfterSeconds);
    }

    [Theory]
    [InlineData("rules: 5", "expected a list")]
    [InlineData("- id: a\n  name: A\n  kind: nonsense\n", "rule #1")]
    [InlineData("- id: a\n  name: A\n- id: a\n  name: B\n", "more than once")]
    [InlineData("- {id: a, name: [", "")]
    public void ParseYaml_RejectsBadFiles_WithAClearMessage(string yaml, string expected)
    {
        var e = Assert.ThrowsAny<Exception>(() => RuleFile.ParseYaml(yaml));
        Assert.True(e is InvalidDataException or YamlDotNet.Core.YamlException, e.GetType().Name);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NamesTheFile_OnError()
    {
        using var dir = new Platform.TestKit.TempDirectory();
        var path = Path.Combine(dir.Path, "rules.yaml");
        File.WriteAllText(path, "rules: 5");
        var e = Assert.Throws<InvalidDataException>(() => RuleFile.Load(path));
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
    }
}
