using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Tests.Evaluation;

/// <summary>
/// The engine decides per series descriptor (and rules version) whether a sample is watched, and finds a host's series
/// by descriptor id: these tests change rules, decoder generations and series lifetimes under that cache.
/// </summary>
public sealed class DescriptorCacheTests
{
    private const string Cpu = "system.cpu.utilization";
    private const string Memory = "system.memory.utilization";

    [Fact]
    public void UnwatchedMetrics_NeverCreateSeries()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        for (var i = 0; i < 3; i++)
        {
            f.Batch("web-1", (Memory, 0.99, []), ("system.disk.io", 1e9, ["device=sda", "direction=read"]), ("system.uptime", 100, []));
            f.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(0, f.Engine.SeriesCount);
        f.Batch("web-1", (Memory, 0.99, []), (Cpu, 0.5, []));
        Assert.Equal(1, f.Engine.SeriesCount);
        Assert.Empty(f.Records);
    }

    [Fact]
    public void SeriesNoMatcherCanSelect_MakeNoSeries_ButHostMatchersWaitForTheHost()
    {
        var f = new EngineFixture();
        var rule = EngineFixture.CpuRule();
        f.Engine.UpsertRule(rule with { Metric = rule.Metric! with { Matchers = [new LabelMatcher { Name = "cpu", Op = MatchOperator.Equal, Value = "" }] } });
        f.Batch("web-1", (Cpu, 0.5, []), (Cpu, 0.99, ["cpu=0"]), (Cpu, 0.99, ["cpu=1"]));
        Assert.Equal(1, f.Engine.SeriesCount); // only the total: no per-core series is kept
        Assert.Empty(f.Records);

        f.Engine.UpsertRule(new AlertRule
        {
            Id = "core-on-db",
            Name = "CoreOnDb",
            Kind = RuleKind.Metric,
            Metric = new MetricCondition
            {
                Name = Cpu,
                Matchers = [new LabelMatcher { Name = "host", Op = MatchOperator.Regex, Value = "db-.*" }, new LabelMatcher { Name = "cpu", Op = MatchOperator.Equal, Value = "1" }],
                Comparison = Comparison.GreaterThan,
                Threshold = 0.9,
            },
        });
        f.Batch("web-1", (Cpu, 0.5, []), (Cpu, 0.99, ["cpu=0"]), (Cpu, 0.99, ["cpu=1"]));
        f.Batch("db-1", (Cpu, 0.5, []), (Cpu, 0.99, ["cpu=0"]), (Cpu, 0.99, ["cpu=1"]));
        // web-1 and db-1 each keep the total and cpu=1 (the host matcher is decided per series); cpu=0 nowhere.
        Assert.Equal(4, f.Engine.SeriesCount);
        var fired = Assert.Single(f.Records);
        Assert.Equal("db-1", fired.Labels["host"]);
        Assert.Equal("1", fired.Labels["cpu"]);
    }

    [Fact]
    public void RuleAdded_WhileDescriptorsAreCached_TakesEffectOnTheNextBatch()
    {
        var f = new EngineFixture();
        f.Batch("web-1", (Cpu, 0.95, []), (Memory, 0.95, []));
        f.Batch("web-2", (Cpu, 0.95, []), (Memory, 0.95, []));
        Assert.Equal(0, f.Engine.SeriesCount);

        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Batch("web-1", (Cpu, 0.95, []), (Memory, 0.95, []));
        Assert.Equal([AlertState.Firing], f.StatesOf("cpu"));
        Assert.Equal("web-1", f.Records[^1].Labels["host"]);
        Assert.Equal(1, f.Engine.SeriesCount);
    }

    [Fact]
    public void RuleChanged_ToAnotherMetric_MovesEvaluationOnTheNextBatch()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Batch("web-1", (Cpu, 0.5, []), (Memory, 0.95, []));
        Assert.Empty(f.Records);

