using Google.Protobuf;
using Platform.Dashboard.Services;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Tests.Services;

/// <summary>The live path: a series classified once per ingest thread, a host's slots found by position.</summary>
public class SeriesCatalogTests
{
    private static MetricBatch Batch(string host, long time, params Sample[] samples)
    {
        var batch = new MetricBatch { SchemaVersion = 1, HostId = host, TimestampUnixMs = time, AgentRunId = "run" };
        batch.Samples.AddRange(samples);
        return batch;
    }

    private static SeriesClass ClassOf(Sample sample)
    {
        var catalog = new SeriesCatalog();
        var decoded = catalog.Decode(Batch("h", 1000, sample).ToByteArray());
        return catalog.ClassOf(decoded.Samples[0].Series);
    }

    [Theory]
    [InlineData(SeriesNames.CpuUtilization, "", "", SeriesRole.CpuTotal)]
    [InlineData(SeriesNames.CpuUtilization, "cpu", "3", SeriesRole.CpuCore)]
    [InlineData(SeriesNames.MemoryUtilization, "", "", SeriesRole.MemoryUtilization)]
    [InlineData(SeriesNames.MemoryUtilization, "state", "used", SeriesRole.MemoryUtilization)]
    [InlineData(SeriesNames.MemoryUtilization, "state", "free", SeriesRole.Other)]
    [InlineData(SeriesNames.MemoryUsage, "state", "used", SeriesRole.MemoryUsed)]
    [InlineData(SeriesNames.MemoryUsage, "state", "cached", SeriesRole.Other)]
    [InlineData(SeriesNames.FilesystemUtilization, "mountpoint", "/", SeriesRole.FilesystemUtilization)]
    [InlineData(SeriesNames.Load1, "", "", SeriesRole.Load1)]
    [InlineData(SeriesNames.Load5, "", "", SeriesRole.Other)]
    [InlineData(SeriesNames.ContainerCpu, "", "", SeriesRole.Other)]
    public void Of_ClassifiesTheSeries_ByNameAndLabels(string name, string label, string value, SeriesRole role)
    {
        var sample = label.Length == 0 ? Batches.Gauge(name, 1) : Batches.Gauge(name, 1, (label, value));
        Assert.Equal(role, ClassOf(sample).Role);
    }

    [Fact]
    public void Of_ClassifiesCpuStates_WithTheirCore()
    {
        var idle = ClassOf(Batches.Gauge(SeriesNames.CpuUtilization, 1, ("cpu", "2"), ("state", "idle")));
        var wait = ClassOf(Batches.Gauge(SeriesNames.CpuUtilization, 1, ("cpu", "2"), ("state", "wait")));
        var user = ClassOf(Batches.Gauge(SeriesNames.CpuUtilization, 1, ("state", "user")));
        Assert.Equal((SeriesRole.CpuIdle, "2"), (idle.Role, idle.Cpu));
        Assert.Equal((SeriesRole.CpuWait, "2"), (wait.Role, wait.Cpu));
        Assert.Equal((SeriesRole.CpuBusy, string.Empty), (user.Role, user.Cpu));
    }

    [Fact]
    public void Of_NamesTheContainer_ByNameElseId()
    {
        var named = ClassOf(Batches.Gauge(SeriesNames.ContainerMemory, 1, (SeriesNames.ContainerNameLabel, "web"), (SeriesNames.ContainerIdLabel, "abc")));
        var anonymous = ClassOf(Batches.Gauge(SeriesNames.ContainerMemoryLimit, 1, (SeriesNames.ContainerIdLabel, "def")));
        Assert.Equal((SeriesRole.ContainerMemory, "web", "abc"), (named.Role, named.ContainerName, named.ContainerId));
        Assert.Equal((SeriesRole.ContainerMemoryLimit, "def", "def"), (anonymous.Role, anonymous.ContainerName, anonymous.ContainerId));
    }

    [Fact]
    public void Of_GivesTheCanonicalKey_AndTheRateUnit()
    {
        var series = ClassOf(Batches.Counter(SeriesNames.DiskIo, 5, ("direction", "read"), ("device", "sda")));
        Assert.Equal(SeriesKey.Create(SeriesNames.DiskIo, ("device", "sda"), ("direction", "read")), series.Key);
        Assert.Equal(("By", "By/s"), (series.Unit, series.RateUnit));
    }

    [Fact]
    public void Decode_StartsTheClassesOver_WhenTheDecoderStartsOver()
    {
        var catalog = new SeriesCatalog(maxSeries: 4);
        var first = catalog.Decode(Batch("h", 1000, [.. Enumerable.Range(0, 5).Select(i => Batches.Gauge("m" + i, i))]).ToByteArray());
        Assert.Equal("m4", catalog.ClassOf(first.Samples[4].Series).Key.Id);
        var generation = catalog.Generation;

        var second = catalog.Decode(Batch("h", 2000, Batches.Gauge("other", 1), Batches.Gauge("m0", 1)).ToByteArray());
        Assert.NotEqual(generation, catalog.Generation);
        Assert.Equal(["other", "m0"], second.Samples.ToArray().Select(s => catalog.ClassOf(s.Series).Key.Id));
        Assert.Equal(2, catalog.Count);
    }

