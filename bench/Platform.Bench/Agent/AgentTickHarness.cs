using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Platform.Agents.Collectors;
using Platform.Agents.Collectors.Containers;
using Platform.Agents.Collectors.Host;
using Platform.Agents.Health;
using Platform.Telemetry.V1;

namespace Platform.Bench.Agent;

/// <summary>
/// The cost of one agent tick on this machine, per part, in-process: host collection, cgroup collection and
/// protobuf encoding, averaged over <c>--ticks N</c> (default 200) after a warm-up.
/// </summary>
internal sealed class AgentTickHarness : IHarness
{
    public string Name => "agent-tick";

    public string Description => "CPU time of one agent tick by part (host, containers, encode) on this machine";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var ticks = args.Length >= 2 && args[0] == "--ticks" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        var counters = new AgentCounters();
        var host = new HostCollector(HostPaths.Default, counters);
        using var containers = new CgroupCollector("/sys/fs/cgroup", "/var/run/docker.sock", "/sys", () => Environment.ProcessorCount, counters);
        var hostTime = TimeSpan.Zero;
        var containerTime = TimeSpan.Zero;
        var encodeTime = TimeSpan.Zero;
        var samples = 0;
        var bytes = 0;
        for (var i = -20; i < ticks; i++)
        {
            var batch = new MetricBatch { HostId = "bench", Sequence = (ulong)(i + 21) };
            var sink = new SampleSink(batch);
            var start = Stopwatch.GetTimestamp();
            host.Collect(sink);
            var afterHost = Stopwatch.GetTimestamp();
            await containers.CollectAsync(sink, Environment.TickCount64, cancellationToken);
            var afterContainers = Stopwatch.GetTimestamp();
            var encoded = batch.ToByteArray();
            var end = Stopwatch.GetTimestamp();
            if (i >= 0)
            {
                hostTime += Stopwatch.GetElapsedTime(start, afterHost);
                containerTime += Stopwatch.GetElapsedTime(afterHost, afterContainers);
                encodeTime += Stopwatch.GetElapsedTime(afterContainers, end);
                samples = batch.Samples.Count;
                bytes = encoded.Length;
            }
        }

        Console.WriteLine($"agent tick on this machine, mean of {ticks} ticks: {samples} samples, {bytes} bytes encoded, {counters.CollectErrors} collection errors");
        Console.WriteLine("| part | ms per tick |");
        Console.WriteLine("|---|---:|");
        Console.WriteLine($"| host (/proc, /sys, statvfs) | {hostTime.TotalMilliseconds / ticks:0.000} |");
        Console.WriteLine($"| containers (cgroups) | {containerTime.TotalMilliseconds / ticks:0.000} |");
        Console.WriteLine($"| protobuf encode | {encodeTime.TotalMilliseconds / ticks:0.000} |");
        return 0;
    }
}
