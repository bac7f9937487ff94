using Platform.Dashboard.Services;

namespace Platform.Dashboard.Tests.Services;

public class SeriesRingTests
{
    [Fact]
    public void Add_KeepsNewestPoints_WhenFull()
    {
        var ring = new SeriesRing(3);
        for (var i = 1; i <= 5; i++)
        {
            Assert.True(ring.Add(new Point(i * 1000, i)));
        }

        Assert.Equal(3, ring.Count);
        Assert.Equal([3.0, 4.0, 5.0], ring.ToArray().Select(p => p.Value));
        Assert.Equal(5.0, ring.Last!.Value.Value);
    }

    [Fact]
    public void Add_RejectsPoint_NotNewerThanNewest()
    {
        var ring = new SeriesRing(4);
        ring.Add(new Point(2000, 1));
        Assert.False(ring.Add(new Point(2000, 2)));
        Assert.False(ring.Add(new Point(1000, 3)));
        Assert.Single(ring.ToArray());
    }

    [Fact]
    public void Since_ReturnsOnlyLaterPoints_AcrossTheWrap()
    {
        var ring = new SeriesRing(4);
        for (var i = 1; i <= 6; i++)
        {
            ring.Add(new Point(i * 1000, i));
        }

        Assert.Equal([5.0, 6.0], ring.Since(4000).Select(p => p.Value));
        Assert.Empty(ring.Since(6000));
        Assert.Equal(4, ring.Since(long.MinValue).Length);
    }

    [Fact]
    public void Constructor_Throws_WhenCapacityTooSmall() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeriesRing(1));

    [Fact]
    public void Add_KeepsTimesExact_AcrossWeeksOfPoints()
    {
        var ring = new SeriesRing(3);
        var start = 1_795_000_000_000L;
        ring.Add(new Point(start, 1));
        ring.Add(new Point(start + 1000, 2));
        // 30 days later: beyond a 32-bit millisecond offset from the first point; times are held whole.
        var later = start + (30L * 24 * 3600 * 1000);
        Assert.True(ring.Add(new Point(later, 3)));
        Assert.True(ring.Add(new Point(later + 1, 4)));
        Assert.Equal([start + 1000, later, later + 1], ring.ToArray().Select(p => p.TimeUnixMs));
    }

    [Fact]
    public void Add_KeepsValuesToFloatPrecision()
    {
        var ring = new SeriesRing(2);
        ring.Add(new Point(1, 0.123456789));
        ring.Add(new Point(2, 123456789012));
        var points = ring.ToArray();
        Assert.Equal(0.123456789, points[0].Value, 6);
        Assert.Equal(123456789012, points[1].Value, 123456789012 * 1e-6);
    }

    [Fact]
    public void Add_GrowsOnDemand_UpToCapacity_KeepingOrder()
    {
        var ring = new SeriesRing(100);
        Assert.Equal(SeriesRing.InitialAllocation, ring.Allocated);
        for (var i = 1; i <= 40; i++)
        {
            ring.Add(new Point(i * 1000, i));
        }

        Assert.Equal(64, ring.Allocated);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (double)i), ring.ToArray().Select(p => p.Value));
        for (var i = 41; i <= 250; i++)
        {
            ring.Add(new Point(i * 1000, i));
        }

        Assert.Equal(100, ring.Allocated);
        Assert.Equal(100, ring.Capacity);
        Assert.Equal(Enumerable.Range(151, 100).Select(i => (double)i), ring.ToArray().Select(p => p.Value));
        Assert.Equal(Enumerable.Range(241, 10).Select(i => (double)i), ring.Since(240_000).Select(p => p.Value));
    }

    [Fact]
    public void HostRings_ShareTheBatchTimes_WithGapsWhereABatchLacksASeries()
    {
        var (model, _) = Batches.Model(new DashboardOptions { RingCapacity = 50 });
        for (var i = 0; i < 120; i++)
        {
            var batch = new Platform.Telemetry.V1.MetricBatch { SchemaVersion = 1, HostId = "h", TimestampUnixMs = 1000L * (i + 1) };
            batch.Samples.Add(Batches.Gauge("every", i));
            if (i % 20 == 0)
            {
                batch.Samples.Add(Batches.Gauge("rare", i)); // falls behind the timeline's growth between its points
            }

            if (i >= 100)
            {
                batch.Samples.Add(Batches.Gauge("late", i));
            }

            model.Apply(batch);
        }

        var host = model.Find("h")!;
        var every = host.Ring("every")!;
        Assert.Equal(Enumerable.Range(70, 50).Select(i => (double)i), every.ToArray().Select(p => p.Value));
        Assert.Equal(Enumerable.Range(70, 50).Select(i => 1000L * (i + 1)), every.ToArray().Select(p => p.TimeUnixMs));
        Assert.Equal(50, every.Allocated);
        Assert.Equal([(81_000L, 80.0), (101_000L, 100.0)], host.Ring("rare")!.ToArray().Select(p => (p.TimeUnixMs, p.Value)));
        Assert.Equal(2, host.Ring("rare")!.Count);
        Assert.Equal(Enumerable.Range(100, 20).Select(i => (double)i), host.Ring("late")!.ToArray().Select(p => p.Value));
        Assert.Equal([115.0, 116, 117, 118, 119], host.Ring("late")!.Since(115_000).Select(p => p.Value));
        Assert.Equal(new Point(120_000, 119), host.Ring("late")!.Last);
    }

    [Fact]
    public void HostRings_DropAReplayedBatchsPoints_AndJoinABatchOfTheSameTime()
    {
        var (model, _) = Batches.Model();
        Platform.Telemetry.V1.MetricBatch At(long time, params Platform.Telemetry.V1.Sample[] samples)
        {
            var batch = new Platform.Telemetry.V1.MetricBatch { SchemaVersion = 1, HostId = "h", TimestampUnixMs = time };
            batch.Samples.AddRange(samples);
            return batch;
        }

        model.Apply(At(2000, Batches.Gauge("a", 1)));
        model.Apply(At(3000, Batches.Gauge("a", 2)));
        model.Apply(At(1000, Batches.Gauge("a", 9), Batches.Gauge("b", 9)));
        model.Apply(At(3000, Batches.Gauge("b", 3)));
        var host = model.Find("h")!;

        Assert.Equal([(2000L, 1.0), (3000L, 2.0)], host.Ring("a")!.ToArray().Select(p => (p.TimeUnixMs, p.Value)));
        Assert.Equal([(3000L, 3.0)], host.Ring("b")!.ToArray().Select(p => (p.TimeUnixMs, p.Value)));
    }
}
