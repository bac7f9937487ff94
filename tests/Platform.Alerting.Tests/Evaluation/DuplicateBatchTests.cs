using Google.Protobuf;
using Platform.Telemetry.Alerts;
using Platform.Telemetry.V1;

namespace Platform.Alerting.Tests.Evaluation;

/// <summary>The agent delivers at least once: a batch sent again after a crash of the agent (same agent run, a
/// sequence already applied) is dropped, per host and per stream, and a new agent run starts over.</summary>
public sealed class DuplicateBatchTests
{
    private static MetricBatch Cpu(EngineFixture f, string host, string run, ulong sequence, double value, DateTimeOffset? at = null)
    {
        var batch = new MetricBatch
        {
            SchemaVersion = 1,
            HostId = host,
            TimestampUnixMs = (at ?? f.Clock.Now).ToUnixTimeMilliseconds(),
            Sequence = sequence,
            AgentRunId = run,
        };
        batch.Samples.Add(new Sample { Name = "system.cpu.utilization", Value = value, Unit = "1" });
        return batch;
    }

    private static LogBatch Logs(EngineFixture f, string host, string run, ulong sequence, params string[] lines)
    {
        var batch = new LogBatch { HostId = host, TimestampUnixMs = f.Clock.Now.ToUnixTimeMilliseconds(), Sequence = sequence, AgentRunId = run };
        foreach (var line in lines)
        {
            batch.Records.Add(new LogRecord { Message = line, Source = "/var/log/app.log", TimestampUnixMs = f.Clock.Now.ToUnixTimeMilliseconds() });
        }

        return batch;
    }

    private static AlertRule OomRule(int minCount) => new()
    {
        Id = "oom",
        Name = "OutOfMemory",
        Kind = RuleKind.Log,
        Log = new LogCondition { Pattern = "out of memory", WindowSeconds = 60, MinCount = minCount, IgnoreCase = true },
    };

