using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker;
using Platform.TestKit;

namespace Platform.Faults.Tests;

/// <summary>
/// The broker's data directory on a small tmpfs that a filler file fills up: producers get KafkaStorageError (not a
/// hang, not a silent drop), the log keeps every acknowledged record and nothing else, stays readable across a
/// restart, and takes records again once the space returns. Needs root to mount the tmpfs; skipped otherwise.
/// </summary>
public class DiskFullTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public Task DiskFull_ProducersGetStorageErrors_LogIntact_RecoversWhenSpaceReturns() => RunAsync("short", cycles: 2);

    [Fact]
    [Trait("Category", "Slow")]
    public Task DiskFull_ManyFillAndFreeCycles_ProducersGetStorageErrors_LogIntact() => RunAsync("long", cycles: 30);

    private async Task RunAsync(string variant, int cycles)
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = Stopwatch.StartNew();
        var report = new FaultReport("disk full (tmpfs)", variant, output);
        using var dir = new TempDirectory("fault-disk");
        if (!await RunAsync("mount", $"-t tmpfs -o size=8m tmpfs \"{dir.Path}\"", ct))
        {
            Assert.Skip("mounting a tmpfs needs root (mount -t tmpfs failed)");
        }

        try
        {
            var data = Path.Combine(dir.Path, "data");
            var filler = Path.Combine(dir.Path, "filler");
            var options = new BrokerOptions { Listen = "127.0.0.1:0", DataDirectory = data, DefaultPartitions = 1, SegmentBytes = 512 * 1024 };
            var acked = new ConcurrentDictionary<string, byte>();
            var rejected = new ConcurrentDictionary<string, byte>();
            var otherErrors = new ConcurrentQueue<string>();
            long next = 0;
            const string topic = "disk";
            var port = 0;
            await using (var broker = await BrokerServer.StartAsync(options, NullLoggerFactory.Instance, ct))
            {
                broker.Log.CreateTopic(topic, 1);
                port = int.Parse(broker.BootstrapServers.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
                var config = Clients.Producer(broker.BootstrapServers);
                config.MessageSendMaxRetries = 0; // surface the broker's error instead of retrying it until the timeout
                config.MessageTimeoutMs = 20_000;
                using var producer = new ProducerBuilder<Null, string>(config).Build();
                var payload = new string('d', 200);

                async Task<(int Ok, int StorageErrors)> ProduceAsync(int count)
                {
                    var tasks = new List<Task<DeliveryResult<Null, string>>>();
                    var values = new List<string>();
                    for (var i = 0; i < count; i++)
                    {
                        var value = $"d{next++}:{payload}";
                        values.Add(value);
                        tasks.Add(producer.ProduceAsync(topic, new Message<Null, string> { Value = value }, ct));
                    }

                    int ok = 0, storage = 0;
                    for (var i = 0; i < tasks.Count; i++)
                    {
                        try
                        {
                            await tasks[i];
                            acked[values[i]] = 0;
                            ok++;
                        }
                        catch (ProduceException<Null, string> e) when (e.Error.Code == Confluent.Kafka.ErrorCode.KafkaStorageError)
                        {
                            rejected[values[i]] = 0;
                            storage++;
                        }
                        catch (ProduceException<Null, string> e)
                        {
                            otherErrors.Enqueue(e.Error.ToString());
                        }
                    }

                    return (ok, storage);
                }

                Assert.Equal(200, (await ProduceAsync(200)).Ok);
                for (var cycle = 0; cycle < cycles; cycle++)
                {
                    FillUp(filler);
                    report.FaultsInjected++;
                    var full = await ProduceAsync(100);
                    Assert.True(full.StorageErrors > 0, $"cycle {cycle}: no KafkaStorageError on a full disk ({full.Ok} acknowledged)");

                    File.Delete(filler);
                    var recovered = 0;
                    await Poll.UntilAsync(async () => (recovered += (await ProduceAsync(50)).Ok) > 0, Deadline, "produce to succeed once space returned", ct);
                    Assert.Equal(50, (await ProduceAsync(50)).Ok);
                }

                Assert.Empty(otherErrors);
                Check(TopicReader.ReadAll(broker.BootstrapServers, topic, Deadline), acked, rejected, report);
            }

            // No corruption: a fresh broker on the same data reads back exactly the same records.
            await using (var reopened = await BrokerServer.StartAsync(options, NullLoggerFactory.Instance, ct))
            {
                var afterRestart = TopicReader.ReadAll(reopened.BootstrapServers, topic, Deadline);
                Check(afterRestart, acked, rejected, report);
            }

            report.Notes = $"acknowledged={acked.Count} rejected with KafkaStorageError={rejected.Count} (read back before and after a restart)";
            report.Write(clock.Elapsed);
            Assert.Equal(0, report.LossesFound);
        }
        finally
        {
            await RunAsync("umount", $"-l \"{dir.Path}\"", CancellationToken.None);
        }
    }

    private static void Check(List<string> log, ConcurrentDictionary<string, byte> acked, ConcurrentDictionary<string, byte> rejected, FaultReport report)
    {
        var inLog = log.ToHashSet();
        var lost = acked.Keys.Count(v => !inLog.Contains(v));
        var duplicated = log.Count - inLog.Count;
        var rejectedButWritten = rejected.Keys.Count(inLog.Contains);
        report.RecordsChecked += log.Count;
        report.LossesFound += lost + duplicated;
        Assert.Equal(0, lost);
        Assert.Equal(0, duplicated);
        Assert.Equal(0, rejectedButWritten);
    }

    /// <summary>Writes a file until the filesystem has no space left.</summary>
    private static void FillUp(string path)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        var chunk = new byte[16 * 1024];
        try
        {
            while (true)
            {
                file.Write(chunk);
            }
        }
        catch (IOException)
        {
            // ENOSPC: the disk is full.
        }

        try
        {
            file.Dispose();
        }
        catch (IOException)
        {
        }
    }

    private static async Task<bool> RunAsync(string command, string arguments, CancellationToken ct)
    {
        try
        {
            var info = new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
            using var process = Process.Start(info);
            if (process is null)
            {
                return false;
            }

            await process.WaitForExitAsync(ct);
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
