using System.Diagnostics;
using System.Globalization;

namespace Platform.Bench.Alerting;

/// <summary>Prometheus (scraping the sink's /metrics) and Alertmanager (sending to the sink's /am) as child processes
/// at their tightest settings (1 s scrape and evaluation, group_wait 0 s, group_interval 1 s) or at their defaults
/// (1 min scrape and evaluation, group_wait 30 s, group_interval 5 min; sending to /am-defaults).</summary>
internal sealed class PrometheusStack : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bench-prometheus-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<Process> _processes = [];

    public static bool Available => File.Exists("/usr/bin/prometheus") && File.Exists("/usr/bin/prometheus-alertmanager");

    public static async Task<PrometheusStack> StartAsync(HttpSink sink, bool defaults = false)
    {
        var stack = new PrometheusStack();
        Directory.CreateDirectory(stack._directory);
        var promPort = HttpSink.FreePort();
        var amPort = HttpSink.FreePort();
        var target = sink.BaseUri.Authority;
        await File.WriteAllTextAsync(Path.Combine(stack._directory, "alertmanager.yml"), string.Create(CultureInfo.InvariantCulture, $"""
            route:
              receiver: sink
              group_by: ['alertname']
            {(defaults ? "" : "  group_wait: 0s\n  group_interval: 1s\n")}  repeat_interval: 1h
            receivers:
              - name: sink
                webhook_configs:
                  - url: '{new Uri(sink.BaseUri, defaults ? "am-defaults" : "am")}'
                    send_resolved: true
            """));
        await File.WriteAllTextAsync(Path.Combine(stack._directory, "rules.yml"), """
            groups:
              - name: bench
                rules:
                  - alert: BenchSwitch
                    expr: bench_switch > 0
                    for: 0s
            """);
        await File.WriteAllTextAsync(Path.Combine(stack._directory, "prometheus.yml"), string.Create(CultureInfo.InvariantCulture, $"""
            global:
              scrape_interval: {(defaults ? "1m" : "1s")}
              evaluation_interval: {(defaults ? "1m" : "1s")}
            rule_files: ['{Path.Combine(stack._directory, "rules.yml")}']
            alerting:
              alertmanagers:
                - static_configs:
                    - targets: ['127.0.0.1:{amPort}']
            scrape_configs:
              - job_name: bench
                static_configs:
                  - targets: ['{target}']
            """));
        stack.Start("/usr/bin/prometheus-alertmanager",
            $"--config.file={stack._directory}/alertmanager.yml --storage.path={stack._directory}/am --web.listen-address=127.0.0.1:{amPort} --cluster.listen-address=");
        stack.Start("/usr/bin/prometheus",
            $"--config.file={stack._directory}/prometheus.yml --storage.tsdb.path={stack._directory}/tsdb --web.listen-address=127.0.0.1:{promPort}");
        return stack;
    }

    private void Start(string file, string arguments)
    {
        var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _processes.Add(process);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes)
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }

            await p.WaitForExitAsync();
            p.Dispose();
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
