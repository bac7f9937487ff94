using Confluent.Kafka;
using Google.Protobuf;
using Platform.Alerting.Service;
using Platform.Telemetry;
using Platform.Telemetry.Decoding;
using Platform.Telemetry.V1;

namespace Platform.Alerting.Tests.Service;

public sealed class TelemetryRecordTests
{
    private static TelemetryRecord? Decode(TelemetryRecord.Deserializer deserializer, string topic, byte[]? value) =>
        deserializer.Deserialize(value ?? [], value is null, new SerializationContext(MessageComponentType.Value, topic));

    [Fact]
    public void Deserializer_DecodesMetricsWithTheGivenDecoder_AndLogsWithTheParser()
    {
        var decoder = new MetricBatchDecoder();
        var deserializer = new TelemetryRecord.Deserializer(decoder);
        var metrics = new MetricBatch { SchemaVersion = 1, HostId = "web-1", TimestampUnixMs = 1_000 };
        metrics.Samples.Add(new Sample { Name = "system.cpu.utilization", Value = 0.5, Labels = { new Label { Name = "cpu", Value = "0" } } });

        var record = Decode(deserializer, Topics.Metrics, metrics.ToByteArray());
        Assert.NotNull(record);
        Assert.Null(record.Error);
        Assert.Null(record.Logs);
        var batch = Assert.IsType<DecodedMetricBatch>(record.Metrics);
        Assert.Equal("web-1", batch.HostId);
        Assert.Equal("system.cpu.utilization{cpu=\"0\"}", batch.Samples[0].Series.Key);
        Assert.Same(decoder.Series[0], batch.Samples[0].Series);

        var logs = new LogBatch { HostId = "web-1", Records = { new LogRecord { Message = "disk full", Source = "/var/log/syslog" } } };
        record = Decode(deserializer, Topics.Logs, logs.ToByteArray());
        Assert.NotNull(record);
        Assert.Null(record.Metrics);
        Assert.Equal("disk full", Assert.IsType<LogBatch>(record.Logs).Records[0].Message);
    }

    [Fact]
    public void Deserializer_ReportsMalformedValues_AsErrorsNotExceptions()
    {
        var deserializer = new TelemetryRecord.Deserializer(new MetricBatchDecoder());
        // Field 6 (a sample) claiming 100 bytes where 2 follow.
        var record = Decode(deserializer, Topics.Metrics, [0x32, 100, 1, 2]);
        Assert.NotNull(record);
        Assert.Null(record.Metrics);
        Assert.Contains("malformed", record.Error, StringComparison.Ordinal);

        record = Decode(deserializer, Topics.Logs, [0x32, 100, 1, 2]);
        Assert.NotNull(record);
        Assert.Null(record.Logs);
        Assert.NotNull(record.Error);

        Assert.Null(Decode(deserializer, Topics.Metrics, null));
        Assert.Null(Decode(deserializer, "other", [1, 2]));
    }
}
