using System.Globalization;

namespace Platform.Bench.Alerting;

/// <summary>
/// <c>alerting</c>: (1) samples/s through the evaluator with 100 rules (in-process); (2) latency from a sample's
/// timestamp to the webhook through the broker, under load; (3) latency from a value's change on a host (collected
/// every 1 s) to the webhook, for the platform and for Prometheus + Alertmanager (1 s scrape and evaluation,
/// group_wait 0) in the same run.
/// Options: <c>--hosts N</c> (evaluator hosts, default 200), <c>--seconds S</c> (each phase, default 10),
/// <c>--load-hosts N</c> (background agents during phase 2, default 200), <c>--change-seconds S</c> (phase 3, default 60),
/// <c>--defaults-seconds S</c> (also compare with Prometheus + Alertmanager at their defaults; 0 = skip), <c>--only evaluator</c>.
/// </summary>
internal sealed class AlertingHarness : IHarness
{
    public string Name => "alerting";

    public string Description => "alert evaluation throughput (100 rules) and sample-to-webhook latency vs Prometheus + Alertmanager";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var hosts = Option(args, "--hosts", 200);
        var seconds = Option(args, "--seconds", 10);
        var loadHosts = Option(args, "--load-hosts", 200);
        var changeSeconds = Option(args, "--change-seconds", 60);
        Console.WriteLine($"alerting (1/3): evaluator in-process, 100 rules, {hosts} hosts x 60 samples per batch, {seconds} s");
        var result = EvaluatorWorkload.Run(hosts, TimeSpan.FromSeconds(seconds));
        Console.WriteLine();
        Console.WriteLine("| workload | rules | samples | samples/s | bytes allocated/sample |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| evaluator (in-process) | {result.Rules} | {result.Samples:N0} | {result.SamplesPerSecond:N0} | {(double)result.AllocatedBytes / result.Samples:N1} |"));
        if (args.Contains("evaluator"))
        {
            return 0;
        }

        await using var sink = await HttpSink.StartAsync();
        await using var pipeline = await PipelineWorkload.StartAsync(sink);
        var runtime = pipeline.Runtime;
        foreach (var rule in EvaluatorWorkload.HundredRules().Take(98))
        {
            await runtime.PutRuleAsync(rule, cancellationToken);
        }

        // (2) Sample timestamp → webhook, with background agents sending 60 samples per second each.
        Console.WriteLine();
        Console.WriteLine($"alerting (2/3): sample → webhook through the broker, {loadHosts} agents x 60 samples/s in the background, {seconds} s");
        var loadSamples = 0L;
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            stop.CancelAfter(TimeSpan.FromSeconds(seconds + 2));
            var load = Task.Run(async () =>
            {
                var random = new Random(7);
                var names = Enumerable.Range(0, loadHosts).Select(i => $"load-{i}").ToArray();
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                do
                {
                    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    foreach (var host in names)
                    {
                        pipeline.Send(EvaluatorWorkload.Batch(host, now, random));
                        loadSamples += 60;
                    }
                }
                while (await Wait(timer, stop.Token));
            }, CancellationToken.None);
            var probe = Task.Run(async () =>
            {
                await Task.Delay(TimeSpan.FromSeconds(2), stop.Token); // the background load reaches its steady state first
                var high = new bool[4];
                var i = 0;
                using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(125));
                while (await Wait(timer, stop.Token))
                {
                    var p = i++ % high.Length;
                    high[p] = !high[p];
                    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    pipeline.Send(PipelineWorkload.One($"probe-{p}", "bench.probe", high[p] ? now : -now, now));
                }
            }, CancellationToken.None);
            await Task.WhenAll(load, probe);
        }

        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var latencies = sink.Requests.Where(r => r.Path == "/platform" && (string?)r.Body["ruleId"] == "probe")
            .SelectMany(r => r.Body["alerts"]!.AsArray().Select(a => (double)(r.ArrivedUnixMs - Math.Abs((double)a!["value"]!))))
            .ToList();
        if (Environment.GetEnvironmentVariable("BENCH_DUMP") is not null)
        {
            Console.WriteLine(string.Join(" ", latencies.Order()));
        }

        Console.WriteLine();
        Console.WriteLine(Percentiles.Header);
        Console.WriteLine(Percentiles.Row($"platform: sample timestamp → webhook ({loadSamples / seconds:N0} samples/s load)", latencies));

        // (3) A value changes on a host → webhook; the platform's agent collects every 1 s, Prometheus scrapes every 1 s.
        if (!PrometheusStack.Available || changeSeconds == 0)
        {
            Console.WriteLine("prometheus / prometheus-alertmanager not installed: skipping the comparison");
            return 0;
        }

        Console.WriteLine();
        Console.WriteLine($"alerting (3/3): value change → webhook at a 1 s collection interval, platform and Prometheus + Alertmanager, {changeSeconds} s");
        await ChangeToWebhookAsync(pipeline, sink, defaults: false, TimeSpan.FromSeconds(changeSeconds), 3000, 2000, cancellationToken);
        var defaultsSeconds = Option(args, "--defaults-seconds", 0);
        if (defaultsSeconds > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"alerting (extra): the same with Prometheus + Alertmanager at their defaults, a change every 3-4 min, {defaultsSeconds} s");
            await ChangeToWebhookAsync(pipeline, sink, defaults: true, TimeSpan.FromSeconds(defaultsSeconds), 180_000, 60_000, cancellationToken);
        }

        return 0;
    }

    private static async Task ChangeToWebhookAsync(PipelineWorkload pipeline, HttpSink sink, bool defaults, TimeSpan duration,
        int minGapMs, int jitterMs, CancellationToken cancellationToken)
    {
        var amPath = defaults ? "/am-defaults" : "/am";
        var since = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using var prometheus = await PrometheusStack.StartAsync(sink, defaults);
        var flips = new List<(long AtUnixMs, bool High)>();
        var value = 0.0;
        sink.Gauge = 0;
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken); // first scrapes, Alertmanager up
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            stop.CancelAfter(duration);
            var agent = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                while (await Wait(timer, stop.Token))
                {
                    pipeline.Send(PipelineWorkload.One("switch-host", "bench.switch", Volatile.Read(ref value), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
                }
            }, CancellationToken.None);
            var random = new Random(11);
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(minGapMs + random.Next(jitterMs)), stop.Token);
                    var high = value == 0;
                    Volatile.Write(ref value, high ? 1 : 0);
                    sink.Gauge = value;
                    flips.Add((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), high));
                }
            }
            catch (OperationCanceledException)
            {
                // The phase is over.
            }

            await agent;
        }

        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        var platform = sink.Requests.Where(r => r.Path == "/platform" && r.ArrivedUnixMs >= since && (string?)r.Body["ruleId"] == "switch")
            .Select(r => (r.ArrivedUnixMs, Status: (string)r.Body["status"]!)).ToList();
        var am = sink.Requests.Where(r => r.Path == amPath).Select(r => (r.ArrivedUnixMs, Status: (string)r.Body["status"]!)).ToList();
        var settings = defaults ? "defaults: 1 min / 1 min / group_wait 30 s" : "1 s / 1 s / group_wait 0";
        Console.WriteLine();
        Console.WriteLine(Percentiles.Header);
        Console.WriteLine(Percentiles.Row("platform: change → webhook, firing", FirstAfterFlip(flips, platform, high: true)));
        Console.WriteLine(Percentiles.Row("platform: change → webhook, resolved", FirstAfterFlip(flips, platform, high: false)));
        Console.WriteLine(Percentiles.Row($"Prometheus + Alertmanager ({settings}): firing", FirstAfterFlip(flips, am, high: true)));
        Console.WriteLine(Percentiles.Row($"Prometheus + Alertmanager ({settings}): resolved", FirstAfterFlip(flips, am, high: false)));
    }

    /// <summary>For every flip, the delay to the first notification of the matching status before the next flip.</summary>
    private static List<double> FirstAfterFlip(List<(long AtUnixMs, bool High)> flips, List<(long ArrivedUnixMs, string Status)> notifications, bool high)
    {
        var result = new List<double>();
        for (var i = 0; i < flips.Count; i++)
        {
            if (flips[i].High != high)
            {
                continue;
            }

            var next = i + 1 < flips.Count ? flips[i + 1].AtUnixMs : long.MaxValue;
            var status = high ? "firing" : "resolved";
            var first = notifications.Where(n => n.Status == status && n.ArrivedUnixMs >= flips[i].AtUnixMs && n.ArrivedUnixMs < next)
                .Select(n => (long?)n.ArrivedUnixMs).Min();
            if (first is { } arrived)
            {
                result.Add(arrived - flips[i].AtUnixMs);
            }
        }

        return result;
    }

    private static async Task<bool> Wait(PeriodicTimer timer, CancellationToken token)
    {
        try
        {
            return await timer.WaitForNextTickAsync(token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    internal static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }
}
