using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Dashboard.Services;
using Platform.TestKit;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Tests.Services;

/// <summary>The agent delivers at least once: a batch it sent again after a crash (the same agent run and a sequence
/// already applied) changes nothing in the live model or the log tail; a new agent run starts over.</summary>
public sealed class DuplicateBatchTests
{
    private static LogBatch Logs(string host, string run, ulong sequence, params string[] lines)
    {
        var batch = new LogBatch { HostId = host, TimestampUnixMs = Batches.Start.ToUnixTimeMilliseconds(), Sequence = sequence, AgentRunId = run };
        foreach (var line in lines)
        {
            batch.Records.Add(new LogRecord { Message = line, Source = "/var/log/app.log", Severity = Severity.Info });
        }

        return batch;
    }

    [Fact]
    public void Apply_AddsNoPoints_ForARepeatedBatch()
    {
        var (model, clock) = Batches.Model();
        model.Apply(Batches.Host("web-1", clock.Now, 0.1, sequence: 1));
        var second = Batches.Host("web-1", clock.Now.AddSeconds(1), 0.9, sequence: 2);
        var host = model.Apply(second);
        var version = host.Version;

        model.Apply(second);
        model.Apply(Batches.Host("web-1", clock.Now, 0.1, sequence: 1)); // an older one of the same run

        Assert.Equal(2, host.Ring(SeriesNames.HostCpu)!.Count);
        Assert.Equal(2, host.Batches);
        Assert.Equal(2, host.DuplicateBatches);
        Assert.Equal(version, host.Version);
        Assert.Equal(0.9, host.Numbers.Cpu!.Value, 6);
        Assert.Equal(2, model.Records);
        Assert.Equal(2, model.Duplicates);
        Assert.Equal(0, host.MissedBatches);
    }

    [Fact]
    public void Apply_TakesANewAgentRun_FromSequenceOne()
    {
        var (model, clock) = Batches.Model();
        model.Apply(Batches.Host("web-1", clock.Now, 0.1, sequence: 40));
        var restarted = Batches.Host("web-1", clock.Now.AddSeconds(1), 0.7, sequence: 1);
        restarted.AgentRunId = "run-2";
        var host = model.Apply(restarted);

        Assert.Equal(2, host.Ring(SeriesNames.HostCpu)!.Count);
        Assert.Equal("run-2", host.AgentRunId);
        Assert.Equal(0, host.DuplicateBatches);
        Assert.Equal(0, host.MissedBatches);
    }

    [Fact]
    public void Apply_StillCountsGaps_AndKeepsHostsApart()
    {
        var (model, clock) = Batches.Model();
        model.Apply(Batches.Host("web-1", clock.Now, 0.1, sequence: 1));
        var host = model.Apply(Batches.Host("web-1", clock.Now.AddSeconds(3), 0.1, sequence: 4));
        var other = model.Apply(Batches.Host("web-2", clock.Now, 0.1, sequence: 1)); // the same run id and sequence, another host

        Assert.Equal(2, host.MissedBatches);
        Assert.Equal(1, other.Batches);
        Assert.Equal(0, model.Duplicates);
    }

    [Fact]
    public async Task Post_AppliesARecordDeliveredTwice_Once()
    {
        var (model, clock) = Batches.Model();
        var value = Batches.Host("web-1", clock.Now, 0.3, sequence: 5).ToByteArray();
        using (var ingest = new MetricsIngest(model, 2, NullLogger.Instance))
        {
            var key = System.Text.Encoding.UTF8.GetBytes("web-1");
            ingest.Post(key, value, 0, 10, TestContext.Current.CancellationToken);
            ingest.Post(key, value, 0, 11, TestContext.Current.CancellationToken);
            ingest.Flush(TestContext.Current.CancellationToken);
            await Poll.UntilAsync(() => model.Records + model.Duplicates == 2, TimeSpan.FromSeconds(30), "both records taken", TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, model.Records);
        Assert.Equal(1, model.Duplicates);
        Assert.Equal(1, model.Find("web-1")!.Ring(SeriesNames.HostCpu)!.Count);
    }

    [Fact]
    public void LogTail_AddsNoLines_ForARepeatedBatch()
    {
        var tail = new LogTail();
        var batch = Logs("web-1", "run-1", 1, "started", "listening on :80");
        Assert.True(tail.Apply(batch));
        Assert.False(tail.Apply(batch.Clone()));
        Assert.True(tail.Apply(Logs("web-1", "run-1", 2, "ready")));
        Assert.False(tail.Apply(Logs("web-1", "run-1", 1, "started", "listening on :80")));

        Assert.Equal(["started", "listening on :80", "ready"], tail.Newest(_ => true, 100).Select(l => l.Message));
        Assert.Equal(2, tail.DuplicateBatches);
    }

    [Fact]
    public void LogTail_AddsLines_OfANewRun_AnotherHost_OrWithoutSequence()
    {
        var tail = new LogTail();
        Assert.True(tail.Apply(Logs("web-1", "run-1", 7, "a")));
        Assert.True(tail.Apply(Logs("web-1", "run-2", 1, "b"))); // the agent restarted
        Assert.True(tail.Apply(Logs("web-2", "run-2", 1, "c"))); // another host
        Assert.True(tail.Apply(Logs("web-3", "", 0, "d")));
        Assert.True(tail.Apply(Logs("web-3", "", 0, "d"))); // no sequence: nothing to tell a repeat by

        Assert.Equal(["a", "b", "c", "d", "d"], tail.Newest(_ => true, 100).Select(l => l.Message));
        Assert.Equal(0, tail.DuplicateBatches);
    }
}
