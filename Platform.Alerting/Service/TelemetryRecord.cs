using Confluent.Kafka;
using Google.Protobuf;
using Platform.Telemetry;
using Platform.Telemetry.Decoding;
using Platform.Telemetry.V1;

namespace Platform.Alerting.Service;

/// <summary>
/// A <c>metrics</c> or <c>logs</c> record's value as the evaluation loop takes it: decoded inside
/// <see cref="IConsumer{TKey,TValue}.Consume(TimeSpan)"/> straight from the client's buffer, so no record is copied
/// into a <c>byte[]</c> first. One instance, refilled by every record: use it before consuming the next one.
/// </summary>
internal sealed class TelemetryRecord
{
    /// <summary>The metric batch (owned by the engine's decoder), when the record was one.</summary>
    public DecodedMetricBatch? Metrics { get; private set; }

    public LogBatch? Logs { get; private set; }

    /// <summary>Why the record could not be decoded, or null.</summary>
    public string? Error { get; private set; }

    /// <summary>Decodes values of <c>metrics</c> with <paramref name="decoder"/> and of <c>logs</c> with the generated
    /// parser; a malformed value becomes <see cref="Error"/> rather than an exception, so the loop can say where it was.</summary>
    public sealed class Deserializer(MetricBatchDecoder decoder) : IDeserializer<TelemetryRecord?>
    {
        private readonly TelemetryRecord _record = new();

        public TelemetryRecord? Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
        {
            if (isNull)
            {
                return null;
            }

            var record = _record;
            record.Metrics = null;
            record.Logs = null;
            record.Error = null;
            try
            {
                if (context.Topic == Topics.Metrics)
                {
                    record.Metrics = decoder.Decode(data);
                }
                else if (context.Topic == Topics.Logs)
                {
                    record.Logs = LogBatch.Parser.ParseFrom(data);
                }
                else
                {
                    return null;
                }
            }
            catch (InvalidDataException e)
            {
                record.Error = e.Message;
            }
            catch (InvalidProtocolBufferException e)
            {
                record.Error = e.Message;
            }

            return record;
        }
    }
}
