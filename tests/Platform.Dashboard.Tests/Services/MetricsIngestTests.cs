using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Dashboard.Services;
using Platform.TestKit;

namespace Platform.Dashboard.Tests.Services;

public class MetricsIngestTests
{
    [Fact]
    public async Task Post_AppliesEveryHostsBatchesInOrder_OnSeveralWorkers()
    {
        var (model, _) = Batches.Model();
        const int hosts = 20, ticks = 30;
        using (var ingest = new MetricsIngest(model, 3, NullLogger.Instance))
        {
            for (var tick = 1; tick <= ticks; tick++)
            {
                for (var h = 0; h < hosts; h++)
                {
                    var id = $"host-{h}";
                    var batch = Batches.Host(id, Batches.Start.AddSeconds(tick), cpu: tick / 100.0, sequence: (ulong)tick, diskTotal: tick * 1000);
                    ingest.Post(System.Text.Encoding.UTF8.GetBytes(id), batch.ToByteArray(), 0, tick, TestContext.Current.CancellationToken);
                }
            }

            ingest.Flush(TestContext.Current.CancellationToken);
            await Poll.UntilAsync(() => model.Records == hosts * ticks, TimeSpan.FromSeconds(30), "every batch applied", TestContext.Current.CancellationToken);
        }

        Assert.Equal(hosts, model.HostCount);
        foreach (var host in model.Hosts)
        {
            // Out of order, a host would show missed batches and rings short of points (older points are dropped).
            Assert.Equal(0, host.MissedBatches);
            Assert.Equal(ticks, host.Batches);
            Assert.Equal(ticks, host.Ring(SeriesKey.Create(SeriesNames.CpuUtilization).Id)!.Count);
            Assert.Equal(ticks - 1, host.Ring(SeriesKey.Create(SeriesNames.DiskIo, ("device", "sda"), ("direction", "read")).Id)!.Count);
            Assert.Equal(ticks / 100.0, host.Numbers.Cpu!.Value, 6);
        }
    }

    [Fact]
    public async Task Post_CountsUnreadableRecord_AndKeepsApplying()
    {
        var (model, _) = Batches.Model();
        using (var ingest = new MetricsIngest(model, 2, NullLogger.Instance))
        {
            ingest.Post(null, [0x0B], 0, 0, TestContext.Current.CancellationToken);
            ingest.Post(null, Batches.Host("a", Batches.Start, cpu: 0.2).ToByteArray(), 0, 1, TestContext.Current.CancellationToken);
            ingest.Flush(TestContext.Current.CancellationToken);
            await Poll.UntilAsync(() => model.Records == 1 && model.Rejected == 1, TimeSpan.FromSeconds(30), "one applied, one rejected", TestContext.Current.CancellationToken);
        }

        Assert.NotNull(model.Find("a"));
    }

    [Fact]
    public async Task Post_HandsOverAFullChunk_WithoutAFlush()
    {
        var (model, _) = Batches.Model();
        using var ingest = new MetricsIngest(model, 1, NullLogger.Instance);
        for (var tick = 1; tick <= MetricsIngest.ChunkSize; tick++)
        {
            ingest.Post(null, Batches.Host("a", Batches.Start.AddSeconds(tick), cpu: 0.2, sequence: (ulong)tick).ToByteArray(), 0, tick, TestContext.Current.CancellationToken);
        }

        await Poll.UntilAsync(() => model.Records == MetricsIngest.ChunkSize, TimeSpan.FromSeconds(30), "the full chunk applied", TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Dispose_AppliesWhatWasPosted()
    {
        var (model, _) = Batches.Model();
        using (var ingest = new MetricsIngest(model, 2, NullLogger.Instance))
        {
            ingest.Post(null, Batches.Host("a", Batches.Start, cpu: 0.2).ToByteArray(), 0, 0, TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, model.Records);
    }

    [Fact]
    public void WorkerOf_IsStable_AndSpreadsHosts()
    {
        var seen = new HashSet<int>();
        for (var h = 0; h < 100; h++)
        {
            var key = System.Text.Encoding.UTF8.GetBytes($"host-{h}");
            var worker = MetricsIngest.WorkerOf(key, 4);
            Assert.Equal(worker, MetricsIngest.WorkerOf(key, 4));
            Assert.InRange(worker, 0, 3);
            seen.Add(worker);
        }

        Assert.Equal(4, seen.Count);
    }
}
