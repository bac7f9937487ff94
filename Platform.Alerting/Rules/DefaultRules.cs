using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Rules;

/// <summary>The rules seeded into <c>alert-rules</c> on first start (unless present or deleted by a tombstone).</summary>
internal static class DefaultRules
{
    public static IReadOnlyList<AlertRule> All { get; } =
    [
        new AlertRule
        {
            Id = "default-cpu-high",
            Name = "HighCpu",
            Kind = RuleKind.Metric,
            Severity = AlertSeverity.Warning,
            Metric = new MetricCondition
            {
                Name = "system.cpu.utilization",
                // The host total: per-core series carry a numeric "cpu" label.
                Matchers = [new LabelMatcher { Name = "cpu", Op = MatchOperator.NotRegex, Value = "[0-9]+" }],
                Aggregation = Aggregation.Avg,
                WindowSeconds = 60,
                Comparison = Comparison.GreaterThan,
                Threshold = 0.9,
                RecoveryThreshold = 0.85,
            },
            ForSeconds = 300,
            GroupBy = ["host"],
            Annotations = new Dictionary<string, string>
            {
                ["summary"] = "CPU on {{host}} above 90 % for 5 minutes",
                ["description"] = "CPU utilization of {{host}} is {{value|percent}} (threshold {{threshold|percent}}).",
            },
        },
        new AlertRule
        {
            Id = "default-memory-high",
            Name = "HighMemory",
            Kind = RuleKind.Metric,
            Severity = AlertSeverity.Warning,
            Metric = new MetricCondition
            {
                Name = "system.memory.utilization",
                Aggregation = Aggregation.Last,
                Comparison = Comparison.GreaterThan,
                Threshold = 0.9,
                RecoveryThreshold = 0.85,
            },
            ForSeconds = 60,
            GroupBy = ["host"],
            Annotations = new Dictionary<string, string>
            {
                ["summary"] = "Memory on {{host}} above 90 %",
                ["description"] = "Memory utilization of {{host}} is {{value|percent}}.",
            },
        },
        new AlertRule
        {
            Id = "default-filesystem-full",
            Name = "FilesystemFull",
            Kind = RuleKind.Metric,
            Severity = AlertSeverity.Critical,
            Metric = new MetricCondition
            {
                Name = "system.filesystem.utilization",
                Aggregation = Aggregation.Last,
                Comparison = Comparison.GreaterThan,
                Threshold = 0.9,
                RecoveryThreshold = 0.88,
            },
            ForSeconds = 60,
            GroupBy = ["host"],
            Annotations = new Dictionary<string, string>
            {
                ["summary"] = "Filesystem {{mountpoint}} on {{host}} above 90 %",
                ["description"] = "{{mountpoint}} on {{host}} is {{value|percent}} full.",
            },
        },
        new AlertRule
        {
            Id = "default-host-silent",
            Name = "HostSilent",
            Kind = RuleKind.Absence,
            Severity = AlertSeverity.Critical,
            Absence = new AbsenceCondition { AfterSeconds = 60 },
            Annotations = new Dictionary<string, string>
            {
                ["summary"] = "{{host}} sent nothing for 60 s",
                ["description"] = "No data from {{host}} for {{value|round}} s.",
            },
        },
    ];
}
