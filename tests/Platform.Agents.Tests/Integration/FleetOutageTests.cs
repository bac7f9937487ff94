using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker;
using Platform.Telemetry.V1;
using Platform.TestKit;

namespace Platform.Agents.Tests.Integration;

/// <summary>
/// Several real agents (<see cref="Agent.StartAsync"/>, each with its own host id, spool and log file) publish to
/// the in-process broker; the broker is stopped for the whole outage and started again on the same port and data
/// directory. Afterwards both topics are read back: for every host, every metric batch and every log line must be
/// there exactly once and in the order it was produced. The test prints the records it checked.
/// </summary>
public sealed class FleetOutageTests(ITestOutputHelper output) : IDisposable
{
    private const int Agents = 4;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private readonly TempDirectory _dir = new("fleet-outage");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public Task BrokerDown_FiveSeconds_UnderFourAgents_NothingLost_PerHostOrderKept() => RunAsync(TimeSpan.FromSeconds(5));

    [Fact]
    [Trait("Category", "Slow")]
    public Task BrokerDown_SixtySeconds_UnderFourAgents_NothingLost_PerHostOrderKept() => RunAsync(TimeSpan.FromSeconds(60));

    private async Task RunAsync(TimeSpan outage)
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var data = Path.Join(_dir.Path, "broker");
        var broker = await BrokerServer.StartAsync(TelemetryReadBack.BrokerAt("127.0.0.1:0", data), NullLoggerFactory.Instance, ct);
        var bootstrap = broker.BootstrapServers;
        var hosts = Enumerable.Range(0, Agents).Select(i => new HostUnderTest($"fleet-host-{i}", Path.Join(_dir.Path, $"app-{i}.log"))).ToArray();
        var agents = new Agent[Agents];
        try
        {
            for (var i = 0; i < Agents; i++)
            {
                File.WriteAllText(hosts[i].LogFile, "");
                var options = new AgentOptions
                {
                    Bootstrap = bootstrap,
                    Interval = Interval,
                    HostId = hosts[i].Id,
                    StateDirectory = Path.Join(_dir.Path, $"agent-{i}"),
                    CollectContainers = false,
                    LogsFromBeginning = true,
                };
                options.LogPaths.Add(hosts[i].LogFile);
                agents[i] = await Agent.StartAsync(options, NullLoggerFactory.Instance, ct);
            }

            WriteLines(hosts, 10);
            await Poll.UntilAsync(() => agents.All(a => a.Counters.BatchesPublished >= 6), TimeSpan.FromSeconds(60), "every agent publishing before the outage", ct);

            await broker.DisposeAsync();
            var publishedBefore = agents.Select(a => a.Counters.BatchesPublished).ToArray();
            var ticksAtStop = agents.Select(a => a.Counters.Ticks).ToArray();
            var ticksDuringOutage = (int)(outage / Interval);
            var half = false;
            // The outage lasts until every agent has spooled the outage's worth of ticks; lines keep being written.
            await Poll.UntilAsync(() =>
            {
                if (!half && agents.Select((a, i) => a.Counters.Ticks >= ticksAtStop[i] + (ticksDuringOutage / 2)).All(x => x))
                {
                    half = true;
                    WriteLines(hosts, 10);
                }

                return agents.Select((a, i) => a.Counters.Ticks >= ticksAtStop[i] + ticksDuringOutage).All(x => x);
            }, outage + TimeSpan.FromSeconds(60), "ticks during the outage", ct);
            WriteLines(hosts, 10);
            Assert.All(agents, a => Assert.True(a.Spool.PendingRecords > 0, "batches waited in the spool during the outage"));

            broker = await TelemetryReadBack.RestartAsync(bootstrap, data, TimeSpan.FromSeconds(60), ct);
            WriteLines(hosts, 10);
            await Poll.UntilAsync(
                () => agents.Select((a, i) => a.Counters.BatchesPublished > publishedBefore[i] + ticksDuringOutage && a.Spool.PendingRecords == 0).All(x => x),
                TimeSpan.FromSeconds(120), "every spool sent after the restart", ct);
            WriteLines(hosts, 5);
            await Poll.UntilAsync(() => agents.Select((a, i) => a.Counters.LogLines >= hosts[i].Lines).All(x => x), TimeSpan.FromSeconds(60), "the last lines read", ct);
        }
        finally
        {
            foreach (var agent in agents)
            {
                if (agent is not null)
                {
                    await agent.DisposeAsync();
                }
            }
        }

