using Google.Protobuf;
using Platform.Dashboard.Services;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Tests.Services;

public class MetricDecoderTests
{
    private static MetricBatch AgentBatch(ulong sequence = 7)
    {
        var batch = Batches.Host("web-1", Batches.Start, cpu: 0.5, sequence: sequence, diskTotal: 1234.5,
            containers: [("api", 0.1, 5e8)]);
        batch.Samples[0].TimestampUnixMs = Batches.Start.ToUnixTimeMilliseconds() - 10;
        return batch;
    }

    [Fact]
    public void Decode_EqualsGeneratedParser_ForAgentBatch()
    {
        var original = AgentBatch();
        var decoded = new MetricDecoder().Decode(original.ToByteArray());
        Assert.Equal(original, decoded);
    }

    [Fact]
    public void Decode_ReusesSamplesAndStrings_AcrossBatches()
    {
        var decoder = new MetricDecoder();
        var first = decoder.Decode(AgentBatch(1).ToByteArray());
        var sample = first.Samples[0];
        var name = sample.Name;
        var second = decoder.Decode(AgentBatch(2).ToByteArray());
        Assert.Same(first, second);
        Assert.Same(sample, second.Samples[0]);
        Assert.Same(name, second.Samples[0].Name);
        Assert.Equal(2UL, second.Sequence);
        Assert.Equal(AgentBatch(2), second);
    }

    [Fact]
    public void Decode_ClearsFields_MissingFromTheNextBatch()
    {
        var decoder = new MetricDecoder();
        decoder.Decode(AgentBatch().ToByteArray());
        var bare = new MetricBatch { HostId = "db-1" };
        bare.Samples.Add(Batches.Gauge("x", 1));
        var decoded = decoder.Decode(bare.ToByteArray());
        Assert.Equal(bare, decoded);
        Assert.Null(decoded.Host);
        Assert.Empty(decoded.Samples[0].Labels);
    }

    [Fact]
    public void Decode_SkipsUnknownFields()
    {
        var original = AgentBatch();
        var bytes = new List<byte>(original.ToByteArray());
        // Field 15 varint 300, field 16 fixed32, field 17 fixed64, field 18 length-delimited "ab": a newer schema's fields.
        bytes.AddRange([0x78, 0xAC, 0x02, 0x85, 0x01, 1, 2, 3, 4, 0x89, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x92, 0x01, 2, (byte)'a', (byte)'b']);
        var decoded = new MetricDecoder().Decode(bytes.ToArray());
        Assert.Equal(original, decoded);
    }

    [Fact]
    public void Decode_ThrowsInvalidData_OnEveryTruncation()
    {
        var bytes = AgentBatch().ToByteArray();
        var decoder = new MetricDecoder();
        for (var length = 0; length < bytes.Length; length++)
        {
            try
            {
                // A cut at a field boundary is a shorter valid batch; anywhere else is an error.
                decoder.Decode(bytes.AsSpan(0, length));
            }
            catch (InvalidDataException)
            {
            }
        }

        Assert.Throws<InvalidDataException>(() => decoder.Decode(bytes.AsSpan(0, bytes.Length - 1)));
    }

    [Theory]
    [InlineData(new byte[] { 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x41 })] // host_id claiming 4 GiB
    [InlineData(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })] // 11-byte varint
    [InlineData(new byte[] { 0x0B })] // wire type 3 (group): not in proto3
    [InlineData(new byte[] { 0x00, 0x01 })] // field number 0
    [InlineData(new byte[] { 0x32, 0x02, 0x21, 0x00 })] // a sample whose value is cut short
    public void Decode_ThrowsInvalidData_OnMalformedInput(byte[] bytes)
    {
        Assert.Throws<InvalidDataException>(() => new MetricDecoder().Decode(bytes));
    }

    [Fact]
    public void Decode_SurvivesRandomMutations_WithInvalidDataOnly()
    {
        var original = AgentBatch().ToByteArray();
        var random = new Random(9);
        var decoder = new MetricDecoder();
        for (var round = 0; round < 5000; round++)
        {
            var bytes = (byte[])original.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            }

            try
            {
                decoder.Decode(bytes);
            }
            catch (InvalidDataException)
            {
            }
        }

        Assert.Equal(AgentBatch(), decoder.Decode(original));
    }
}
