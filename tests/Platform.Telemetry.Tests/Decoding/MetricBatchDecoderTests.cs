using Google.Protobuf;
using Platform.Telemetry.Decoding;
using Platform.Telemetry.V1;

namespace Platform.Telemetry.Tests.Decoding;

public sealed class MetricBatchDecoderTests
{
    private static Sample S(string name, double value, params (string Name, string Value)[] labels)
    {
        var sample = new Sample { Name = name, Unit = "1", Value = value };
        foreach (var (n, v) in labels)
        {
            sample.Labels.Add(new Label { Name = n, Value = v });
        }

        return sample;
    }

    private static MetricBatch Batch(string host, params Sample[] samples)
    {
        var batch = new MetricBatch { SchemaVersion = 1, HostId = host, TimestampUnixMs = 1_700_000_000_000, Sequence = 9, AgentRunId = "run" };
        batch.Samples.AddRange(samples);
        return batch;
    }

    [Fact]
    public void Decode_AgreesWithTheGeneratedParser_OnRandomBatches()
    {
        var random = new Random(7);
        var decoder = new MetricBatchDecoder();
        for (var round = 0; round < 300; round++)
        {
            var batch = RandomBatch(random);
            var bytes = batch.ToByteArray();
            var expected = MetricBatch.Parser.ParseFrom(bytes);
            var decoded = decoder.Decode(bytes);

            Assert.Equal(expected.SchemaVersion, decoded.SchemaVersion);
            Assert.Equal(expected.HostId, decoded.HostId);
            Assert.Equal(expected.TimestampUnixMs, decoded.TimestampUnixMs);
            Assert.Equal(expected.Sequence, decoded.Sequence);
            Assert.Equal(expected.AgentRunId, decoded.AgentRunId);
            Assert.Equal(expected.Host, decoded.Host);
            Assert.Equal(expected.Samples.Count, decoded.Samples.Length);
            for (var i = 0; i < expected.Samples.Count; i++)
            {
                var e = expected.Samples[i];
                var d = decoded.Samples[i];
                Assert.Equal(e.Name, d.Series.Name);
                Assert.Equal(BitConverter.DoubleToInt64Bits(e.Value), BitConverter.DoubleToInt64Bits(d.Value));
                Assert.Equal(e.TimestampUnixMs, d.TimestampUnixMs);
                Assert.Equal(e.Kind, d.Kind);
                var labels = e.Labels.Select(l => KeyValuePair.Create(l.Name, l.Value)).OrderBy(l => l.Key, StringComparer.Ordinal).ToList();
                Assert.Equal(labels, d.Series.Labels);
            }
        }
    }

    private static MetricBatch RandomBatch(Random random)
    {
        string[] names = ["system.cpu.utilization", "system.memory.usage", "system.network.io", "ü.metric", ""];
        string[] values = ["0", "1", "eth0", "/", "with \"quote\"", ""];
        var batch = new MetricBatch
        {
            SchemaVersion = (uint)random.Next(0, 3),
            HostId = random.Next(3) == 0 ? string.Empty : $"host-{random.Next(20)}",
            TimestampUnixMs = random.Next(2) == 0 ? 0 : random.NextInt64(1, long.MaxValue),
            Sequence = (ulong)random.NextInt64(),
            AgentRunId = random.Next(2) == 0 ? string.Empty : Guid.NewGuid().ToString(),
        };
        if (random.Next(5) == 0)
        {
            batch.Host = new HostInfo { HostName = "h", CpuCount = 4, MemoryTotalBytes = 1L << 33, Labels = { new Label { Name = "env", Value = "prod" } } };
        }

        var count = random.Next(0, 40);
        for (var i = 0; i < count; i++)
        {
            var sample = new Sample
            {
                Name = names[random.Next(names.Length)],
                Unit = random.Next(2) == 0 ? "1" : string.Empty,
                Value = random.Next(4) switch { 0 => 0, 1 => double.NaN, 2 => -random.NextDouble() * 1e9, _ => random.NextDouble() },
                TimestampUnixMs = random.Next(3) == 0 ? random.NextInt64(1, long.MaxValue) : 0,
                Kind = random.Next(2) == 0 ? MetricKind.Gauge : MetricKind.Counter,
            };
            var labelCount = random.Next(0, 4);
            for (var l = 0; l < labelCount; l++)
            {
                sample.Labels.Add(new Label { Name = $"l{random.Next(5)}", Value = values[random.Next(values.Length)] });
            }

            batch.Samples.Add(sample);
        }

        return batch;
    }

