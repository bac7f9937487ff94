using System.Runtime.InteropServices;
using Platform.Telemetry.V1;

namespace Platform.Telemetry.Decoding;

/// <summary>One sample of a decoded batch: its series, value, time (0 = the batch's) and kind.</summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct DecodedSample(SeriesDescriptor Series, double Value, long TimestampUnixMs, MetricKind Kind);
