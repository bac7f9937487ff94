using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Evaluation;

/// <summary>The aggregation of a metric rule over its window, exactly as the evaluator computes it: the evaluator
/// runs it on each series as samples arrive, and the rule editor's preview runs it over a chart's samples to draw what
/// the threshold is compared with.</summary>
public static class WindowAggregation
{
    /// <summary>Samples oldest first.</summary>
    internal interface ISamples
    {
        int Count { get; }

        long TimeAt(int index);

        double ValueAt(int index);
    }

    /// <summary>The rule's window in milliseconds, as the evaluator rounds it.</summary>
    public static long WindowMs(MetricCondition metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return (long)(metric.WindowSeconds * 1000);
    }

    /// <summary>For each sample, the value the evaluator would compare with the threshold had that sample been the
    /// newest: the aggregation over the window ending at it. NaN where there is not enough data (rate needs two
    /// samples). <paramref name="timesMs"/> are ascending unix milliseconds, one per value.</summary>
    public static double[] Evaluate(ReadOnlySpan<long> timesMs, ReadOnlySpan<double> values, MetricCondition metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        if (timesMs.Length != values.Length)
        {
            throw new ArgumentException($"{timesMs.Length} times but {values.Length} values", nameof(values));
        }

        var windowMs = WindowMs(metric);
        var times = timesMs.ToArray();
        var data = values.ToArray();
        var result = new double[times.Length];
        for (var i = 0; i < times.Length; i++)
        {
            result[i] = Aggregate(new Prefix(times, data, i + 1), metric, windowMs);
        }

        return result;
    }

    /// <summary>The first <see cref="Count"/> samples of two arrays.</summary>
    private readonly struct Prefix(long[] times, double[] values, int count) : ISamples
    {
        public int Count => count;

        public long TimeAt(int index) => times[index];

        public double ValueAt(int index) => values[index];
    }

    /// <summary>Reduces the samples within the window (ending at the newest sample) to one value; NaN when there is
    /// not enough data (rate needs two samples).</summary>
    internal static double Aggregate<TSamples>(TSamples series, MetricCondition metric, long windowMs)
        where TSamples : struct, ISamples
    {
        if (series.Count == 0)
        {
            return double.NaN;
        }

        var newest = series.TimeAt(series.Count - 1);
        var first = series.Count - 1;
        while (first > 0 && series.TimeAt(first - 1) >= newest - windowMs)
        {
            first--;
        }

        var n = series.Count - first;
        switch (metric.Aggregation)
        {
            case Aggregation.Last:
                return series.ValueAt(series.Count - 1);
            case Aggregation.Avg:
                var sum = 0.0;
                for (var i = first; i < series.Count; i++)
                {
                    sum += series.ValueAt(i);
                }

                return sum / n;
            case Aggregation.Min:
                var min = double.PositiveInfinity;
                for (var i = first; i < series.Count; i++)
                {
                    min = Math.Min(min, series.ValueAt(i));
                }

                return min;
            case Aggregation.Max:
                var max = double.NegativeInfinity;
                for (var i = first; i < series.Count; i++)
                {
                    max = Math.Max(max, series.ValueAt(i));
                }

                return max;
            case Aggregation.Rate:
                if (n < 2)
                {
                    return double.NaN;
                }

                var increase = 0.0;
                for (var i = first + 1; i < series.Count; i++)
                {
                    var delta = series.ValueAt(i) - series.ValueAt(i - 1);
                    increase += delta >= 0 ? delta : series.ValueAt(i); // a counter reset starts again from zero
                }

                var seconds = (newest - series.TimeAt(first)) / 1000.0;
                return seconds <= 0 ? double.NaN : increase / seconds;
            case Aggregation.Percentile:
                Span<double> values = n <= 256 ? stackalloc double[n] : new double[n];
                for (var i = 0; i < n; i++)
                {
                    values[i] = series.ValueAt(first + i);
                }

                values.Sort();
                var rank = (metric.Percentile ?? 50) / 100.0 * (n - 1);
                var lo = (int)Math.Floor(rank);
                var hi = Math.Min(lo + 1, n - 1);
                return values[lo] + ((values[hi] - values[lo]) * (rank - lo));
            default:
                return double.NaN;
        }
    }
}
