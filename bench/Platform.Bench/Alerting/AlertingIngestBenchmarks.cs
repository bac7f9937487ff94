using BenchmarkDotNet.Attributes;
using Platform.Alerting.Evaluation;
using Platform.Alerting.Rules;
using Platform.Bench.Fleet;

namespace Platform.Bench.Alerting;

/// <summary>
/// Alerting's cost per consumed metric batch (100 series, the fleet simulator's host model) with the default rules
/// and the fleet benchmark's CPU rule: encode the next tick of one of 1,000 hosts (round robin, a second per round),
/// then decode it and ingest it into the engine as the live consumer does, the metric catalog learning names as it
/// goes, and the clock ticking the engine once a round. <see cref="Encode"/> alone is the baseline; the difference is the decode + ingest cost (÷ 100 per sample).
/// </summary>
[MemoryDiagnoser]
public class AlertingIngestBenchmarks
{
    private const int Hosts = 1000;
    private readonly FleetTicks _ticks = new(Hosts);
    private readonly MetricCatalog _catalog = new();
    private AlertEngine _engine = null!;

    [GlobalSetup]
    public void Setup()
    {
        _engine = new AlertEngine(_ticks.Clock, new AlertEngineOptions { Instance = "bench", SeriesSeen = d => _catalog.Observe(d.Name) });
        foreach (var rule in DefaultRules.All)
        {
            _engine.UpsertRule(rule);
        }

        _engine.UpsertRule(StimulusPlan.CpuRule);

        // Fill every window first (the default CPU rule averages a minute): the steady state is a fleet whose
        // series exist and whose windows are full.
        for (var round = 0; round < 90 * Hosts; round++)
        {
            DecodeIngest();
        }
    }

    [Benchmark(Baseline = true)]
    public int Encode() => NextBatch().Length;

    /// <summary>The decoder alone (its share of <see cref="DecodeIngest"/>).</summary>
    [Benchmark]
    public int Decode()
    {
        var bytes = NextBatch();
        return _engine.Decoder.Decode(bytes).Samples.Length;
    }

    [Benchmark]
    public int DecodeIngest()
    {
        var bytes = NextBatch();
        if (_ticks.AtRoundStart)
        {
            _engine.Tick(); // once a round, as the live loop does once a second
        }

        _engine.Ingest(_engine.Decoder.Decode(bytes));
        _engine.Records.Clear();
        _engine.Notifications.Clear();
        return bytes.Length;
    }

    private byte[] NextBatch() => _ticks.Next();
}