    [Fact]
    public void Decode_GivesEveryHostTheSameDescriptor_ForTheSameSeries()
    {
        var decoder = new MetricBatchDecoder();
        var a = decoder.Decode(Batch("a", S("cpu", 0.1, ("cpu", "0")), S("cpu", 0.2, ("cpu", "1"))).ToByteArray()).Samples.ToArray();
        var b = decoder.Decode(Batch("b", S("cpu", 0.3, ("cpu", "1")), S("cpu", 0.4, ("cpu", "0"))).ToByteArray()).Samples.ToArray();

        Assert.Same(a[0].Series, b[1].Series);
        Assert.Same(a[1].Series, b[0].Series);
        Assert.Equal([0, 1], decoder.Series.Select(s => s.Id));
        Assert.Equal("cpu{cpu=\"0\"}", a[0].Series.Key);
        Assert.Equal("1", a[1].Series.Label("cpu"));
        Assert.Null(a[1].Series.Label("state"));
    }

    [Fact]
    public void Decode_MapsLabelsInAnotherOrder_ToTheSameDescriptor()
    {
        var decoder = new MetricBatchDecoder();
        var first = decoder.Decode(Batch("a", S("disk", 1, ("device", "sda"), ("direction", "read"))).ToByteArray()).Samples[0].Series;
        var second = decoder.Decode(Batch("a", S("disk", 2, ("direction", "read"), ("device", "sda"))).ToByteArray()).Samples[0].Series;

        Assert.Same(first, second);
        Assert.Equal("disk{device=\"sda\",direction=\"read\"}", first.Key);
        Assert.Single(decoder.Series);
    }

    [Fact]
    public void Decode_ReadsFieldsInAnyOrder_AndSkipsUnknownOnes()
    {
        // A sample written value first, name last, with an unknown field 15 (varint) between: not how Google.Protobuf
        // writes it, but valid protobuf.
        byte[] sample =
        [
            0x21, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f, // 4: value 0.5
            0x78, 0x05,                         // 15: unknown varint 5
            0x1a, 0x06, 0x0a, 0x01, (byte)'k', 0x12, 0x01, (byte)'v', // 3: label k="v"
            0x0a, 0x01, (byte)'m',              // 1: name "m"
        ];
        byte[] batch = [0x12, 0x01, (byte)'h', 0x32, (byte)sample.Length, .. sample, 0x98, 0x01, 0x01]; // + unknown field 19
        var decoder = new MetricBatchDecoder();
        var scattered = decoder.Decode(batch).Samples[0];
        var written = decoder.Decode(Batch("h", new Sample { Name = "m", Labels = { new Label { Name = "k", Value = "v" } }, Value = 1 }).ToByteArray()).Samples[0];

        Assert.Equal(0.5, scattered.Value);
        Assert.Equal("m{k=\"v\"}", scattered.Series.Key);
        Assert.Same(scattered.Series, written.Series);
    }

