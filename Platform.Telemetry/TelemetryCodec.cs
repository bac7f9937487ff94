using System.Text;
using Google.Protobuf;
using Platform.Telemetry.V1;

namespace Platform.Telemetry;

/// <summary>
/// Encodes and decodes the records of the <c>metrics</c> and <c>logs</c> topics: the value is the protobuf
/// encoding of <see cref="MetricBatch"/> or <see cref="LogBatch"/>, the key the UTF-8 host id, and the
/// header <see cref="Topics.ContentTypeHeader"/> carries <see cref="Topics.ProtobufContentType"/>.
/// </summary>
public static class TelemetryCodec
{
    /// <summary>The UTF-8 bytes of <see cref="Topics.ProtobufContentType"/>, for the "ct" header.</summary>
    public static ReadOnlySpan<byte> ProtobufContentTypeUtf8 => "application/x-protobuf;v=1"u8;

    /// <summary>The record key for a host id.</summary>
    public static byte[] EncodeKey(string hostId) => Encoding.UTF8.GetBytes(hostId);

    /// <summary>Decodes a <c>metrics</c> record value.</summary>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not a MetricBatch.</exception>
    public static MetricBatch DecodeMetricBatch(ReadOnlySpan<byte> value) => MetricBatch.Parser.ParseFrom(value);

    /// <summary>Decodes a <c>logs</c> record value.</summary>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not a LogBatch.</exception>
    public static LogBatch DecodeLogBatch(ReadOnlySpan<byte> value) => LogBatch.Parser.ParseFrom(value);

    /// <summary>True when the "ct" header value names a schema version this code can read.</summary>
    public static bool IsSupportedContentType(ReadOnlySpan<byte> headerValue) => headerValue.SequenceEqual(ProtobufContentTypeUtf8);
}
