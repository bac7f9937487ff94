using Platform.Telemetry.V1;

namespace Platform.Agents.Collectors;

/// <summary>Collects the samples of one tick into the tick's <see cref="MetricBatch"/>.</summary>
internal sealed class SampleSink
{
    private readonly Google.Protobuf.Collections.RepeatedField<Sample> _samples;

    public SampleSink(MetricBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        _samples = batch.Samples;
    }

    public int Count => _samples.Count;

    public void Gauge(string name, string unit, double value, params ReadOnlySpan<Label> labels) =>
        Add(name, unit, MetricKind.Gauge, value, labels);

    public void Counter(string name, string unit, double value, params ReadOnlySpan<Label> labels) =>
        Add(name, unit, MetricKind.Counter, value, labels);

    public void Add(string name, string unit, MetricKind kind, double value, ReadOnlySpan<Label> labels)
    {
        var sample = new Sample { Name = name, Unit = unit, Kind = kind, Value = value };
        foreach (var label in labels)
        {
            sample.Labels.Add(label);
        }

        _samples.Add(sample);
    }

    /// <summary>Adds a sample built elsewhere (forwarded Prometheus samples).</summary>
    public void Add(Sample sample) => _samples.Add(sample);
}