    [Fact]
    public void Ingest_DropsARepeatedMetricBatch_AvgWindowUnchanged()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule(aggregation: Aggregation.Avg, window: 60, threshold: 0.6));
        Assert.True(f.Engine.Ingest(Cpu(f, "web-1", "run-a", 1, 0.1)));
        f.Clock.Advance(TimeSpan.FromSeconds(1));
        var second = Cpu(f, "web-1", "run-a", 2, 1.0).ToByteArray();
        Assert.True(f.Engine.Ingest(f.Engine.Decoder.Decode(second)));
        f.Drain();
        Assert.Empty(f.Records); // avg 0.55

        // The same record delivered again (twice) would make the avg 0.7 (then 0.775) and fire.
        f.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(f.Engine.Ingest(f.Engine.Decoder.Decode(second)));
        Assert.False(f.Engine.Ingest(MetricBatch.Parser.ParseFrom(second)));
        f.Drain();
        Assert.Empty(f.Records);
        Assert.Equal(2, f.Engine.DuplicateBatches);

        // An older batch of the same run is a repeat too; the next one is applied.
        Assert.False(f.Engine.Ingest(Cpu(f, "web-1", "run-a", 1, 1.0)));
        Assert.True(f.Engine.Ingest(Cpu(f, "web-1", "run-a", 3, 1.0)));
        f.Drain();
        Assert.Equal([AlertState.Firing], f.StatesOf("cpu")); // avg of 0.1, 1.0, 1.0 = 0.7
        Assert.Equal(0.7, f.Records[^1].Value!.Value, 6);
    }

    [Fact]
    public void Ingest_DropsARepeatedLogBatch_LogRuleCountsItsLinesOnce()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(OomRule(minCount: 2));
        var first = Logs(f, "app-1", "run-a", 1, "Out of memory: killed process 12");
        Assert.True(f.Engine.Ingest(first));
        Assert.False(f.Engine.Ingest(first.Clone()));
        f.Drain();
        Assert.Empty(f.Records); // one line, not two

        f.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(f.Engine.Ingest(Logs(f, "app-1", "run-a", 2, "out of memory again")));
        f.Drain();
        var firing = Assert.Single(f.Records);
        Assert.Equal(AlertState.Firing, firing.State);
        Assert.Equal(2, firing.Value);
        Assert.Equal(1, f.Engine.DuplicateBatches);
    }

    [Fact]
    public void Ingest_AppliesANewAgentRun_FromSequenceOne()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Engine.UpsertRule(OomRule(minCount: 2));
        Assert.True(f.Engine.Ingest(Cpu(f, "web-1", "run-a", 7, 0.1)));
        Assert.True(f.Engine.Ingest(Logs(f, "web-1", "run-a", 4, "out of memory")));
        f.Clock.Advance(TimeSpan.FromSeconds(1));

        // The agent restarted: its sequences start at 1 again under a new run id.
        Assert.True(f.Engine.Ingest(Cpu(f, "web-1", "run-b", 1, 0.95)));
        Assert.True(f.Engine.Ingest(Logs(f, "web-1", "run-b", 1, "out of memory")));
        f.Drain();
        Assert.Equal([AlertState.Firing], f.StatesOf("cpu"));
        Assert.Equal([AlertState.Firing], f.StatesOf("oom"));
        Assert.Equal(0, f.Engine.DuplicateBatches);
    }

    [Fact]
    public void Ingest_KeepsPositionsPerHostAndStream()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(OomRule(minCount: 5));
        Assert.True(f.Engine.Ingest(Cpu(f, "web-1", "run-a", 1, 0.1)));
        Assert.True(f.Engine.Ingest(Cpu(f, "web-2", "run-a", 1, 0.1))); // another host, same run id and sequence
        Assert.True(f.Engine.Ingest(Logs(f, "web-1", "run-a", 1, "out of memory"))); // logs count on their own

        // The parts of one large tick: the same timestamp, consecutive sequences.
        Assert.True(f.Engine.Ingest(Cpu(f, "web-1", "run-a", 2, 0.1)));
        Assert.True(f.Engine.Ingest(Cpu(f, "web-1", "run-a", 3, 0.1)));
        Assert.Equal(0, f.Engine.DuplicateBatches);
    }

    [Fact]
    public void Ingest_AppliesBatchesWithoutSequence()
    {
        var f = new EngineFixture();
        Assert.True(f.Engine.Ingest(Cpu(f, "web-1", "run-a", 0, 0.1)));
        Assert.True(f.Engine.Ingest(Cpu(f, "web-1", "run-a", 0, 0.1)));
        Assert.Equal(0, f.Engine.DuplicateBatches);
    }

    [Fact]
    public void Replay_RemembersThePosition_SoTheBatchDeliveredAgainIsDropped()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule(aggregation: Aggregation.Avg, window: 60, threshold: 0.6));
        f.Engine.UpsertRule(OomRule(minCount: 2));
        var earlier = f.Clock.Now - TimeSpan.FromSeconds(5);
        Assert.True(f.Engine.Replay(f.Engine.Decoder.Decode(Cpu(f, "web-1", "run-a", 1, 0.1, earlier).ToByteArray())));
        var read = Cpu(f, "web-1", "run-a", 2, 1.0, earlier.AddSeconds(1)).ToByteArray();
        Assert.True(f.Engine.Replay(f.Engine.Decoder.Decode(read)));
        var readLogs = Logs(f, "web-1", "run-a", 9, "out of memory");
        Assert.True(f.Engine.Replay(readLogs));

        // Read back at assignment, then delivered again by the group consumer: applied once.
        Assert.False(f.Engine.Ingest(f.Engine.Decoder.Decode(read)));
        Assert.False(f.Engine.Ingest(readLogs.Clone()));
        Assert.False(f.Engine.Replay(f.Engine.Decoder.Decode(read)));
        f.Drain();
        Assert.Empty(f.Records);
        Assert.Equal(3, f.Engine.DuplicateBatches);

        Assert.True(f.Engine.Ingest(Cpu(f, "web-1", "run-a", 3, 0.2))); // avg 0.433
        Assert.True(f.Engine.Ingest(Logs(f, "web-1", "run-a", 10, "all fine")));
        f.Drain();
        Assert.Empty(f.Records);
    }

    [Fact]
    public void DropHost_ForgetsThePositions()
    {
        var f = new EngineFixture();
        var batch = Cpu(f, "web-1", "run-a", 4, 0.1);
        Assert.True(f.Engine.Ingest(batch));
        f.Engine.DropHost("web-1");

        // The host's partition came back after another instance had it: its batches are new here.
        Assert.True(f.Engine.Ingest(batch));
    }
}
