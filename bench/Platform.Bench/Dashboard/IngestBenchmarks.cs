using BenchmarkDotNet.Attributes;
using Platform.Bench.Fleet;
using Platform.Dashboard.Services;
using Platform.Telemetry.V1;

namespace Platform.Bench.Dashboard;

/// <summary>
/// The dashboard's cost per consumed metric batch (100 series, the fleet simulator's host model): encode the next
/// tick of one of 1,000 hosts, then decode it and apply it to the fleet model as the live consumer does.
/// <see cref="Encode"/> alone is the baseline; the difference is the decode + ingest cost (divide by 100 per sample);
/// <see cref="Decode"/> splits it into the shared decoder's part and the dashboard's.
/// </summary>
[MemoryDiagnoser]
public class IngestBenchmarks
{
    private const int Hosts = 1000;
    private HostModel _model = null!;
    private MetricBatch _template = null!;
    private Fleet.HostState[] _states = [];
    private string[] _ids = [];
    private FleetModel _fleet = null!;
    private readonly SeriesCatalog _catalog = new();
    private readonly SeriesCatalog _decodeOnly = new();
    private ManualClock _clock = null!;
    private int _next;
    private long _time;

    [GlobalSetup]
    public void Setup()
    {
        _model = HostModel.Create(100);
        _template = _model.NewTemplate();
        _states = new Fleet.HostState[Hosts];
        _ids = new string[Hosts];
        for (var i = 0; i < Hosts; i++)
        {
            _states[i] = new Fleet.HostState(_model, i);
            _ids[i] = "host-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        _time = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _clock = new ManualClock { Now = DateTimeOffset.FromUnixTimeMilliseconds(_time) };
        _fleet = new FleetModel(new DashboardOptions(), _clock, new AlertBook());

        // Fill every host's rings first: the steady state is a fleet whose series already exist.
        for (var round = 0; round < 400 * Hosts; round++)
        {
            DecodeApply();
        }
    }

    [Benchmark(Baseline = true)]
    public int Encode() => NextBatch().Length;

    /// <summary>Encode and decode only (the shared decoder): <c>DecodeApply − Decode</c> is the dashboard's own part.</summary>
    [Benchmark]
    public int Decode()
    {
        var bytes = NextBatch();
        return _decodeOnly.Decode(bytes).Samples.Length + bytes.Length;
    }

    [Benchmark]
    public int DecodeApply()
    {
        var bytes = NextBatch();
        IngestPath.Apply(_fleet, _catalog, bytes);
        return bytes.Length;
    }

    private byte[] NextBatch()
    {
        var host = _next;
        if (++_next == Hosts)
        {
            _next = 0;
            _time += 1000;
            _clock.Now = DateTimeOffset.FromUnixTimeMilliseconds(_time);
        }

        var state = _states[host];
        state.Step(_model);
        state.Sequence++;
        return HostModel.Encode(_template, _ids[host], state, _time, state.Sequence);
    }
}

/// <summary>A clock the benchmark moves by hand.</summary>
internal sealed class ManualClock : TimeProvider
{
    public DateTimeOffset Now { get; set; }

    public override DateTimeOffset GetUtcNow() => Now;
}
