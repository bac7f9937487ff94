using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Bench.Alerting;

namespace Platform.Bench.Fleet;

/// <summary>
/// The reference: the same simulated fleet as Prometheus scrape targets, Prometheus evaluating
/// <c>system_cpu_utilization{cpu=""} &gt; 0.95</c> and Alertmanager (grouped by host) posting to the run's webhook
/// receiver. The fleet is served by one in-process Kestrel as <see cref="Targets"/> targets
/// (<c>/metrics/0</c> … , 100 hosts each, every series labelled <c>host</c>), which scales to 10k hosts with a few
/// hundred targets rather than one port per host. Each scrape moves the served hosts one random-walk step;
/// the stimulus follows the same <see cref="StimulusPlan"/> as the simulator, and the first scrape that serves a
/// stimulus' value is recorded: that scrape's time is the sample's timestamp in Prometheus.
/// </summary>
internal sealed class PrometheusFleet : IAsyncDisposable
{
    public const int HostsPerTarget = 100;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fleet-prometheus-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<ChildProcess> _processes = [];
    private WebApplication? _targets;

    private PrometheusFleet(int hosts, StimulusPlan plan, long startUnixMs)
    {
        Hosts = hosts;
        Plan = plan;
        StartUnixMs = startUnixMs;
        Model = HostModel.Create(100);
        States = [.. Enumerable.Range(0, hosts).Select(h => new HostState(Model, h))];
    }

    public int Hosts { get; }

    public int Targets => (Hosts + HostsPerTarget - 1) / HostsPerTarget;

    public StimulusPlan Plan { get; }

    public long StartUnixMs { get; }

    public HostModel Model { get; }

    public HostState[] States { get; }

    /// <summary>Stimulus k → the time the first scrape served its value.</summary>
    public ConcurrentDictionary<int, long> FirstServed { get; } = new();

    public long Scrapes;

    public ChildProcess Prometheus => _processes[1];

    public ChildProcess Alertmanager => _processes[0];

    public static bool Available => File.Exists("/usr/bin/prometheus") && File.Exists("/usr/bin/prometheus-alertmanager");

    /// <summary>Starts targets, Alertmanager and Prometheus; <paramref name="tightest"/>: scrape 1 s, evaluation 1 s,
    /// group_wait 0 s, group_interval 1 s; else the settings of Prometheus' example configuration and Alertmanager's
    /// defaults: scrape 15 s, evaluation 15 s, group_wait 30 s, group_interval 5 min.</summary>
    public static async Task<PrometheusFleet> StartAsync(int hosts, StimulusPlan plan, long startUnixMs, HttpSink sink, string webhookPath, bool tightest, CancellationToken cancellationToken)
    {
        var fleet = new PrometheusFleet(hosts, plan, startUnixMs);
        Directory.CreateDirectory(fleet._directory);
        await fleet.StartTargetsAsync(cancellationToken);
        var targetAuthority = new Uri(fleet._targets!.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Authority;
        var promPort = HttpSink.FreePort();
        var amPort = HttpSink.FreePort();
        var interval = tightest ? "1s" : "15s";
        await File.WriteAllTextAsync(Path.Combine(fleet._directory, "alertmanager.yml"), string.Create(CultureInfo.InvariantCulture, $"""
            route:
              receiver: sink
              group_by: ['alertname', 'host']
            {(tightest ? "  group_wait: 0s\n  group_interval: 1s\n" : "")}  repeat_interval: 1h
            receivers:
              - name: sink
                webhook_configs:
                  - url: '{new Uri(sink.BaseUri, webhookPath.TrimStart('/'))}'
                    send_resolved: false
            """), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(fleet._directory, "rules.yml"), """
            groups:
              - name: fleet
                rules:
                  - alert: FleetCpu
                    expr: system_cpu_utilization{cpu=""} > 0.95
                    for: 0s
            """, cancellationToken);
        var jobs = new StringBuilder();
        for (var t = 0; t < fleet.Targets; t++)
        {
            jobs.Append(CultureInfo.InvariantCulture, $"""
                  - job_name: fleet-{t}
                    metrics_path: /metrics/{t}
                    static_configs:
                      - targets: ['{targetAuthority}']

                """);
        }

        await File.WriteAllTextAsync(Path.Combine(fleet._directory, "prometheus.yml"), string.Create(CultureInfo.InvariantCulture, $"""
            global:
              scrape_interval: {interval}
              scrape_timeout: {(tightest ? "1s" : "10s")}
              evaluation_interval: {interval}
            rule_files: ['{Path.Combine(fleet._directory, "rules.yml")}']
            alerting:
              alertmanagers:
                - static_configs:
                    - targets: ['127.0.0.1:{amPort}']
            scrape_configs:

            """) + jobs, cancellationToken);
        fleet._processes.Add(ChildProcess.Start("alertmanager", "/usr/bin/prometheus-alertmanager",
        [
            $"--config.file={fleet._directory}/alertmanager.yml", $"--storage.path={fleet._directory}/am",
            $"--web.listen-address=127.0.0.1:{amPort}", "--cluster.listen-address=",
        ]));
        fleet._processes.Add(ChildProcess.Start("prometheus", "/usr/bin/prometheus",
        [
            $"--config.file={fleet._directory}/prometheus.yml", $"--storage.tsdb.path={fleet._directory}/tsdb",
            $"--web.listen-address=127.0.0.1:{promPort}",
        ]));
        using var http = new HttpClient();
        await WaitReadyAsync(http, $"http://127.0.0.1:{amPort}/-/ready", fleet.Alertmanager, cancellationToken);
        await WaitReadyAsync(http, $"http://127.0.0.1:{promPort}/-/ready", fleet.Prometheus, cancellationToken);
        return fleet;
    }

    private static async Task WaitReadyAsync(HttpClient http, string url, ChildProcess process, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Name} exited:\n{process.Tail}");
            }

            try
            {
                if ((await http.GetAsync(url, cancellationToken)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new TimeoutException($"{process.Name} not ready within 60 s:\n{process.Tail}");
    }

    private async Task StartTargetsAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _targets = builder.Build();
        _targets.MapGet("/metrics/{target:int}", (int target) =>
        {
            if (target < 0 || target >= Targets)
            {
                return Results.NotFound();
            }

            var text = new StringBuilder(HostsPerTarget * 100 * 90);
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var elapsed = TimeSpan.FromMilliseconds(now - StartUnixMs);
            var end = Math.Min(Hosts, (target + 1) * HostsPerTarget);
            for (var h = target * HostsPerTarget; h < end; h++)
            {
                var state = States[h];
                lock (state)
                {
                    var k = Plan.ActiveOn(h, elapsed);
                    state.Forced = k >= 0 ? Plan.Value : null;
                    state.Step(Model);
                    if (k >= 0)
                    {
                        FirstServed.TryAdd(k, now);
                    }

                    Model.AppendPrometheus(text, FleetSimulator.HostId(h), state);
                }
            }

            Interlocked.Increment(ref Scrapes);
            return Results.Text(text.ToString(), "text/plain; version=0.0.4");
        });
        await _targets.StartAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes)
        {
            await p.DisposeAsync();
        }

        if (_targets is not null)
        {
            await _targets.StopAsync();
            await _targets.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
