using Platform.Telemetry.V1;

namespace Platform.Telemetry.Decoding;

/// <summary>
/// A <c>MetricBatch</c> as <see cref="MetricBatchDecoder.Decode"/> returns it: the header fields and the samples,
/// each pointing at its <see cref="SeriesDescriptor"/>. Owned by the decoder and refilled by its next call.
/// </summary>
public sealed class DecodedMetricBatch
{
    private DecodedSample[] _samples = new DecodedSample[128];
    private int _count;

    public uint SchemaVersion { get; internal set; }

    public string HostId { get; internal set; } = string.Empty;

    /// <summary>Milliseconds since the Unix epoch; 0 when the producer left it out.</summary>
    public long TimestampUnixMs { get; internal set; }

    public ulong Sequence { get; internal set; }

    public string AgentRunId { get; internal set; } = string.Empty;

    /// <summary>The inventory, in the batches that carry it.</summary>
    public HostInfo? Host { get; internal set; }

    /// <summary>The samples in the order they were encoded.</summary>
    public ReadOnlySpan<DecodedSample> Samples => _samples.AsSpan(0, _count);

    internal void Reset()
    {
        SchemaVersion = 0;
        HostId = string.Empty;
        TimestampUnixMs = 0;
        Sequence = 0;
        AgentRunId = string.Empty;
        Host = null;
        Array.Clear(_samples, 0, _count);
        _count = 0;
    }

    internal void Add(in DecodedSample sample)
    {
        if (_count == _samples.Length)
        {
            Array.Resize(ref _samples, _samples.Length * 2);
        }

        _samples[_count++] = sample;
    }
}
