using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.AspNetCore.SignalR.Client;
using Platform.Bench.Alerting;
using Platform.Bench.Dashboard;
using Platform.Dashboard.Hubs;
using Platform.Telemetry;
using Platform.Telemetry.Alerts;

namespace Platform.Bench.Fleet;

/// <summary>
/// <c>fleet [--hosts 1000,5000,10000] [--seconds 60] [--warmup 15] [--series 100] [--log-lines 1] [--flush-mode Strict]
/// [--prom-hosts 0 (= N)] [--prom-seconds 60] [--defaults-seconds 0]</c>: the whole platform against the fleet simulator.
/// For each N: platform-broker, platform-alerting and the dashboard (all-in-one host with <c>--bootstrap</c>), each
/// its own process, and the simulator (<c>fleet-sim</c>) as a fourth; a rule that the stimulus crosses, notifications to
/// an in-process webhook receiver, a SignalR client watching the stimulated hosts. Then Prometheus + Alertmanager
/// against the same fleet (N hosts, or at most <c>--prom-hosts</c>; <c>--reference-only</c> skips the platform) at their tightest settings; with
/// <c>--defaults-seconds</c> also once at their defaults. Prints one table.
/// </summary>
internal sealed partial class FleetHarness : IHarness
{
    private static readonly string RuleId = StimulusPlan.CpuRule.Id;
    private const int Partitions = 4;

    public string Name => "fleet";

    public string Description => "end to end: N simulated hosts x 100 series through broker, alerting, dashboard vs Prometheus + Alertmanager";

