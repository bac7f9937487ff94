using System.Diagnostics;
using Google.Protobuf;
using Platform.Alerting.Evaluation;
using Platform.Telemetry.Alerts;
using Platform.Telemetry.V1;

namespace Platform.Bench.Alerting;

/// <summary>Samples per second through the in-process engine with 100 rules: hosts send batches shaped like the
/// agent's (CPU total and per core, memory, filesystems, disks, network, load), every sample a rule watches lands in
/// a window and is evaluated. The engine decodes the records itself (its <c>MetricBatchDecoder</c>), as in the service.</summary>
internal static class EvaluatorWorkload
{
    public sealed record Result(int Rules, int Hosts, long Samples, double Seconds, long Transitions, long AllocatedBytes)
    {
        public double SamplesPerSecond => Samples / Seconds;
    }

    public static IReadOnlyList<AlertRule> HundredRules()
    {
        var rules = new List<AlertRule>();
        var metrics = new[]
        {
            "system.cpu.utilization", "system.memory.utilization", "system.filesystem.utilization", "system.disk.io",
            "system.network.io", "system.cpu.load_average.1m", "system.swap.utilization", "system.disk.operations",
        };
        var aggregations = new[] { Aggregation.Last, Aggregation.Avg, Aggregation.Max, Aggregation.Min, Aggregation.Rate, Aggregation.Percentile };
        for (var i = 0; i < 90; i++)
        {
            var metric = metrics[i % metrics.Length];
            var aggregation = aggregations[i % aggregations.Length];
            rules.Add(new AlertRule
            {
                Id = $"bench-{i:000}",
                Name = $"Bench{i:000}",
                Kind = RuleKind.Metric,
                Metric = new MetricCondition
                {
                    Name = metric,
                    Matchers = (i % 3) switch
                    {
                        0 => [],
                        1 => [new LabelMatcher { Name = "host", Op = MatchOperator.Regex, Value = $"host-{i % 10}.*" }],
                        _ => [new LabelMatcher { Name = "device", Op = MatchOperator.NotEqual, Value = "loop0" }],
                    },
                    Aggregation = aggregation,
                    Percentile = aggregation == Aggregation.Percentile ? 99 : null,
                    WindowSeconds = aggregation == Aggregation.Last ? 0 : 60,
                    Comparison = Comparison.GreaterThan,
                    Threshold = metric.EndsWith("utilization", StringComparison.Ordinal) ? 0.95 : 1e12,
                },
                ForSeconds = 60,
                Annotations = new Dictionary<string, string> { ["summary"] = "{{host}} {{value}}" },
            });
        }

        for (var i = 0; i < 5; i++)
        {
            rules.Add(new AlertRule { Id = $"bench-absent-{i}", Name = $"Absent{i}", Kind = RuleKind.Absence, Absence = new AbsenceCondition { AfterSeconds = 60 + i } });
        }

        for (var i = 0; i < 5; i++)
        {
            rules.Add(new AlertRule
            {
                Id = $"bench-log-{i}",
                Name = $"Log{i}",
                Kind = RuleKind.Log,
                Log = new LogCondition { Pattern = i % 2 == 0 ? "out of memory" : @"error \d+", IsRegex = i % 2 == 1, WindowSeconds = 60, MinCount = 5 },
            });
        }

        return rules;
    }

