using Platform.Alerting.Evaluation;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Tests.Evaluation;

public sealed class AggregationTests
{
    private static Series SeriesOf(params (long T, double V)[] samples)
    {
        var s = new Series("k", "h", "m", []) { RetainMs = 60_000 };
        foreach (var (t, v) in samples)
        {
            s.Add(t, v);
        }

        return s;
    }

    private static double Aggregate(Series s, Aggregation a, long windowMs, double? p = null) =>
        AlertEngine.Aggregate(s, new MetricCondition { Name = "m", Threshold = 0, Aggregation = a, Percentile = p }, windowMs);

    [Theory]
    [InlineData(Aggregation.Last, 4.0)]
    [InlineData(Aggregation.Avg, 2.5)]
    [InlineData(Aggregation.Min, 1.0)]
    [InlineData(Aggregation.Max, 4.0)]
    public void Aggregate_ReducesWindow_ByAggregation(Aggregation aggregation, double expected)
    {
        var s = SeriesOf((1000, 1), (2000, 2), (3000, 3), (4000, 4));
        Assert.Equal(expected, Aggregate(s, aggregation, 10_000), 9);
    }

    [Fact]
    public void Aggregate_IgnoresSamplesOlderThanWindow()
    {
        var s = SeriesOf((1000, 100), (20_000, 1), (25_000, 3));
        Assert.Equal(2, Aggregate(s, Aggregation.Avg, 10_000), 9);
    }

    [Fact]
    public void Aggregate_RateIsPerSecondIncrease_AcrossCounterReset()
    {
        // 100 → 150 (+50), reset to 10 (+10), 10 → 40 (+30): 90 over 3 s.
        var s = SeriesOf((0, 100), (1000, 150), (2000, 10), (3000, 40));
        Assert.Equal(30, Aggregate(s, Aggregation.Rate, 10_000), 9);
    }

    [Fact]
    public void Aggregate_RateIsNaN_WithOneSample()
    {
        Assert.True(double.IsNaN(Aggregate(SeriesOf((0, 1)), Aggregation.Rate, 10_000)));
    }

    [Theory]
    [InlineData(50, 50.5)]
    [InlineData(99, 99.01)]
    [InlineData(0, 1)]
    [InlineData(100, 100)]
    public void Aggregate_PercentileInterpolates(double percentile, double expected)
    {
        var samples = Enumerable.Range(1, 100).Select(i => ((long)i * 100, (double)(101 - i))).ToArray();
        Assert.Equal(expected, Aggregate(SeriesOf(samples), Aggregation.Percentile, 60_000, percentile), 6);
    }

    [Fact]
    public void Series_DropsSamplesOutsideRetention_AndGrows()
    {
        var s = new Series("k", "h", "m", []) { RetainMs = 5_000 };
        for (var i = 0; i < 100; i++)
        {
            s.Add(i * 1000L, i);
        }

        Assert.Equal(6, s.Count);
        Assert.Equal(94, s.ValueAt(0));
        Assert.Equal(99, s.ValueAt(5));
    }

    [Theory]
    [InlineData(Aggregation.Avg, null)]
    [InlineData(Aggregation.Max, null)]
    [InlineData(Aggregation.Rate, null)]
    [InlineData(Aggregation.Percentile, 90.0)]
    public void WindowAggregationEvaluate_EqualsTheEvaluator_AtEverySample(Aggregation aggregation, double? percentile)
    {
        var metric = new MetricCondition { Name = "m", Threshold = 0, Aggregation = aggregation, Percentile = percentile, WindowSeconds = 5 };
        long[] times = [.. Enumerable.Range(0, 30).Select(i => 1_000L * i)];
        double[] values = [.. Enumerable.Range(0, 30).Select(i => (i * 7 % 11) + (i == 17 ? 0 : i))]; // a counter reset at 17
        var evaluated = WindowAggregation.Evaluate(times, values, metric);
        var live = new Series("k", "h", "m", []) { RetainMs = 5_000 };
        for (var i = 0; i < times.Length; i++)
        {
            live.Add(times[i], values[i]);
            Assert.Equal(AlertEngine.Aggregate(live, metric, 5_000), evaluated[i], 9);
        }

        Assert.Throws<ArgumentException>(() => WindowAggregation.Evaluate(times, values.AsSpan(1), metric));
    }
}
