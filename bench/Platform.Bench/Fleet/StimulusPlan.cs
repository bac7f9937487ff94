using System.Globalization;
using Platform.Telemetry;
using Platform.Telemetry.Alerts;

namespace Platform.Bench.Fleet;

/// <summary>
/// When which host's CPU is pushed over the threshold: stimulus k starts <see cref="FirstAfter"/> + k ×
/// <see cref="Every"/> after the run's start, on host (17 + k × 7919) mod N (so host 17 first), and holds
/// its total and per-core CPU at <see cref="Value"/> for <see cref="Hold"/>. The simulator and the Prometheus
/// targets follow the same plan.
/// </summary>
internal sealed record StimulusPlan(int Hosts, TimeSpan FirstAfter, TimeSpan Every, TimeSpan Hold, int Count, double Value = 0.99)
{
    /// <summary>The rule the stimulus trips: total CPU (no <c>cpu</c> label) over 0.95, by host, notified at once.</summary>
    public static AlertRule CpuRule { get; } = new()
    {
        Id = "fleet-cpu",
        Name = "FleetCpu",
        Kind = RuleKind.Metric,
        Metric = new MetricCondition
        {
            Name = MetricNames.CpuUtilization,
            Matchers = [new LabelMatcher { Name = LabelNames.Cpu, Value = "" }],
            Comparison = Comparison.GreaterThan,
            Threshold = 0.95,
        },
        GroupBy = ["host"],
        RepeatIntervalSeconds = 0,
    };

    public int HostOf(int k) => (int)((17 + (k * 7919L)) % Hosts);

    public TimeSpan StartOf(int k) => FirstAfter + (k * Every);

    /// <summary>The stimulus active on <paramref name="host"/> at <paramref name="elapsed"/> since the start, or -1.</summary>
    public int ActiveOn(int host, TimeSpan elapsed)
    {
        for (var k = 0; k < Count; k++)
        {
            var start = StartOf(k);
            if (start > elapsed)
            {
                break;
            }

            if (HostOf(k) == host && elapsed < start + Hold)
            {
                return k;
            }
        }

        return -1;
    }

    /// <summary>The hosts that get a stimulus at some point (k → host).</summary>
    public IEnumerable<int> StimulatedHosts() => Enumerable.Range(0, Count).Select(HostOf).Distinct();

    public string[] ToArgs() =>
    [
        "--stimulus-first-ms", Ms(FirstAfter), "--stimulus-every-ms", Ms(Every), "--stimulus-hold-ms", Ms(Hold),
        "--stimulus-count", Count.ToString(CultureInfo.InvariantCulture),
    ];

    public static StimulusPlan FromArgs(string[] args, int hosts) => new(
        hosts,
        TimeSpan.FromMilliseconds(FleetArgs.Int(args, "--stimulus-first-ms", 10_000)),
        TimeSpan.FromMilliseconds(FleetArgs.Int(args, "--stimulus-every-ms", 500)),
        TimeSpan.FromMilliseconds(FleetArgs.Int(args, "--stimulus-hold-ms", 5_000)),
        FleetArgs.Int(args, "--stimulus-count", 100));

    private static string Ms(TimeSpan t) => ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
}

/// <summary>Command-line options of the fleet harnesses.</summary>
internal static class FleetArgs
{
    public static int Int(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        if (i < 0)
        {
            return fallback;
        }

        if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < 0)
        {
            throw new ArgumentException($"{name} needs a non-negative integer");
        }

        return value;
    }

    public static string? String(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        if (i < 0)
        {
            return null;
        }

        return i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{name} needs a value");
    }

    public static int[] Ints(string[] args, string name, int[] fallback)
    {
        var text = String(args, name);
        if (text is null)
        {
            return fallback;
        }

        var values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var result = new int[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (!int.TryParse(values[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i]) || result[i] <= 0)
            {
                throw new ArgumentException($"{name} needs a comma-separated list of positive integers, not '{text}'");
            }
        }

        return result.Length > 0 ? result : throw new ArgumentException($"{name} is empty");
    }
}
