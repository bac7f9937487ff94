using BenchmarkDotNet.Attributes;
using Platform.Broker;
using Platform.Broker.Storage;

namespace Platform.Bench.Storage;

/// <summary>The CPU cost of validating a produce input: CRC-32C and the record framing check, per batch size.</summary>
[MemoryDiagnoser]
public class RecordBatchBenchmarks
{
    private byte[] _batch = [];

    [Params(1, 100, 1000)]
    public int Records { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var builder = new RecordBatchBuilder();
        var value = new byte[200];
        Random.Shared.NextBytes(value);
        for (var i = 0; i < Records; i++)
        {
            builder.Add(new byte[9], value);
        }

        _batch = builder.Build();
    }

    [Benchmark]
    public uint Crc() => RecordBatchHeader.ComputeCrc(_batch);

    [Benchmark]
    public ErrorCode Validate() => RecordBatchValidator.Validate(_batch, int.MaxValue, int.MaxValue, out _, out _);
}
