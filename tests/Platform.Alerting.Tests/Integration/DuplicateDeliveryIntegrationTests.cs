using System.Text.Json.Nodes;
using Google.Protobuf;
using Platform.Telemetry;
using Platform.Telemetry.Alerts;
using Platform.Telemetry.V1;
using Platform.TestKit;

namespace Platform.Alerting.Tests.Integration;

/// <summary>The same encoded batch produced twice to the real broker (the agent's replay after a crash) is evaluated once.</summary>
public sealed class DuplicateDeliveryIntegrationTests
{
    private static readonly TimeSpan Deadline = AlertingCluster.Deadline;

    [Fact]
    public async Task RepeatedBatches_AreEvaluatedOnce()
    {
        await using var cluster = await AlertingCluster.StartAsync(partitions: 1);
        var alerting = await cluster.StartAlertingAsync("a");
        await alerting.PutRuleAsync(new AlertRule
        {
            Id = "oom",
            Name = "OutOfMemory",
            Kind = RuleKind.Log,
            Log = new LogCondition { Pattern = "out of memory", WindowSeconds = 60, MinCount = 2, IgnoreCase = true },
        });
        await alerting.PutRuleAsync(new AlertRule
        {
            Id = "cpu-avg",
            Name = "BusyCpu",
            Kind = RuleKind.Metric,
            Metric = new MetricCondition { Name = "system.cpu.utilization", Aggregation = Aggregation.Avg, WindowSeconds = 60, Comparison = Comparison.GreaterThan, Threshold = 0.5 },
        });
        await alerting.WaitAssignedAsync();

        // Counted twice, the repeated log batch would fire at once with 2 lines, and the repeated metric batch with an
        // avg of 0.567; counted once, both fire on the next batch only: 3 lines, an avg of 0.6.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var oom = Logs("app-1", now, 1, "Out of memory: killed process 12").ToByteArray();
        await cluster.ProduceAsync(Topics.Logs, "app-1", oom);
        await cluster.ProduceAsync(Topics.Logs, "app-1", oom);
        await cluster.ProduceAsync(Topics.Metrics, "app-1", Cpu("app-1", now, 1, 0.1).ToByteArray());
        var busy = Cpu("app-1", now + 1000, 2, 0.8).ToByteArray();
        await cluster.ProduceAsync(Topics.Metrics, "app-1", busy);
        await cluster.ProduceAsync(Topics.Metrics, "app-1", busy);
        await Poll.UntilAsync(() => alerting.Service.DuplicateBatches >= 2, Deadline, "both repeats dropped");
        await cluster.ProduceAsync(Topics.Logs, "app-1", Logs("app-1", now + 2000, 2, "out of memory", "out of memory again").ToByteArray());
        await cluster.ProduceAsync(Topics.Metrics, "app-1", Cpu("app-1", now + 2000, 3, 0.9).ToByteArray());

        JsonArray alerts = [];
        await Poll.UntilAsync(async () =>
        {
            alerts = (await alerting.GetJsonAsync("/api/alerts")).AsArray();
            return alerts.Count(a => (string?)a!["state"] == "firing") >= 2;
        }, Deadline, "both alerts firing");
        Assert.Equal(3, (double)Single(alerts, "oom")["value"]!);
        Assert.Equal(0.6, (double)Single(alerts, "cpu-avg")["value"]!, 6);
        Assert.Equal(2, alerting.Service.DuplicateBatches);
    }

    private static JsonNode Single(JsonArray alerts, string ruleId) =>
        Assert.Single(alerts, a => (string?)a!["ruleId"] == ruleId)!;

    private static MetricBatch Cpu(string host, long time, ulong sequence, double value)
    {
        var batch = new MetricBatch { SchemaVersion = Topics.SchemaVersion, HostId = host, TimestampUnixMs = time, Sequence = sequence, AgentRunId = "run-a" };
        batch.Samples.Add(new Sample { Name = "system.cpu.utilization", Value = value, Unit = "1" });
        return batch;
    }

    private static LogBatch Logs(string host, long time, ulong sequence, params string[] lines)
    {
        var batch = new LogBatch { SchemaVersion = Topics.SchemaVersion, HostId = host, TimestampUnixMs = time, Sequence = sequence, AgentRunId = "run-a" };
        foreach (var line in lines)
        {
            batch.Records.Add(new LogRecord { Message = line, Source = "/var/log/app.log", TimestampUnixMs = time });
        }

        return batch;
    }
}
