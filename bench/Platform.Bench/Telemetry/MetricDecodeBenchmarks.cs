using System.Text;
using BenchmarkDotNet.Attributes;
using Platform.Bench.Fleet;
using Platform.Telemetry.Decoding;
using Platform.Telemetry.V1;

namespace Platform.Bench.Telemetry;

/// <summary>
/// What reading one 100-sample metric batch costs a consumer: Google.Protobuf's generated parser against the shared
/// <see cref="MetricBatchDecoder"/>, over the batches of 1,000 simulated hosts taken in turn.
/// <c>dotnet run -c Release --project bench/Platform.Bench -- micro --filter '*MetricDecode*' --job short --inProcess</c>
/// </summary>
[MemoryDiagnoser]
public class MetricDecodeBenchmarks
{
    private const int Hosts = 1000;
    private byte[][] _batches = null!;
    private MetricBatchDecoder _decoder = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var model = HostModel.Create(100);
        var writer = new MetricBatchWriter(model, "bench");
        _batches = new byte[Hosts][];
        for (var h = 0; h < Hosts; h++)
        {
            var state = new HostState(model, h);
            state.Step(model);
            _batches[h] = writer.Write(Encoding.UTF8.GetBytes(FleetSimulator.HostId(h)), state.Values, 1_700_000_000_000, 1);
        }

        _decoder = new MetricBatchDecoder();
        foreach (var batch in _batches)
        {
            _decoder.Decode(batch);
        }
    }

    [Benchmark(Baseline = true)]
    public int GeneratedParser() => MetricBatch.Parser.ParseFrom(Next()).Samples.Count;

    [Benchmark]
    public int Decoder() => _decoder.Decode(Next()).Samples.Length;

    private byte[] Next()
    {
        var batch = _batches[_next];
        _next = (_next + 1) % Hosts;
        return batch;
    }
}
