using System.Diagnostics;
using System.Globalization;

namespace Platform.Bench.Alerting;

/// <summary>
/// <c>alerting-ingest [--rounds N]</c>: the work of <see cref="AlertingIngestBenchmarks"/> (1,000 hosts × 100 series,
/// default rules + the fleet CPU rule) timed in CPU time rather than wall time, so that a machine loaded by other work
/// does not inflate it: CPU ns per sample of decode + ingest = (CPU of encode + decode + ingest − CPU of encode alone)
/// ÷ samples, and bytes allocated per batch.
/// </summary>
internal sealed class AlertingIngestHarness : IHarness
{
    private const int SamplesPerBatch = 100;

    public string Name => "alerting-ingest";

    public string Description => "alerting's decode + ingest cost per sample in CPU time (1,000 hosts x 100 series, default rules)";

    public Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var at = Array.IndexOf(args, "--rounds");
        var rounds = at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : 300;
        var bench = new AlertingIngestBenchmarks();
        bench.Setup();
        var batches = rounds * 1000;
        var encode = Measure(batches, () => bench.Encode());
        var decode = Measure(batches, () => bench.Decode());
        var full = Measure(batches, () => bench.DecodeIngest());
        var encodeAgain = Measure(batches, () => bench.Encode());
        var baseline = Math.Min(encode.CpuNs, encodeAgain.CpuNs);
        var perSample = (full.CpuNs - baseline) / SamplesPerBatch;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"alerting-ingest: {batches:N0} batches of {SamplesPerBatch} samples per measurement, load average {Stats.LoadAverage()}"));
        Console.WriteLine();
        Console.WriteLine("| measurement | CPU ns per batch | bytes allocated per batch |");
        Console.WriteLine("|---|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| encode (baseline) | {baseline:N0} | {encode.Bytes:N0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| encode + decode | {decode.CpuNs:N0} | {decode.Bytes:N0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| encode + decode + ingest | {full.CpuNs:N0} | {full.Bytes:N0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| decode alone | {decode.CpuNs - baseline:N0} ({(decode.CpuNs - baseline) / SamplesPerBatch:N1} ns per sample) | {decode.Bytes - encode.Bytes:N0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| **decode + ingest** | **{full.CpuNs - baseline:N0}** ({perSample:N1} ns per sample) | {full.Bytes - encode.Bytes:N0} |"));
        return Task.FromResult(0);
    }

    private static (double CpuNs, double Bytes) Measure(int batches, Func<int> work)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var sink = 0;
        for (var i = 0; i < batches; i++)
        {
            sink += work();
        }

        GC.KeepAlive(sink);
        process.Refresh();
        var used = process.TotalProcessorTime - cpu;
        return (used.TotalMilliseconds * 1e6 / batches, (double)(GC.GetAllocatedBytesForCurrentThread() - allocated) / batches);
    }
}
