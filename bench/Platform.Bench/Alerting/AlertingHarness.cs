using System.Globalization;

namespace Platform.Bench.Alerting;

/// <summary>
/// <c>alerting</c>: samples/s through the evaluator with 100 rules (in-process); with the broker, latency from a
/// sample's timestamp to the webhook under load, and from a value's change on a host (1 s collection) to the
/// webhook, next to Prometheus + Alertmanager doing the same.
/// Options: <c>--hosts N</c> (default 200), <c>--seconds S</c> (default 10), <c>--only evaluator</c>.
/// </summary>
internal sealed class AlertingHarness : IHarness
{
    public string Name => "alerting";

    public string Description => "alert evaluation throughput (100 rules) and sample-to-webhook latency vs Prometheus + Alertmanager";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var hosts = Option(args, "--hosts", 200);
        var seconds = Option(args, "--seconds", 10);
        Console.WriteLine($"alerting: evaluator, 100 rules, {hosts} hosts x 60 samples per batch, {seconds} s");
        var result = EvaluatorWorkload.Run(hosts, TimeSpan.FromSeconds(seconds));
        Console.WriteLine();
        Console.WriteLine("| workload | rules | samples | samples/s | bytes allocated/sample |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| evaluator (in-process) | {result.Rules} | {result.Samples:N0} | {result.SamplesPerSecond:N0} | {(double)result.AllocatedBytes / result.Samples:N1} |"));
        await Task.CompletedTask;
        return 0;
    }

    internal static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }
}