    [Fact]
    public void Apply_FindsEachSeriesSlot_WhenTheBatchOrderChanges()
    {
        var (model, _) = Batches.Model();
        model.Apply(Batch("h", 1000, Batches.Gauge("a", 1), Batches.Gauge("b", 2), Batches.Counter("c", 100)));
        model.Apply(Batch("h", 2000, Batches.Counter("c", 300), Batches.Gauge("a", 11), Batches.Gauge("b", 12)));
        model.Apply(Batch("h", 3000, Batches.Gauge("b", 22), Batches.Gauge("d", 4), Batches.Gauge("a", 21)));
        var host = model.Find("h")!;

        Assert.Equal([1.0, 11, 21], host.Ring("a")!.ToArray().Select(p => p.Value));
        Assert.Equal([2.0, 12, 22], host.Ring("b")!.ToArray().Select(p => p.Value));
        Assert.Equal([200.0], host.Ring("c")!.ToArray().Select(p => p.Value));
        Assert.Equal([4.0], host.Ring("d")!.ToArray().Select(p => p.Value));
        Assert.Equal(4, host.SeriesCount);
    }

    [Fact]
    public void Apply_KeepsSeriesAndCounterTotals_AcrossCatalogs()
    {
        // A host moves to another ingest thread (or its thread's decoder starts over): same slots, rates go on.
        var (model, _) = Batches.Model();
        var one = new SeriesCatalog();
        var other = new SeriesCatalog();
        model.Apply(one.Decode(Batch("h", 1000, Batches.Gauge("g", 1), Batches.Counter("c", 1000)).ToByteArray()), one);
        model.Apply(other.Decode(Batch("h", 2000, Batches.Gauge("g", 2), Batches.Counter("c", 3000)).ToByteArray()), other);
        model.Apply(one.Decode(Batch("h", 4000, Batches.Gauge("g", 3), Batches.Counter("c", 7000)).ToByteArray()), one);
        var host = model.Find("h")!;

        Assert.Equal(2, host.SeriesCount);
        Assert.Equal([1.0, 2, 3], host.Ring("g")!.ToArray().Select(p => p.Value));
        Assert.Equal([2000.0, 2000], host.Ring("c")!.ToArray().Select(p => p.Value));
        Assert.Equal("By/s", host.AllSeries().Single(s => s.Key.Id == "c").Unit);
    }

    [Fact]
    public void Apply_Rejects_NewerSchema_AndCountsIt()
    {
        var (model, _) = Batches.Model();
        var catalog = new SeriesCatalog();
        var batch = Batch("h", 1000, Batches.Gauge("g", 1));
        batch.SchemaVersion = 99;
        Assert.Throws<InvalidDataException>(() => model.Apply(catalog.Decode(batch.ToByteArray()), catalog));
        Assert.Equal(1, model.Rejected);
    }

    [Fact]
    public void Apply_AllocatesNothingPerSampleOrContainer_InTheSteadyState()
    {
        var (model, _) = Batches.Model(new DashboardOptions { RingCapacity = SeriesRing.InitialAllocation });
        var catalog = new SeriesCatalog();
        var batches = new byte[64][];
        for (var i = 0; i < batches.Length; i++)
        {
            var samples = Enumerable.Range(0, 100).Select(s => s % 10 == 0
                ? Batches.Counter("net", i * 1000.0, ("nic", s.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                : Batches.Gauge(SeriesNames.CpuUtilization, 0.5, ("cpu", s.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            Sample[] container = [Batches.Gauge(SeriesNames.ContainerCpu, 0.1, (SeriesNames.ContainerNameLabel, "web")), Batches.Gauge(SeriesNames.ContainerMemory, 1e8, (SeriesNames.ContainerNameLabel, "web"))];
            batches[i] = Batch("h", 1000L * (i + 1), [.. samples, .. container]).ToByteArray();
        }

        // Warm up: the series exist and the rings are at their capacity.
        for (var i = 0; i < 32; i++)
        {
            model.Apply(catalog.Decode(batches[i]), catalog);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 32; i < batches.Length; i++)
        {
            model.Apply(catalog.Decode(batches[i]), catalog);
        }

        var perBatch = (GC.GetAllocatedBytesForCurrentThread() - before) / 32;
        Assert.True(perBatch <= 128, $"{perBatch} bytes allocated per 102-sample batch");
        var host = model.Find("h")!;
        Assert.Equal(0.5, host.Numbers.Cpu!.Value, 6);
        var web = Assert.Single(host.Containers);
        Assert.Equal(("web", 0.1, 1e8, 64_000L), (web.Name, web.Cpu, web.MemoryBytes, web.TimeUnixMs));
    }
}