    [Fact]
    public void Decode_TellsASeriesFromThePredictedOne_ThatItsEncodingStartsWith()
    {
        // Each identity predicts the one that followed it last time; a sample whose bytes merely start with the
        // prediction (the same name, then a label or a unit) is another series.
        var decoder = new MetricBatchDecoder();
        decoder.Decode(Batch("a", S("cpu", 0.5), new Sample { Name = "mem", Value = 1 }).ToByteArray());
        var next = decoder.Decode(Batch("b", S("cpu", 0.25, ("cpu", "0")), new Sample { Name = "mem", Unit = "By", Value = 2 }).ToByteArray()).Samples.ToArray();

        Assert.Equal("cpu{cpu=\"0\"}", next[0].Series.Key);
        Assert.Equal(0.25, next[0].Value);
        Assert.Equal(2, next[1].Value);
        Assert.Same(decoder.Series[1], next[1].Series); // a unit alone does not make another series
        Assert.Equal(3, decoder.Series.Count);

        var again = decoder.Decode(Batch("a", S("cpu", 0.75), new Sample { Name = "mem", Value = 3 }).ToByteArray()).Samples.ToArray();
        Assert.Same(decoder.Series[0], again[0].Series);
        Assert.Same(decoder.Series[1], again[1].Series);
        Assert.Equal([0.75, 3.0], again.Select(x => x.Value));
    }

    [Fact]
    public void Decode_ReadsAnOmittedValueAsZero()
    {
        var decoder = new MetricBatchDecoder();
        var sample = decoder.Decode(Batch("h", S("m", 0)).ToByteArray()).Samples[0];
        Assert.Equal(0, sample.Value);
        Assert.Equal(MetricKind.Gauge, sample.Kind);
    }

    [Fact]
    public void Decode_StartsOverAtTheLimit_WithANewGeneration()
    {
        var decoder = new MetricBatchDecoder(maxSeries: 4);
        decoder.Decode(Batch("h", S("a", 1), S("b", 1), S("c", 1)).ToByteArray());
        decoder.Decode(Batch("h", S("d", 1), S("e", 1)).ToByteArray()); // may overshoot within one batch
        Assert.Equal(0, decoder.Generation);
        Assert.Equal(5, decoder.Series.Count);

        var batch = decoder.Decode(Batch("h", S("e", 1), S("f", 1)).ToByteArray());
        Assert.Equal(1, decoder.Generation);
        Assert.Equal([0, 1], batch.Samples.ToArray().Select(s => s.Series.Id));
        Assert.Equal(["e", "f"], decoder.Series.Select(s => s.Name));
    }

    [Fact]
    public void Decode_RejectsTruncationsAndBitFlips_OnlyWithInvalidDataException()
    {
        var random = new Random(11);
        var bytes = Batch("web-1", S("cpu", 0.5, ("cpu", "0")), S("mem", 7, ("state", "used"))).ToByteArray();
        var decoder = new MetricBatchDecoder();
        var rejected = 0;
        for (var length = 0; length < bytes.Length; length++)
        {
            rejected += Rejects(decoder, bytes.AsSpan(0, length)) ? 1 : 0;
        }

        for (var round = 0; round < 20_000; round++)
        {
            var mutated = (byte[])bytes.Clone();
            var flips = random.Next(1, 4);
            for (var f = 0; f < flips; f++)
            {
                mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
            }

            rejected += Rejects(decoder, mutated) ? 1 : 0;
        }

        Assert.True(rejected > 1000, $"only {rejected} of the mutated batches were rejected");
        Assert.Equal("web-1", decoder.Decode(bytes).HostId); // still usable
    }

    private static bool Rejects(MetricBatchDecoder decoder, ReadOnlySpan<byte> data)
    {
        try
        {
            decoder.Decode(data);
            return false;
        }
        catch (InvalidDataException)
        {
            return true;
        }
    }

    [Fact]
    public void Decode_AllocatesNothing_OnceAHostsSeriesAreKnown()
    {
        var samples = Enumerable.Range(0, 100).Select(i => S("system.cpu.utilization", i / 100.0, ("cpu", i.ToString(System.Globalization.CultureInfo.InvariantCulture)))).ToArray();
        var bytes = Batch("web-1", samples).ToByteArray();
        var decoder = new MetricBatchDecoder();
        decoder.Decode(bytes);
        decoder.Decode(bytes);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            decoder.Decode(bytes);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
