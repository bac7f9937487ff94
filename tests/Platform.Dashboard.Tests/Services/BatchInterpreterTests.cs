using Platform.Dashboard.Services;
using Google.Protobuf;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Tests.Services;

public class BatchInterpreterTests
{
    private static MetricBatch Batch(params Sample[] samples)
    {
        var batch = new MetricBatch { SchemaVersion = 1, HostId = "h1", TimestampUnixMs = 10_000 };
        batch.Samples.AddRange(samples);
        return batch;
    }

    [Fact]
    public void Interpret_AveragesPerCpuSeries_IntoHostCpu()
    {
        var result = BatchInterpreter.Interpret(Batch(
            Batches.Gauge(SeriesNames.CpuUtilization, 0.2, ("cpu", "0")),
            Batches.Gauge(SeriesNames.CpuUtilization, 0.6, ("cpu", "1"))), new CounterRates(), 0);

        Assert.Equal(0.4, result.Numbers.Cpu!.Value, 6);
        Assert.Contains(result.Samples, s => s.Key.Name == SeriesNames.HostCpu && Math.Abs(s.Value - 0.4) < 1e-9);
    }

    [Fact]
    public void Interpret_UsesIdleState_WhenCpuIsBrokenDownByState()
    {
        var result = BatchInterpreter.Interpret(Batch(
            Batches.Gauge(SeriesNames.CpuUtilization, 0.7, ("cpu", "0"), ("state", "idle")),
            Batches.Gauge(SeriesNames.CpuUtilization, 0.2, ("cpu", "0"), ("state", "user")),
            Batches.Gauge(SeriesNames.CpuUtilization, 0.9, ("cpu", "1"), ("state", "idle"))), new CounterRates(), 0);

        Assert.Equal(0.2, result.Numbers.Cpu!.Value, 6);
    }

    [Fact]
    public void Interpret_TurnsCounterTotals_IntoRates()
    {
        var rates = new CounterRates();
        var first = Batch(Batches.Counter(SeriesNames.DiskIo, 1000, ("device", "sda")));
        var second = Batch(Batches.Counter(SeriesNames.DiskIo, 3000, ("device", "sda")));
        second.TimestampUnixMs = 12_000;

        Assert.DoesNotContain(BatchInterpreter.Interpret(first, rates, 0).Samples, s => s.Key.Name == SeriesNames.DiskIo);
        var rate = Assert.Single(BatchInterpreter.Interpret(second, rates, 0).Samples, s => s.Key.Name == SeriesNames.DiskIo);
        Assert.Equal(1000, rate.Value, 6);
        Assert.Equal("By/s", rate.Unit);
    }

    [Fact]
    public void Interpret_SkipsRate_WhenCounterResets()
    {
        var rates = new CounterRates();
        Assert.True(rates.TryRate("x", 1000, 10, out _) is false);
        Assert.True(rates.TryRate("x", 2000, 20, out var rate));
        Assert.Equal(10, rate, 6);
        Assert.False(rates.TryRate("x", 3000, 5, out _));
        Assert.True(rates.TryRate("x", 4000, 8, out rate));
        Assert.Equal(3, rate, 6);
    }

    [Fact]
    public void Interpret_DerivesMemory_FromUsedBytesAndTotal()
    {
        var batch = Batch(Batches.Gauge(SeriesNames.MemoryUsage, 2L << 30, ("state", "used")), Batches.Gauge(SeriesNames.MemoryUsage, 6L << 30, ("state", "free")));
        batch.Host = new HostInfo { MemoryTotalBytes = 8L << 30 };
        Assert.Equal(0.25, BatchInterpreter.Interpret(batch, new CounterRates(), 0).Numbers.Memory!.Value, 6);
    }

    [Fact]
    public void Interpret_CollectsContainers_ByName()
    {
        var result = BatchInterpreter.Interpret(Batch(
            Batches.Gauge(SeriesNames.ContainerCpu, 0.3, (SeriesNames.ContainerNameLabel, "web")),
            Batches.Gauge(SeriesNames.ContainerMemory, 1e8, (SeriesNames.ContainerNameLabel, "web")),
            Batches.Gauge(SeriesNames.ContainerCpu, 0.1, (SeriesNames.ContainerNameLabel, "db"))), new CounterRates(), 0);

        var web = Assert.Single(result.Containers, c => c.Name == "web");
        Assert.Equal(0.3, web.Cpu);
        Assert.Equal(1e8, web.MemoryBytes);
        Assert.Equal(2, result.Containers.Count);
    }

    [Fact]
    public void Interpret_Throws_WhenHostIdMissing() =>
        Assert.Throws<InvalidDataException>(() => BatchInterpreter.Interpret(new MetricBatch { SchemaVersion = 1 }, new CounterRates(), 0));

    [Fact]
    public void Interpret_Throws_WhenSchemaIsNewer() =>
        Assert.Throws<InvalidDataException>(() => BatchInterpreter.Interpret(new MetricBatch { SchemaVersion = 99, HostId = "h" }, new CounterRates(), 0));

    [Fact]
    public void SeriesCatalog_GivesOneClass_ForTheSameLabelsInAnyOrder()
    {
        var catalog = new SeriesCatalog();
        var batch = Batch(
            Batches.Gauge(SeriesNames.DiskIo, 1, ("device", "sda"), ("direction", "read")),
            Batches.Gauge(SeriesNames.DiskIo, 1, ("direction", "read"), ("device", "sda")),
            Batches.Gauge(SeriesNames.DiskIo, 1, ("direction", "write"), ("device", "sda")));
        var samples = catalog.Decode(batch.ToByteArray()).Samples;

        var key = catalog.ClassOf(samples[0].Series);
        Assert.Same(key, catalog.ClassOf(samples[1].Series));
        Assert.NotSame(key, catalog.ClassOf(samples[2].Series));
        Assert.Equal("system.disk.io{device=\"sda\",direction=\"read\"}", key.Key.Id);
        Assert.Equal(2, catalog.Count);
    }
}