        var onMemory = EngineFixture.CpuRule();
        onMemory = onMemory with { Metric = onMemory.Metric! with { Name = Memory } };
        f.Engine.UpsertRule(onMemory);
        f.Batch("web-1", (Cpu, 0.99, []), (Memory, 0.95, []));
        var fired = Assert.Single(f.Records);
        Assert.Equal(AlertState.Firing, fired.State);
        Assert.Equal(0.95, fired.Value);
    }

    [Fact]
    public void RuleMatchers_ChangedWhileSeriesAreCached_SelectOtherSeriesOnTheNextBatch()
    {
        var f = new EngineFixture();
        var rule = EngineFixture.CpuRule();
        var onCore0 = rule with { Metric = rule.Metric! with { Matchers = [new LabelMatcher { Name = "cpu", Op = MatchOperator.Equal, Value = "0" }] } };
        f.Engine.UpsertRule(onCore0);
        f.Batch("web-1", (Cpu, 0.5, ["cpu=0"]), (Cpu, 0.99, ["cpu=1"]));
        Assert.Empty(f.Records);

        var onCore1 = rule with { Metric = rule.Metric! with { Matchers = [new LabelMatcher { Name = "cpu", Op = MatchOperator.Equal, Value = "1" }] } };
        f.Engine.UpsertRule(onCore1);
        f.Batch("web-1", (Cpu, 0.5, ["cpu=0"]), (Cpu, 0.99, ["cpu=1"]));
        var fired = Assert.Single(f.Records);
        Assert.Equal("1", fired.Labels["cpu"]);
    }

    [Fact]
    public void RuleRemoved_WhileDescriptorsAreCached_StopsCreatingSeries()
    {
        var f = new EngineFixture(staleAfter: TimeSpan.FromSeconds(30));
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        f.Batch("web-1", (Cpu, 0.5, []));
        Assert.Equal(1, f.Engine.SeriesCount);

        f.Engine.RemoveRule("cpu");
        f.Batch("web-2", (Cpu, 0.99, []));
        Assert.Equal(1, f.Engine.SeriesCount); // web-2's sample made no series
        f.Tick(TimeSpan.FromMinutes(1));
        f.Batch("web-1", (Cpu, 0.99, []));
        Assert.Equal(0, f.Engine.SeriesCount);
        Assert.Empty(f.Records);
    }

    [Fact]
    public void HostLabelMatcher_SelectsPerHost_ThoughTheDescriptorIsShared()
    {
        var f = new EngineFixture();
        var rule = EngineFixture.CpuRule();
        f.Engine.UpsertRule(rule with { Metric = rule.Metric! with { Matchers = [new LabelMatcher { Name = "host", Op = MatchOperator.Regex, Value = "db-.*" }] } });
        f.Batch("web-1", (Cpu, 0.99, []));
        f.Batch("db-1", (Cpu, 0.99, []));
        f.Batch("web-2", (Cpu, 0.99, []));
        var fired = Assert.Single(f.Records);
        Assert.Equal("db-1", fired.Labels["host"]);
        Assert.Equal(3, f.Engine.SeriesCount);
    }

    [Fact]
    public void LabelOrder_DoesNotSplitASeries()
    {
        var f = new EngineFixture();
        var rule = EngineFixture.CpuRule(aggregation: Aggregation.Avg, window: 60, threshold: 0.7);
        f.Engine.UpsertRule(rule);
        f.Batch("web-1", (Cpu, 0.99, ["cpu=", "state=busy"]));
        f.Clock.Advance(TimeSpan.FromSeconds(1));
        f.Batch("web-1", (Cpu, 0.01, ["state=busy", "cpu="]));
        Assert.Equal(1, f.Engine.SeriesCount);
        // One window: the average of both samples (0.5) is below the threshold, so the alert resolved.
        Assert.Equal([AlertState.Firing, AlertState.Resolved], f.StatesOf("cpu"));
    }

    [Fact]
    public void DecoderGenerationChange_KeepsEverySeriesWindowAndAlert()
    {
        // A table of 2 descriptors: every batch of 3 series makes the decoder start over at the next one.
        var f = new EngineFixture(maxSeries: 2);
        f.Engine.UpsertRule(EngineFixture.CpuRule(aggregation: Aggregation.Avg, window: 60, threshold: 0.5));
        var generation = f.Engine.Decoder.Generation;
        f.Batch("web-1", (Cpu, 1.0, []), (Memory, 0.1, []), ("system.uptime", 1, []));
        f.Batch("web-2", (Cpu, 0.1, []), (Memory, 0.1, []), ("system.uptime", 1, []));
        Assert.Equal([AlertState.Firing], f.StatesOf("cpu"));
        for (var i = 0; i < 3; i++)
        {
            f.Clock.Advance(TimeSpan.FromSeconds(1));
            f.Batch("web-1", ("system.uptime", 2, []), (Memory, 0.1, []), (Cpu, 0.1, []));
            f.Batch("web-2", (Cpu, 0.1, []), ("system.uptime", 2, []), (Memory, 0.1, []));
        }

        Assert.True(f.Engine.Decoder.Generation >= generation + 4, $"generation {f.Engine.Decoder.Generation}");
        Assert.Equal(2, f.Engine.SeriesCount);
        // web-1's window still holds the 1.0 from the first generation: avg (1.0 + 0.1 + 0.1) / 3 = 0.4 resolved only
        // at the third sample (after two, (1.0 + 0.1) / 2 = 0.55 still held).
        Assert.Equal([AlertState.Firing, AlertState.Resolved], f.StatesOf("cpu"));
        var resolved = f.Records[^1];
        Assert.Equal(EngineFixture.Start.AddSeconds(2), resolved.ResolvedAt);
    }

    [Fact]
    public void StaleSeries_ThatComesBack_IsEvaluatedAsANewSeries()
    {
        var f = new EngineFixture(staleAfter: TimeSpan.FromSeconds(30));
        f.Engine.UpsertRule(EngineFixture.CpuRule(aggregation: Aggregation.Max, window: 600));
        f.Batch("web-1", (Cpu, 0.95, []), (Memory, 0.5, []));
        f.Tick(TimeSpan.FromMinutes(1));
        Assert.Equal(0, f.Engine.SeriesCount);
        Assert.Equal([AlertState.Firing, AlertState.Resolved], f.StatesOf("cpu"));

        // The old window (max 0.95) is gone with the series: 0.5 alone is below the threshold.
        f.Batch("web-1", (Cpu, 0.5, []), (Memory, 0.5, []));
        Assert.Equal(1, f.Engine.SeriesCount);
        Assert.Equal(2, f.Records.Count);
        f.Batch("web-1", (Cpu, 0.97, []), (Memory, 0.5, []));
        Assert.Equal([AlertState.Firing, AlertState.Resolved, AlertState.Firing], f.StatesOf("cpu"));
    }

    [Fact]
    public void SeriesSeen_IsReportedOncePerDescriptor_NotPerSample()
    {
        var f = new EngineFixture();
        for (var host = 0; host < 5; host++)
        {
            f.Batch($"web-{host}", (Cpu, 0.1, ["cpu=0"]), (Cpu, 0.1, ["cpu=1"]), (Memory, 0.1, []));
        }

        Assert.Equal(["system.cpu.utilization{cpu=\"0\"}", "system.cpu.utilization{cpu=\"1\"}", Memory], f.SeriesSeen.Select(d => d.Key));
        f.Engine.UpsertRule(EngineFixture.CpuRule()); // a rules change re-decides, but reports nothing again
        f.Batch("web-0", (Cpu, 0.1, ["cpu=0"]), (Cpu, 0.1, ["cpu=1"]), (Memory, 0.1, []));
        Assert.Equal(3, f.SeriesSeen.Count);
    }

    [Fact]
    public void Ingest_RefusesABatchOfAnotherDecoder()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule());
        var other = new Platform.Telemetry.Decoding.MetricBatchDecoder();
        var batch = new Platform.Telemetry.V1.MetricBatch { HostId = "web-1", SchemaVersion = 1 };
        batch.Samples.Add(new Platform.Telemetry.V1.Sample { Name = Cpu, Value = 0.99 });
        var error = Assert.Throws<ArgumentException>(() => f.Engine.Ingest(other.Decode(Google.Protobuf.MessageExtensions.ToByteArray(batch))));
        Assert.Contains("not decoded by this engine's Decoder", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, f.Engine.SeriesCount);
    }

    [Fact]
    public void DroppedHost_ThatComesBack_GetsFreshSeries()
    {
        var f = new EngineFixture();
        f.Engine.UpsertRule(EngineFixture.CpuRule(aggregation: Aggregation.Max, window: 600));
        f.Batch("web-1", (Cpu, 0.5, []));
        f.Batch("web-2", (Cpu, 0.5, []));
        f.Engine.DropHost("web-1");
        Assert.Equal(1, f.Engine.SeriesCount);
        f.Batch("web-1", (Cpu, 0.97, []));
        Assert.Equal(2, f.Engine.SeriesCount);
        var fired = Assert.Single(f.Records);
        Assert.Equal("web-1", fired.Labels["host"]);
    }
}