        try
        {
            Assert.All(agents, a => Assert.Equal(0, a.Spool.PendingRecords));
            var expectedBatches = agents.Sum(a => (long)a.MetricSequence);
            var expectedLines = hosts.Sum(h => (long)h.Lines);
            var metrics = new Dictionary<string, List<MetricBatch>>(StringComparer.Ordinal);
            var logs = new Dictionary<string, List<LogBatch>>(StringComparer.Ordinal);
            foreach (var h in hosts)
            {
                metrics[h.Id] = [];
                logs[h.Id] = [];
            }

            ReadBack(bootstrap, metrics, logs, () => metrics.Values.Sum(m => m.Count) >= expectedBatches && logs.Values.Sum(l => l.Sum(b => b.Records.Count)) >= expectedLines);

            long checkedBatches = 0, checkedLines = 0, losses = 0;
            for (var i = 0; i < Agents; i++)
            {
                var id = hosts[i].Id;
                var agent = agents[i];
                // One host's records go to one partition, so consumption order is publish order.
                var sequences = metrics[id].Select(b => b.Sequence).ToList();
                var expected = Enumerable.Range(1, (int)agent.MetricSequence).Select(s => (ulong)s).ToList();
                losses += expected.Except(sequences).Count();
                checkedBatches += sequences.Count;
                Assert.True(sequences.SequenceEqual(expected),
                    $"{id}: metric batch sequences (last {agent.MetricSequence}, publish errors {agent.Counters.PublishErrors}): {string.Join(",", sequences)}");
                Assert.All(metrics[id], b => Assert.Equal(agent.RunId, b.AgentRunId));
                Assert.Equal(Enumerable.Range(1, logs[id].Count).Select(s => (ulong)s), logs[id].Select(b => b.Sequence));
                var lines = logs[id].SelectMany(b => b.Records).Select(r => r.Message).ToList();
                var expectedText = Enumerable.Range(1, hosts[i].Lines).Select(n => Line(id, n)).ToList();
                losses += expectedText.Except(lines).Count();
                checkedLines += lines.Count;
                Assert.Equal(expectedText, lines);
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"broker down {outage.TotalSeconds:0} s under {Agents} agents: records checked={checkedBatches + logs.Values.Sum(l => l.Count)} ({checkedBatches} metric batches, {checkedLines} log lines in {logs.Values.Sum(l => l.Count)} log batches) faults injected=1 losses found={losses} out of order=0 elapsed={clock.Elapsed.TotalSeconds:0.0}s"));
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    private static string Line(string host, int n) => $"{host} line {n}";

    private static void WriteLines(HostUnderTest[] hosts, int count)
    {
        foreach (var h in hosts)
        {
            using var writer = File.AppendText(h.LogFile);
            for (var i = 0; i < count; i++)
            {
                writer.Write(Line(h.Id, ++h.Lines) + "\n");
            }
        }
    }

    /// <summary>Reads both topics from the beginning, by host (the record key), until <paramref name="done"/> or 120 s.</summary>
    private static void ReadBack(string bootstrap, Dictionary<string, List<MetricBatch>> metrics, Dictionary<string, List<LogBatch>> logs, Func<bool> done) =>
        TelemetryReadBack.ReadUntil(
            bootstrap,
            TimeSpan.FromSeconds(120),
            done,
            (message, batch) =>
            {
                var host = Encoding.UTF8.GetString(message.Key);
                Assert.Equal(host, batch.HostId);
                metrics[host].Add(batch);
            },
            (message, batch) =>
            {
                var host = Encoding.UTF8.GetString(message.Key);
                Assert.Equal(host, batch.HostId);
                logs[host].Add(batch);
            });

    private sealed class HostUnderTest(string id, string logFile)
    {
        public string Id { get; } = id;

        public string LogFile { get; } = logFile;

        public int Lines { get; set; }
    }
}
