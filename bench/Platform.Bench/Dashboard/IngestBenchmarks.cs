using BenchmarkDotNet.Attributes;
using Platform.Bench.Fleet;
using Platform.Dashboard.Services;

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
    private readonly FleetTicks _ticks = new(Hosts);
    private FleetModel _fleet = null!;
    private readonly SeriesCatalog _catalog = new();
    private readonly SeriesCatalog _decodeOnly = new();

    [GlobalSetup]
    public void Setup()
    {
        _fleet = new FleetModel(new DashboardOptions(), _ticks.Clock, new AlertBook());

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

    private byte[] NextBatch() => _ticks.Next();
}
