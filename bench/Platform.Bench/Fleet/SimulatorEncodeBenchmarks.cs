using System.Text;
using BenchmarkDotNet.Attributes;
using Platform.Telemetry.V1;

namespace Platform.Bench.Fleet;

/// <summary>
/// What one simulated host's metric batch costs to encode: Google.Protobuf's serializer over a reused message
/// against <see cref="MetricBatchWriter"/>, which writes the same bytes from the series' pre-encoded identities.
/// <c>dotnet run -c Release --project bench/Platform.Bench -- micro --filter '*SimulatorEncode*' --job short --inProcess</c>
/// </summary>
[MemoryDiagnoser]
public class SimulatorEncodeBenchmarks
{
    private HostModel _model = null!;
    private MetricBatch _template = null!;
    private MetricBatchWriter _writer = null!;
    private HostState _state = null!;
    private byte[] _hostId = null!;
    private ulong _sequence;

    [GlobalSetup]
    public void Setup()
    {
        _model = HostModel.Create(100);
        _template = _model.NewTemplate();
        _writer = new MetricBatchWriter(_model, "fleet-sim");
        _state = new HostState(_model, 17);
        _hostId = Encoding.UTF8.GetBytes("host-17");
        _writer.Verify(_model, "host-17", _state.Values, 1_700_000_000_000, 1);
    }

    [Benchmark(Baseline = true)]
    public byte[] GoogleProtobuf() => HostModel.Encode(_template, "host-17", _state, 1_700_000_000_000, ++_sequence);

    [Benchmark]
    public byte[] Writer() => _writer.Write(_hostId, _state.Values, 1_700_000_000_000, ++_sequence);
}
