using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker;
using Platform.TestKit;

namespace Platform.Faults.Tests;

/// <summary>
/// A consumer group whose member stays alive but stops polling, so its committed offsets fall further and further
/// behind: a paced producer keeps its acknowledged rate while the backlog grows.
/// </summary>
public class StalledConsumerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public Task StalledGroup_BacklogGrows_ProducerKeepsItsRate_Short() =>
        RunAsync("short", TimeSpan.FromSeconds(5), recordsPerSecond: 5_000, minimumRatio: 0.80);

    [Fact]
    [Trait("Category", "Slow")]
    public Task StalledGroup_BacklogGrows_ProducerKeepsItsRate_Long() =>
        RunAsync("long", TimeSpan.FromSeconds(60), recordsPerSecond: 10_000, minimumRatio: 0.95);

    private async Task RunAsync(string variant, TimeSpan phase, int recordsPerSecond, double minimumRatio)
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = Stopwatch.StartNew();
        var report = new FaultReport("stalled consumer group", variant, output);
        using var dir = new TempDirectory("fault-stall");
        await using var broker = await BrokerServer.StartAsync(new BrokerOptions
        {
            Listen = "127.0.0.1:0",
            DataDirectory = dir.Path,
            DefaultPartitions = 3,
            GroupInitialRebalanceDelay = TimeSpan.FromMilliseconds(100),
        }, NullLoggerFactory.Instance, ct);
        const string topic = "stall";
        broker.Log.CreateTopic(topic, 3);

        long acked = 0, errors = 0, consumed = 0;
        var polling = 1;
        using var stop = new CancellationTokenSource();
        var payload = new string('x', 100);
        var production = Task.Run(async () =>
        {
            using var producer = new ProducerBuilder<Null, string>(Clients.Producer(broker.BootstrapServers)).Build();
            var pace = Stopwatch.StartNew();
            long sent = 0;
            while (!stop.IsCancellationRequested)
            {
                var due = (long)(pace.Elapsed.TotalSeconds * recordsPerSecond);
                for (; sent < due; sent++)
                {
                    producer.Produce(topic, new Message<Null, string> { Value = payload }, d =>
                    {
                        if (d.Error.IsError)
                        {
                            Interlocked.Increment(ref errors);
                        }
                        else
                        {
                            Interlocked.Increment(ref acked);
                        }
                    });
                }

                await Task.Delay(5, CancellationToken.None); // the pacing tick
            }

            producer.Flush(Deadline);
        }, ct);
        var consumption = Task.Run(() =>
        {
            using var consumer = new ConsumerBuilder<Ignore, string>(Clients.Consumer(broker.BootstrapServers, "stalling-group")).Build();
            consumer.Subscribe(topic);
            while (!stop.IsCancellationRequested)
            {
                if (Volatile.Read(ref polling) == 0)
                {
                    // Alive (librdkafka keeps heartbeating) but not polling: the backlog grows.
                    stop.Token.WaitHandle.WaitOne(50);
                    continue;
                }

                var r = consumer.Consume(TimeSpan.FromMilliseconds(50));
                if (r is { IsPartitionEOF: false, Message: not null })
                {
                    Interlocked.Increment(ref consumed);
                    if (Interlocked.Read(ref consumed) % 500 == 0)
                    {
                        consumer.Commit(r);
                    }
                }
            }

            consumer.Close();
        }, ct);

        try
        {
            await Poll.UntilAsync(() => Interlocked.Read(ref consumed) > recordsPerSecond / 2, Deadline, "the group to consume", ct);

            var (before, _) = await MeasureAsync(() => Interlocked.Read(ref acked), phase, ct);
            Volatile.Write(ref polling, 0);
            var consumedAtStall = Interlocked.Read(ref consumed);
            var (during, ackedDuring) = await MeasureAsync(() => Interlocked.Read(ref acked), phase, ct);
            var backlog = Interlocked.Read(ref acked) - consumedAtStall;

            var ratio = during / before;
            report.RecordsChecked = Interlocked.Read(ref acked);
            report.FaultsInjected = 1;
            report.LossesFound = Interlocked.Read(ref errors);
            report.Notes = $"target={recordsPerSecond}/s before={before:0}/s while stalled={during:0}/s ratio={ratio:0.000} backlog={backlog} records (acked while stalled {ackedDuring})";
            report.Write(clock.Elapsed);
            Assert.Equal(0, Interlocked.Read(ref errors));
            Assert.True(backlog >= ackedDuring * 9 / 10, $"the backlog ({backlog}) did not grow with the stall ({ackedDuring} produced)");
            Assert.True(ratio >= minimumRatio, $"the producer fell to {ratio:P1} of its rate while the group was stalled (minimum {minimumRatio:P0})");
        }
        finally
        {
            await stop.CancelAsync();
            await production;
            await consumption;
        }
    }

    /// <summary>Acknowledged records per second over one phase.</summary>
    private static async Task<(double PerSecond, long Count)> MeasureAsync(Func<long> acked, TimeSpan phase, CancellationToken ct)
    {
        var start = acked();
        var clock = Stopwatch.StartNew();
        await Task.Delay(phase, ct); // the measuring window itself, not a wait for a condition
        var count = acked() - start;
        return (count / clock.Elapsed.TotalSeconds, count);
    }
}