    [GeneratedRegex(@"Broker listening on (127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"^READY")]
    private static partial Regex ReadyLine();

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var sizes = FleetArgs.Ints(args, "--hosts", [1000]);
        var seconds = FleetArgs.Int(args, "--seconds", 60);
        var warmup = FleetArgs.Int(args, "--warmup", 15);
        var series = Math.Max(1, FleetArgs.Int(args, "--series", 100));
        var logLines = FleetArgs.Int(args, "--log-lines", 1);
        var flushMode = FleetArgs.String(args, "--flush-mode");
        var promHosts = FleetArgs.Int(args, "--prom-hosts", 0);
        var promSeconds = FleetArgs.Int(args, "--prom-seconds", 60);
        var defaultsSeconds = FleetArgs.Int(args, "--defaults-seconds", 0);
        if (seconds < 20)
        {
            throw new ArgumentException("--seconds must be at least 20 (stimuli start after the warm-up)");
        }

        Console.WriteLine($"fleet: hosts {string.Join(", ", sizes)}; {series} series and {logLines} log line(s) per host per second; {warmup} s warm-up + {seconds} s measured; {Environment.ProcessorCount} cores");
        var rows = new List<PlatformRow>();
        var references = new List<ReferenceRow>();
        await using var sink = await HttpSink.StartAsync();
        foreach (var hosts in sizes)
        {
            if (!args.Contains("--reference-only"))
            {
                rows.Add(await RunPlatformAsync(hosts, series, logLines, warmup, seconds, flushMode, sink, cancellationToken));
            }

            if (promSeconds > 0 && PrometheusFleet.Available)
            {
                references.Add(await RunPrometheusAsync(promHosts > 0 ? Math.Min(hosts, promHosts) : hosts, promSeconds, tightest: true, sink, cancellationToken));
            }
        }

        if (defaultsSeconds > 0 && PrometheusFleet.Available)
        {
            references.Add(await RunPrometheusAsync(promHosts > 0 ? Math.Min(sizes[0], promHosts) : sizes[0], defaultsSeconds, tightest: false, sink, cancellationToken));
        }

        if (rows.Count == 0 && references.Count == 0)
        {
            Console.WriteLine("nothing was run (--reference-only without Prometheus?)");
            return 1;
        }

        Print(rows, references);
        return 0;
    }

    private static async Task<PlatformRow> RunPlatformAsync(int hosts, int series, int logLines, int warmup, int seconds, string? flushMode, HttpSink sink, CancellationToken cancellationToken)
    {
        var root = Path.Combine(Path.GetTempPath(), $"fleet-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var quiet = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" };
        var components = new List<IAsyncDisposable>();
        Console.WriteLine();
        Console.WriteLine($"== platform, {hosts} hosts ==");
        try
        {
            List<string> brokerArgs = ["--listen", "127.0.0.1:0", "--data-dir", Path.Combine(root, "broker"), "--partitions", Partitions.ToString(CultureInfo.InvariantCulture)];
            if (flushMode is not null)
            {
                brokerArgs.AddRange(["--flush-mode", flushMode]);
            }

            var broker = ChildProcess.StartDotnet("broker", "Platform.Broker.dll", brokerArgs);
            components.Add(broker);
            var bootstrap = await broker.WaitForLineAsync(ListeningLine(), TimeSpan.FromSeconds(60), cancellationToken);
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build())
            {
                await admin.CreateTopicsAsync(
                [
                    new TopicSpecification { Name = Topics.Metrics, NumPartitions = Partitions, ReplicationFactor = 1 },
                    new TopicSpecification { Name = Topics.Logs, NumPartitions = Partitions, ReplicationFactor = 1 },
                ]);
            }

            var alertingUrl = $"http://127.0.0.1:{HttpSink.FreePort()}";
            var alerting = ChildProcess.StartDotnet("alerting", "Platform.Alerting.dll",
                ["--bootstrap", bootstrap, "--urls", alertingUrl, "--state", Path.Combine(root, "alerting"), "--instance", "fleet"], quiet);
            components.Add(alerting);
            using var http = new HttpClient { BaseAddress = new Uri(alertingUrl) };
            await WaitAlertingAsync(http, alerting, cancellationToken);
            await PutAsync(http, "/api/channels/fleet-sink", AlertCodec.Encode(new NotificationChannel
            {
                Id = "fleet-sink",
                Name = "fleet-sink",
                Type = ChannelType.Webhook,
                Url = new Uri(sink.BaseUri, "platform"),
            }), cancellationToken);
            await PutAsync(http, $"/api/rules/{RuleId}", AlertCodec.Encode(StimulusPlan.CpuRule with { Channels = ["fleet-sink"] }), cancellationToken);

            var dashboard = await DashboardProcess.StartAsync(bootstrap, HttpSink.FreePort(), cancellationToken);
            components.Add(dashboard);

            // Stimuli: from the end of the warm-up, one every 500 ms (at most one per host), each held 5 s.
            var hold = TimeSpan.FromSeconds(5);
            var count = Math.Min(hosts, (int)((seconds - hold.TotalSeconds - 2) * 2));
            var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 3000;
            var plan = new StimulusPlan(hosts, TimeSpan.FromSeconds(warmup), TimeSpan.FromMilliseconds(500), hold, count);

            // A SignalR client watches the first 20 stimulated hosts: sample timestamp → push received.
            var pushes = new ConcurrentQueue<double>();
            var measuring = 0;
            var live = new HubConnectionBuilder().WithUrl(dashboard.Url + LiveHub.Path).Build();
            components.Add(live);
            live.On<HostUpdate>(LiveHub.HostMessage, u =>
            {
                if (Volatile.Read(ref measuring) == 1)
                {
                    pushes.Enqueue(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - u.LastSeenUnixMs);
                }
            });
            await live.StartAsync(cancellationToken);
            foreach (var h in plan.StimulatedHosts().Take(20))
            {
                await live.InvokeAsync<HostUpdate?>(nameof(LiveHub.WatchHost), FleetSimulator.HostId(h), cancellationToken);
            }

            var stimuli = new ConcurrentDictionary<int, (string Host, long SampleUnixMs)>();
            var stats = new ConcurrentQueue<string>();
            var simulator = ChildProcess.StartDotnet("simulator", "Platform.Bench.dll",
            [
                "fleet-sim", "--bootstrap", bootstrap, "--hosts", Num(hosts), "--series", Num(series), "--log-lines", Num(logLines),
                "--start-unix-ms", start.ToString(CultureInfo.InvariantCulture), .. plan.ToArgs(),
            ]);
            components.Add(simulator);
            simulator.Lines += line =>
            {
                var parts = line.Split(' ');
                if (parts is ["STIMULUS", var k, var host, var ts])
                {
                    stimuli[int.Parse(k, CultureInfo.InvariantCulture)] = (host, long.Parse(ts, CultureInfo.InvariantCulture));
                }
                else if (line.StartsWith("STAT", StringComparison.Ordinal))
                {
                    stats.Enqueue(line);
                }
            };
            await simulator.WaitForLineAsync(ReadyLine(), TimeSpan.FromSeconds(60), cancellationToken);

            using var lag = new LagSampler(bootstrap, ["platform-alerting"], Partitions);
            using var scraper = new HttpClient { BaseAddress = new Uri(dashboard.Url) };
            var wait = start + (warmup * 1000L) - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait), cancellationToken);
            }

            ChildProcess[] measured = [broker, alerting, simulator];
            var cpuBefore = measured.Select(p => p.CpuSeconds()).Append(dashboard.CpuTime().TotalSeconds).ToArray();
            var offsetsBefore = lag.EndOffsets();
            Volatile.Write(ref measuring, 1);
            var clock = Stopwatch.StartNew();
            var lagSeries = new List<LagPoint>();
            while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
                var point = await lag.SampleAsync(clock.Elapsed, () => DashboardRecordsAsync(scraper, cancellationToken));
                lagSeries.Add(point);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  t={point.Seconds,5:0} s  lag alerting {point.Lags[0],9:N0}  dashboard {point.Lags[1],9:N0} records  | {stats.LastOrDefault()}"));
            }

            var elapsed = clock.Elapsed;
            var load = Stats.LoadAverage();
            var cpuAfter = measured.Select(p => p.CpuSeconds()).Append(dashboard.CpuTime().TotalSeconds).ToArray();
            var offsetsAfter = lag.EndOffsets();
            var peaks = measured.Select(p => p.PeakRssBytes()).Append(dashboard.Memory().Peak).ToArray();
            Volatile.Write(ref measuring, 0);
            var stopped = await simulator.CloseInputAndWaitAsync(TimeSpan.FromSeconds(40));
            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);

            var batches = offsetsAfter - offsetsBefore;
            var firing = FirstFiring(sink, "/platform");
            var notify = new List<double>();
            var missed = 0;
            foreach (var (k, (host, sampleMs)) in stimuli)
            {
                if (plan.StartOf(k) < TimeSpan.FromSeconds(warmup))
                {
                    continue;
                }

                if (firing.TryGetValue(host, out var arrivals) && arrivals.FirstOrDefault(a => a >= sampleMs) is var arrived and > 0)
                {
                    notify.Add(arrived - sampleMs);
                }
                else
                {
                    missed++;
                }
            }

            if (Environment.GetEnvironmentVariable("BENCH_DUMP") is not null)
            {
                Console.WriteLine("  sample → notification ms: " + string.Join(' ', notify.Order().Select(v => v.ToString(CultureInfo.InvariantCulture))));
                // Where the time goes: sample → firedAt (alerting's clock when it evaluated the batch) → webhook received.
                var split = new List<string>();
                foreach (var (p, body, arrived) in sink.Requests)
                {
                    if (p != "/platform" || (string?)body["ruleId"] != RuleId || (string?)body["status"] != "firing")
                    {
                        continue;
                    }

                    foreach (var alert in body["alerts"]!.AsArray())
                    {
                        var host = (string?)alert!["labels"]?["host"];
                        var fired = alert["firedAt"] is JsonNode f ? DateTimeOffset.Parse((string)f!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() : 0;
                        var sample = stimuli.Values.Where(v => v.Host == host && v.SampleUnixMs <= arrived).Select(v => v.SampleUnixMs).DefaultIfEmpty().Max();
                        split.Add(string.Create(CultureInfo.InvariantCulture, $"{arrived - sample}={fired - sample}+{arrived - fired}"));
                    }
                }

                Console.WriteLine("  total=sample→firedAt+firedAt→webhook: " + string.Join(' ', split.OrderBy(x => int.Parse(x[..x.IndexOf('=', StringComparison.Ordinal)], CultureInfo.InvariantCulture))));
            }

            return new PlatformRow(hosts, series, batches * series / elapsed.TotalSeconds, batches / elapsed.TotalSeconds, lagSeries,
                notify, missed, [.. pushes], cpuAfter.Zip(cpuBefore, (a, b) => (a - b) / elapsed.TotalSeconds).ToArray(), peaks, stats.LastOrDefault() ?? "", stopped, load);
        }
        finally
        {
            for (var i = components.Count - 1; i >= 0; i--)
            {
                try
                {
                    await components[i].DisposeAsync();
                }
                catch (Exception e) when (e is InvalidOperationException or IOException or HttpRequestException)
                {
                    Console.Error.WriteLine($"stopping a component: {e.Message}");
                }
            }

            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<ReferenceRow> RunPrometheusAsync(int hosts, int seconds, bool tightest, HttpSink sink, CancellationToken cancellationToken)
    {
        var settings = tightest ? "scrape 1 s, eval 1 s, group_wait 0 s" : "defaults: scrape 15 s, eval 15 s, group_wait 30 s";
        Console.WriteLine();
        Console.WriteLine($"== Prometheus + Alertmanager, {hosts} hosts, {settings}, {seconds} s ==");
        // At the defaults a stimulus must outlast a scrape, an evaluation and group_wait: held 60 s, one every 20 s.
        var warmup = tightest ? 10 : 20;
        var every = TimeSpan.FromMilliseconds(tightest ? 500 : 20_000);
        var hold = TimeSpan.FromSeconds(tightest ? 5 : 60);
        var count = Math.Min(hosts, (int)((seconds - warmup - hold.TotalSeconds) / every.TotalSeconds));
        var plan = new StimulusPlan(hosts, TimeSpan.FromSeconds(warmup), every, hold, Math.Max(1, count));
        var path = tightest ? $"/am-tight-{hosts}" : $"/am-defaults-{hosts}";
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using var fleet = await PrometheusFleet.StartAsync(hosts, plan, start, sink, path, tightest, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(warmup), cancellationToken);
        var cpuBefore = new[] { fleet.Prometheus.CpuSeconds(), fleet.Alertmanager.CpuSeconds() };
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds - warmup), cancellationToken);
        var elapsed = clock.Elapsed;
        var load = Stats.LoadAverage();
        var cpu = new[] { fleet.Prometheus.CpuSeconds(), fleet.Alertmanager.CpuSeconds() }.Zip(cpuBefore, (a, b) => (a - b) / elapsed.TotalSeconds).ToArray();
        var peaks = new[] { fleet.Prometheus.PeakRssBytes(), fleet.Alertmanager.PeakRssBytes() };
        await Task.Delay(TimeSpan.FromSeconds(tightest ? 3 : 45), cancellationToken);
        var firing = FirstFiring(sink, path);
        var sampleToNotify = new List<double>();
        var changeToNotify = new List<double>();
        var missed = 0;
        for (var k = 0; k < plan.Count; k++)
        {
            var host = FleetSimulator.HostId(plan.HostOf(k));
            var changed = start + (long)plan.StartOf(k).TotalMilliseconds;
            if (!fleet.FirstServed.TryGetValue(k, out var served))
            {
                continue;
            }

            if (firing.TryGetValue(host, out var arrivals) && arrivals.FirstOrDefault(a => a >= served) is var arrived and > 0)
            {
                sampleToNotify.Add(arrived - served);
                changeToNotify.Add(arrived - changed);
            }
            else
            {
                missed++;
            }
        }

        Console.WriteLine($"  scrapes served: {fleet.Scrapes}, stimuli served: {fleet.FirstServed.Count}, notified: {sampleToNotify.Count}, missed: {missed}");
        return new ReferenceRow(hosts, settings, hosts * 100.0 / (tightest ? 1 : 15), sampleToNotify, changeToNotify, missed, cpu, peaks, load);
    }

    /// <summary>Host → arrival times of the firing notifications of the fleet rule received on <paramref name="path"/>
    /// (the platform's webhook body or Alertmanager's).</summary>
    private static Dictionary<string, List<long>> FirstFiring(HttpSink sink, string path)
    {
        var result = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        foreach (var (p, body, arrived) in sink.Requests)
        {
            if (p != path || (string?)body["status"] != "firing")
            {
                continue;
            }

            if (path == "/platform" && (string?)body["ruleId"] != RuleId)
            {
                continue;
            }

            foreach (var alert in body["alerts"]?.AsArray() ?? [])
            {
                if (alert?["labels"]?["host"] is JsonNode host)
                {
                    var h = (string)host!;
                    if (!result.TryGetValue(h, out var list))
                    {
                        result[h] = list = [];
                    }

                    list.Add(arrived);
                }
            }
        }

        foreach (var list in result.Values)
        {
            list.Sort();
        }

        return result;
    }

    private static async Task WaitAlertingAsync(HttpClient http, ChildProcess alerting, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (alerting.HasExited)
            {
                throw new InvalidOperationException($"alerting exited:\n{alerting.Tail}");
            }

            try
            {
                var status = await http.GetFromJsonAsync<JsonObject>("/api/alerting/status", cancellationToken);
                if (status is not null && (bool?)status["ready"] == true
                    && status["partitions"]!.AsArray().Count(p => ((string?)p)?.StartsWith(Topics.Metrics + "[", StringComparison.Ordinal) == true) == Partitions)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(250, cancellationToken);
        }

        throw new TimeoutException($"alerting not ready with every metrics partition within 90 s:\n{alerting.Tail}");
    }

    /// <summary>Metric batches the dashboard has applied (its <c>platform_dashboard_records_total</c> and rejected count).</summary>
    private static async Task<long> DashboardRecordsAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var text = await http.GetStringAsync("/metrics", cancellationToken);
        double total = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("platform_dashboard_records_total ", StringComparison.Ordinal) || line.StartsWith("platform_dashboard_records_rejected_total ", StringComparison.Ordinal))
            {
                total += double.Parse(line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return (long)total;
    }

    private static async Task PutAsync(HttpClient http, string path, byte[] json, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(json);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await http.PutAsync(path, content, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    /// <summary>The 1-minute load average (/proc/loadavg): how busy the shared machine was.</summary>

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Print(List<PlatformRow> rows, List<ReferenceRow> references)
    {
        static string Mib(long bytes) => (bytes / 1048576.0).ToString("N0", CultureInfo.InvariantCulture);
        var text = new StringBuilder();
        text.AppendLine();
        if (rows.Count > 0)
        {
            PrintPlatform(rows, text);
        }

        if (references.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("| Prometheus + Alertmanager | hosts | samples/s scraped | sample → notification p50 / p99 / max ms (n, missed) | value change → notification p50 / p99 / max ms | CPU % Prometheus / Alertmanager | peak RSS MiB Prometheus / Alertmanager | load average | p99 ratio to the platform |");
            text.AppendLine("|---|---:|---:|---|---|---|---|---:|---:|");
            foreach (var r in references)
            {
                var platform = rows.FirstOrDefault(p => p.Hosts == r.Hosts);
                var p99 = platform is null ? double.NaN : Stats.Percentile(platform.Notify, 99);
                var ratio = p99 > 0 ? (Stats.Percentile(r.SampleToNotify, 99) / p99).ToString("0.0", CultureInfo.InvariantCulture) + $"× (vs {platform!.Hosts:N0} hosts)" : "–";
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Settings} | {r.Hosts:N0} | {r.SamplesPerSecond:N0} | {Pct(r.SampleToNotify, 50)} / {Pct(r.SampleToNotify, 99)} / {Pct(r.SampleToNotify, 100)} ({r.SampleToNotify.Count}, {r.Missed}) | {Pct(r.ChangeToNotify, 50)} / {Pct(r.ChangeToNotify, 99)} / {Pct(r.ChangeToNotify, 100)} | {r.Cpu[0] * 100:0} / {r.Cpu[1] * 100:0} | {Mib(r.Peaks[0])} / {Mib(r.Peaks[1])} | {r.LoadAverage} | {ratio} |"));
            }
        }

        text.AppendLine();
        text.AppendLine("Platform: sample = the stimulus batch's timestamp (set by the simulator as it builds the batch); notification = the webhook POST received. Dashboard push: a host update received by a SignalR client minus the newest sample's timestamp in it (the dashboard pushes each watched host at most once a second). Prometheus: sample = the first scrape that served the stimulus' value; value change = the moment the value changed in the served fleet. Lag, in metric batches (records) on the metrics topic every 5 s: for alerting the partitions' end offsets minus its group's committed offsets (it commits every 200 ms, so up to a fifth of a second of records is normal); for the dashboard (which commits nothing) end offsets minus the batches it has applied (platform_dashboard_records_total).");
        foreach (var r in rows)
        {
            text.AppendLine($"simulator at {r.Hosts:N0} hosts: {r.LastStat}{(r.SimulatorStopped ? "" : " (did not stop in time)")}");
        }

        Console.WriteLine(text.ToString());
    }

    private static void PrintPlatform(List<PlatformRow> rows, StringBuilder text)
    {
        static string Mib(long bytes) => (bytes / 1048576.0).ToString("N0", CultureInfo.InvariantCulture);
        text.AppendLine("| platform | " + string.Join(" | ", rows.Select(r => $"{r.Hosts:N0} hosts")) + " |");
        text.AppendLine("|---|" + string.Concat(rows.Select(_ => "---:|")));
        void Line(string name, Func<PlatformRow, string> cell) => text.AppendLine($"| {name} | " + string.Join(" | ", rows.Select(cell)) + " |");
        Line("offered samples/s (hosts × series)", r => (r.Hosts * r.Series).ToString("N0", CultureInfo.InvariantCulture));
        Line("ingested samples/s (broker, metrics topic)", r => r.IngestedSamplesPerSecond.ToString("N0", CultureInfo.InvariantCulture));
        Line("lag alerting, records: first → last sample (max)", r => r.LagText(0));
        Line("lag dashboard, records: first → last sample (max)", r => r.LagText(1));
        Line("sample → notification p50 / p99 / max ms (n, missed)", r => $"{Pct(r.Notify, 50)} / {Pct(r.Notify, 99)} / {Pct(r.Notify, 100)} ({r.Notify.Count}, {r.Missed})");
        Line("sample → dashboard push p50 / p99 / max ms (n)", r => $"{Pct(r.Pushes, 50)} / {Pct(r.Pushes, 99)} / {Pct(r.Pushes, 100)} ({r.Pushes.Count})");
        Line("CPU % of one core: broker / alerting / dashboard", r => string.Create(CultureInfo.InvariantCulture, $"{r.Cpu[0] * 100:0} / {r.Cpu[1] * 100:0} / {r.Cpu[3] * 100:0}"));
        Line("consumed samples/s: alerting / dashboard (ingested − lag growth)", r => $"{r.Consumed(0):N0} / {r.Consumed(1):N0}");
        Line("CPU µs per consumed sample: alerting / dashboard", r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Cpu[1] * 1e6 / Math.Max(1, r.Consumed(0)):0.00} / {r.Cpu[3] * 1e6 / Math.Max(1, r.Consumed(1)):0.00}"));
        Line("CPU % of one core: simulator", r => (r.Cpu[2] * 100).ToString("0", CultureInfo.InvariantCulture));
        Line("machine load average (1 min) at the end", r => r.LoadAverage);
        Line("peak RSS MiB: broker / alerting / dashboard / simulator", r => $"{Mib(r.Peaks[0])} / {Mib(r.Peaks[1])} / {Mib(r.Peaks[3])} / {Mib(r.Peaks[2])}");
    }

    private static string Pct(List<double> values, double p) =>
        values.Count == 0 ? "–" : Stats.Percentile(values, p).ToString("N0", CultureInfo.InvariantCulture);


    private sealed record PlatformRow(int Hosts, int Series, double IngestedSamplesPerSecond, double BatchesPerSecond, List<LagPoint> Lag,
        List<double> Notify, int Missed, List<double> Pushes, double[] Cpu, long[] Peaks, string LastStat, bool SimulatorStopped, string LoadAverage)
    {
        /// <summary>Samples/s a consumer took in: what was ingested minus how fast its lag grew between the first and last reading.</summary>
        public double Consumed(int group)
        {
            if (Lag.Count < 2)
            {
                return IngestedSamplesPerSecond;
            }

            var growth = (Lag[^1].Lags[group] - Lag[0].Lags[group]) / (Lag[^1].Seconds - Lag[0].Seconds);
            return Math.Max(0, IngestedSamplesPerSecond - (growth * Series));
        }

        public string LagText(int group) => Lag.Count == 0
            ? "–"
            : string.Create(CultureInfo.InvariantCulture, $"{Lag[0].Lags[group]:N0} → {Lag[^1].Lags[group]:N0} ({Lag.Max(l => l.Lags[group]):N0})");
    }

    private sealed record ReferenceRow(int Hosts, string Settings, double SamplesPerSecond, List<double> SampleToNotify, List<double> ChangeToNotify, int Missed, double[] Cpu, long[] Peaks, string LoadAverage);
}
