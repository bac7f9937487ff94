using Google.Protobuf;
using Platform.Telemetry.V1;

namespace Platform.Telemetry.Tests;

public sealed class SchemaTests
{
    [Fact]
    public void MetricBatch_EncodesToStableWireBytes_ForTheDocumentedFieldNumbers()
    {
        var batch = new MetricBatch
        {
            SchemaVersion = Topics.SchemaVersion,
            HostId = "h1",
            TimestampUnixMs = 1,
            Samples = { new Sample { Name = "c", Value = 0.5 } },
        };

        // 08 01          schema_version = 1
        // 12 02 'h' '1'  host_id = "h1"
        // 18 01          timestamp_unix_ms = 1
        // 32 0c          samples, 12 bytes: 0a 01 'c' (name) 21 + 8-byte little-endian double 0.5 (value)
        byte[] expected =
        [
            0x08, 0x01, 0x12, 0x02, (byte)'h', (byte)'1', 0x18, 0x01,
            0x32, 0x0c, 0x0a, 0x01, (byte)'c', 0x21, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f,
        ];
        Assert.Equal(expected, batch.ToByteArray());
    }

    [Fact]
    public void LogBatch_RoundTrips_WithEverySeverity()
    {
        var batch = new LogBatch { SchemaVersion = Topics.SchemaVersion, HostId = "web-1", Sequence = 7 };
        foreach (var severity in Enum.GetValues<Severity>())
        {
            batch.Records.Add(new LogRecord { Severity = severity, Message = $"line {severity}", Source = "/var/log/syslog" });
        }

        var decoded = LogBatch.Parser.ParseFrom(batch.ToByteArray());

        Assert.Equal(batch, decoded);
        Assert.Equal(7, decoded.Records.Count);
    }
}