    /// <summary>One agent-like batch: 60 samples.</summary>
    public static MetricBatch Batch(string host, long timeMs, Random random)
    {
        var batch = new MetricBatch { HostId = host, TimestampUnixMs = timeMs, SchemaVersion = 1 };
        void Add(string name, double value, params (string, string)[] labels)
        {
            var s = new Sample { Name = name, Value = value, Unit = "1" };
            foreach (var (n, v) in labels)
            {
                s.Labels.Add(new Label { Name = n, Value = v });
            }

            batch.Samples.Add(s);
        }

        Add("system.cpu.utilization", random.NextDouble() * 0.9);
        for (var c = 0; c < 8; c++)
        {
            Add("system.cpu.utilization", random.NextDouble() * 0.9, ("cpu", c.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Add("system.memory.utilization", 0.5 + (random.NextDouble() * 0.3));
        Add("system.swap.utilization", 0.01);
        Add("system.cpu.load_average.1m", random.NextDouble() * 4);
        foreach (var mount in new[] { "/", "/boot", "/var", "/home" })
        {
            Add("system.filesystem.utilization", 0.4, ("mountpoint", mount), ("device", "sda1"));
        }

        foreach (var device in new[] { "sda", "sdb", "nvme0n1", "loop0" })
        {
            Add("system.disk.io", timeMs * 10.0, ("device", device), ("direction", "read"));
            Add("system.disk.io", timeMs * 5.0, ("device", device), ("direction", "write"));
            Add("system.disk.operations", timeMs / 10.0, ("device", device), ("direction", "read"));
        }

        foreach (var nic in new[] { "eth0", "eth1" })
        {
            Add("system.network.io", timeMs * 100.0, ("device", nic), ("direction", "receive"));
            Add("system.network.io", timeMs * 50.0, ("device", nic), ("direction", "transmit"));
        }

        while (batch.Samples.Count < 60)
        {
            Add("process.count", 200, ("state", "slot" + batch.Samples.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        return batch;
    }

    public static Result Run(int hosts, TimeSpan duration)
    {
        var engine = new AlertEngine(TimeProvider.System, new AlertEngineOptions { Instance = "bench" });
        foreach (var rule in HundredRules())
        {
            engine.UpsertRule(rule);
        }

        var random = new Random(42);
        var names = Enumerable.Range(0, hosts).Select(i => $"host-{i}").ToArray();
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // Pre-encoded batches, 10 rounds of every host, decoded and evaluated as the consumer does. Each record starts
        // with its timestamp (field 3, a fixed-length varint: protobuf fields may come in any order), rewritten in place
        // every round, so the measurement holds no encoding.
        var rounds = Enumerable.Range(0, 10).Select(r => names.Select(h => Encode(Batch(h, start + (r * 1000), random))).ToArray()).ToArray();
        long samples = 0, transitions = 0;
        var round = 0;
        void Round()
        {
            var records = rounds[round % rounds.Length];
            foreach (var record in records)
            {
                SetTime(record, start + (round * 1000L));
                var batch = engine.Decoder.Decode(record);
                engine.Ingest(batch);
                samples += batch.Samples.Length;
            }

            if (round % 10 == 0)
            {
                engine.Tick();
            }

            transitions += engine.Records.Count;
            engine.Records.Clear();
            engine.Notifications.Clear();
            round++;
        }

        // Warm-up: fill every 60 s window (one batch per host per simulated second) so the measurement is the steady state.
        while (round < 70)
        {
            Round();
        }

        samples = 0;
        transitions = 0;
        var clock = Stopwatch.StartNew();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        while (clock.Elapsed < duration)
        {
            Round();
        }

        var seconds = clock.Elapsed.TotalSeconds;
        return new Result(engine.Rules.Count, hosts, samples, seconds, transitions, GC.GetAllocatedBytesForCurrentThread() - allocated);
    }

    private const int TimeVarintBytes = 6; // milliseconds since the epoch from 2004 to 2112

    /// <summary>The batch's bytes with its timestamp first (tag 0x18 and a 6-byte varint) and left out of the rest.</summary>
    private static byte[] Encode(MetricBatch batch)
    {
        var time = batch.TimestampUnixMs;
        batch.TimestampUnixMs = 0;
        var rest = batch.ToByteArray();
        batch.TimestampUnixMs = time;
        var record = new byte[1 + TimeVarintBytes + rest.Length];
        record[0] = 0x18;
        rest.CopyTo(record, 1 + TimeVarintBytes);
        SetTime(record, time);
        return record;
    }

    private static void SetTime(byte[] record, long time)
    {
        var value = (ulong)time;
        for (var i = 0; i < TimeVarintBytes; i++)
        {
            record[1 + i] = (byte)((value & 0x7F) | (i < TimeVarintBytes - 1 ? 0x80u : 0u));
            value >>= 7;
        }

        if (value != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, "timestamp does not fit the fixed-length varint");
        }
    }
}
