using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Platform.TestKit;

namespace Platform.Faults.Tests;

/// <summary>
/// kill -9 of the broker process while an idempotent producer sends with acks=all, restarted on the same port and
/// data directory each time: every acknowledged record is in the log afterwards, and none is there twice.
/// </summary>
public class BrokerKillTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public Task KillNine_DuringIdempotentAcksAllProduction_ThreeCycles_NoAcknowledgedRecordLostOrDuplicated() =>
        RunAsync("short", cycles: 3, acksPerCycle: 2_000);

    [Fact]
    [Trait("Category", "Slow")]
    public Task KillNine_DuringIdempotentAcksAllProduction_FiftyCycles_NoAcknowledgedRecordLostOrDuplicated() =>
        RunAsync("long", cycles: 50, acksPerCycle: 5_000);

    private async Task RunAsync(string variant, int cycles, int acksPerCycle)
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = Stopwatch.StartNew();
        var report = new FaultReport("broker kill -9 during acks=all idempotent production", variant, output);
        using var dir = new TempDirectory("fault-kill");
        var topic = Clients.UniqueTopic("kill");
        var broker = await BrokerProcess.StartAsync(dir.Path, 0, partitions: 3, Deadline, ct);
        var port = broker.Port;
        var bootstrap = broker.Bootstrap;
        long acked = 0, failed = 0, sent = 0;
        var ackedIds = new ConcurrentDictionary<long, byte>();
        string? fatal = null;
        string? firstFailure = null;
        try
        {
            using var producer = new ProducerBuilder<Null, string>(Clients.Producer(bootstrap, idempotent: true))
                .SetErrorHandler((_, e) => fatal ??= e.IsFatal ? e.ToString() : null)
                .Build();
            using var stop = new CancellationTokenSource();
            var production = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    if (sent - Interlocked.Read(ref acked) - Interlocked.Read(ref failed) > 5_000)
                    {
                        await Task.Delay(2, CancellationToken.None); // back-pressure while the broker is down or busy
                        continue;
                    }

                    var id = sent++;
                    producer.Produce(topic, new Message<Null, string> { Value = $"r{id}" }, d =>
                    {
                        if (d.Error.IsError)
                        {
                            firstFailure ??= d.Error.ToString();
                            Interlocked.Increment(ref failed);
                        }
                        else
                        {
                            ackedIds[id] = 0;
                            Interlocked.Increment(ref acked);
                        }
                    });
                }
            }, ct);

            for (var cycle = 1; cycle <= cycles; cycle++)
            {
                var target = Interlocked.Read(ref acked) + acksPerCycle;
                await Poll.UntilAsync(() => Interlocked.Read(ref acked) >= target || fatal is not null || production.IsFaulted, Deadline, $"{acksPerCycle} acknowledgements in cycle {cycle}", ct);
                Assert.Null(fatal);
                await broker.KillAsync(ct);
                broker.Dispose();
                report.FaultsInjected++;
                broker = await RestartAsync(dir.Path, port, ct);
            }

            var final = Interlocked.Read(ref acked) + acksPerCycle;
            await Poll.UntilAsync(() => Interlocked.Read(ref acked) >= final || fatal is not null, Deadline, "acknowledgements after the last restart", ct);
            await stop.CancelAsync();
            await production;
            Assert.Equal(0, producer.Flush(Deadline));
            Assert.Null(fatal);

            var counts = new Dictionary<long, int>();
            foreach (var value in TopicReader.ReadAll(bootstrap, topic, Deadline))
            {
                var id = long.Parse(value.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                counts[id] = counts.GetValueOrDefault(id) + 1;
            }

            var lost = ackedIds.Keys.Count(id => !counts.ContainsKey(id));
            var duplicated = counts.Count(c => c.Value > 1);
            report.RecordsChecked = ackedIds.Count;
            report.LossesFound = lost + duplicated;
            report.Notes = $"lost={lost} duplicated={duplicated} sent={sent} not-acknowledged={Interlocked.Read(ref failed)} in-log={counts.Count}" +
                (firstFailure is null ? "" : $" first delivery error: {firstFailure}");
            report.Write(clock.Elapsed);
            Assert.Equal(0, lost);
            Assert.Equal(0, duplicated);
        }
        finally
        {
            broker.Dispose();
        }
    }

    /// <summary>Starts the broker again on the same port; the port can stay busy for a moment after the kill.</summary>
    private static async Task<BrokerProcess> RestartAsync(string dataDirectory, int port, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await BrokerProcess.StartAsync(dataDirectory, port, partitions: 3, Deadline, ct);
            }
            catch (InvalidOperationException) when (clock.Elapsed < Deadline)
            {
                await Task.Delay(200, ct);
            }
        }
    }
}
