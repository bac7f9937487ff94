using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker;
using Platform.Telemetry;
using Platform.Telemetry.V1;
using Platform.TestKit;

namespace Platform.Agents.Tests.Integration;

/// <summary>
/// The agent against the real broker, in-process on 127.0.0.1: a Confluent.Kafka consumer decodes what the
/// agent published; the broker is stopped for a while and restarted on the same port and data directory,
/// and every batch (and every log line) must arrive exactly once, in order.
/// </summary>
public sealed class AgentBrokerTests : IDisposable
{
    private readonly TempDirectory _dir = new("agent-broker");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public Task BrokerOutage_FiveSeconds_EveryBatchArrivesOnceInOrder() => RunOutageAsync(TimeSpan.FromSeconds(5));

    [Fact]
    [Trait("Category", "Slow")]
    public Task BrokerOutage_ThirtySeconds_EveryBatchArrivesOnceInOrder() => RunOutageAsync(TimeSpan.FromSeconds(30));

    [Fact]
    public async Task AgentRestart_WhileBrokerDown_NextRunSendsTheSpoolFirst_NothingLostOrRepeated()
    {
        var ct = TestContext.Current.CancellationToken;
        var data = Path.Join(_dir.Path, "broker");
        var logFile = Path.Join(_dir.Path, "app.log");
        File.WriteAllText(logFile, "");
        var broker = await BrokerServer.StartAsync(TelemetryReadBack.BrokerAt("127.0.0.1:0", data), NullLoggerFactory.Instance, ct);
        var bootstrap = broker.BootstrapServers;
        AgentOptions Options()
        {
            var options = new AgentOptions
            {
                Bootstrap = bootstrap,
                Interval = TimeSpan.FromMilliseconds(250),
                HostId = "restart-host",
                StateDirectory = Path.Join(_dir.Path, "agent"),
                CollectContainers = false,
                LogsFromBeginning = true,
            };
            options.LogPaths.Add(logFile);
            return options;
        }

        File.AppendAllText(logFile, "a\nb\n");
        var first = await Agent.StartAsync(Options(), NullLoggerFactory.Instance, ct);
        await Poll.UntilAsync(() => first.Counters.BatchesPublished >= 4, TimeSpan.FromSeconds(60), "first run publishing", ct);
        await broker.DisposeAsync();
        File.AppendAllText(logFile, "c\nd\n");
        var ticks = first.Counters.Ticks;
        await Poll.UntilAsync(() => first.Counters.Ticks >= ticks + 4, TimeSpan.FromSeconds(60), "ticks with the broker down", ct);
        Assert.True(first.Spool.PendingRecords > 0, "batches wait in the spool while the broker is down");
        await first.DisposeAsync();
        var firstRun = (first.RunId, Last: first.MetricSequence);

        File.AppendAllText(logFile, "e\n");
        broker = await TelemetryReadBack.RestartAsync(bootstrap, data, TimeSpan.FromSeconds(60), ct);
        var second = await Agent.StartAsync(Options(), NullLoggerFactory.Instance, ct);
        await Poll.UntilAsync(() => second.Spool.PendingRecords == 0 && second.Counters.BatchesPublished >= 3, TimeSpan.FromSeconds(90), "the spool sent by the second run", ct);
        File.AppendAllText(logFile, "f\n");
        await Poll.UntilAsync(() => second.Counters.LogLines >= 2, TimeSpan.FromSeconds(60), "second run reads e and f", ct);
        await second.DisposeAsync();
        try
        {
            var (metrics, logs) = ConsumeAll(bootstrap, m => m.Count(b => b.AgentRunId == second.RunId) >= (int)second.MetricSequence
                && m.Count(b => b.AgentRunId == firstRun.RunId) >= (int)firstRun.Last, l => l.Sum(b => b.Records.Count) >= 6);

            // The first run's batches, all of them, in order, then the second run's.
            var sequences = metrics.Select(b => (b.AgentRunId, b.Sequence)).ToList();
            var expected = Enumerable.Range(1, (int)firstRun.Last).Select(i => (firstRun.RunId, (ulong)i))
                .Concat(Enumerable.Range(1, (int)second.MetricSequence).Select(i => (second.RunId, (ulong)i)));
            Assert.Equal(expected, sequences);
            Assert.Equal(["a", "b", "c", "d", "e", "f"], logs.SelectMany(b => b.Records).Select(r => r.Message));
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    /// <summary>Reads both topics from the beginning until the conditions hold (or 90 s pass).</summary>
    private static (List<MetricBatch> Metrics, List<LogBatch> Logs) ConsumeAll(string bootstrap, Func<List<MetricBatch>, bool> metricsDone, Func<List<LogBatch>, bool> logsDone)
    {
        var metrics = new List<MetricBatch>();
        var logs = new List<LogBatch>();
        TelemetryReadBack.ReadUntil(bootstrap, TimeSpan.FromSeconds(90), () => metricsDone(metrics) && logsDone(logs), (_, b) => metrics.Add(b), (_, b) => logs.Add(b));
        return (metrics, logs);
    }

    private async Task RunOutageAsync(TimeSpan outage)
    {
        var ct = TestContext.Current.CancellationToken;
        var data = Path.Join(_dir.Path, "broker");
        var logFile = Path.Join(_dir.Path, "app.log");
        File.WriteAllText(logFile, "");
        var broker = await BrokerServer.StartAsync(TelemetryReadBack.BrokerAt("127.0.0.1:0", data), NullLoggerFactory.Instance, ct);
        var bootstrap = broker.BootstrapServers;
        var options = new AgentOptions
        {
            Bootstrap = bootstrap,
            Interval = TimeSpan.FromMilliseconds(250),
            HostId = "it-host",
            StateDirectory = Path.Join(_dir.Path, "agent"),
            CollectContainers = false,
            LogsFromBeginning = true,
        };
        options.LogPaths.Add(logFile);
        var line = 0;
        void WriteLines(int count)
        {
            using var writer = File.AppendText(logFile);
            for (var i = 0; i < count; i++)
            {
                writer.Write($"line {++line}\n");
            }
        }

        ulong lastSequence;
        var agent = await Agent.StartAsync(options, NullLoggerFactory.Instance, ct);
        try
        {
            WriteLines(10);
            await Poll.UntilAsync(() => agent.Counters.BatchesPublished >= 6, TimeSpan.FromSeconds(60), "batches published before the outage", ct);

            await broker.DisposeAsync();
            var publishedBefore = agent.Counters.BatchesPublished;
            WriteLines(10);
            // The outage lasts until the agent has spooled the outage's worth of ticks.
            var ticksDuringOutage = (int)(outage / options.Interval);
            var ticksAtStop = agent.Counters.Ticks;
            await Poll.UntilAsync(() => agent.Counters.Ticks >= ticksAtStop + ticksDuringOutage, outage + TimeSpan.FromSeconds(60), "ticks during the outage", ct);
            WriteLines(10);
            Assert.True(agent.Spool.PendingRecords > 0, "batches waited in the spool during the outage");

            broker = await TelemetryReadBack.RestartAsync(bootstrap, data, TimeSpan.FromSeconds(60), ct);
            WriteLines(10);
            await Poll.UntilAsync(() => agent.Counters.BatchesPublished > publishedBefore + ticksDuringOutage, TimeSpan.FromSeconds(90), "the spool sent after the restart", ct);
        }
        finally
        {
            await agent.DisposeAsync();
            lastSequence = agent.MetricSequence;
        }

        Assert.Equal(0, agent.Spool.PendingRecords);
        try
        {
            var metrics = new List<MetricBatch>();
            var logs = new List<LogBatch>();
            TelemetryReadBack.ReadUntil(
                bootstrap,
                TimeSpan.FromSeconds(90),
                () => metrics.Count >= (int)lastSequence && logs.Sum(b => b.Records.Count) >= line,
                (message, batch) =>
                {
                    AssertFromThisHost(message);
                    metrics.Add(batch);
                },
                (message, batch) =>
                {
                    AssertFromThisHost(message);
                    logs.Add(batch);
                });

            // Exactly once, in order: one host's batches are in one partition, so consumption order is publish order.
            var sequences = metrics.Select(b => b.Sequence).ToList();
            Assert.True(sequences.SequenceEqual(Enumerable.Range(1, (int)lastSequence).Select(i => (ulong)i)),
                $"metric batch sequences (last {lastSequence}, publish errors {agent.Counters.PublishErrors}): {string.Join(",", sequences)}");
            Assert.All(metrics, b => Assert.Equal(agent.RunId, b.AgentRunId));
            Assert.Contains(metrics, b => b.Samples.Any(s => s.Name == MetricNames.CpuUtilization));
            Assert.Equal(Enumerable.Range(1, logs.Count).Select(i => (ulong)i), logs.Select(b => b.Sequence));
            Assert.Equal(Enumerable.Range(1, line).Select(i => $"line {i}"), logs.SelectMany(b => b.Records).Select(r => r.Message));
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    private static void AssertFromThisHost(Message<byte[], byte[]> message)
    {
        Assert.Equal("it-host", System.Text.Encoding.UTF8.GetString(message.Key));
        Assert.True(TelemetryCodec.IsSupportedContentType(message.Headers.GetLastBytes(Topics.ContentTypeHeader)));
    }
}
