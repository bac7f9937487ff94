using System.Diagnostics;
using System.Globalization;

namespace Platform.Bench.Dashboard;

/// <summary>The dashboard in its own process (so its CPU and memory are its own), reading a given broker.</summary>
internal sealed class DashboardProcess : IAsyncDisposable
{
    private readonly Process _process;

    private DashboardProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    public int Pid => _process.Id;

    public static async Task<DashboardProcess> StartAsync(string bootstrap, int port, CancellationToken cancellationToken, string? alertingUrl = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Platform.Dashboard.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("Platform.Dashboard.dll is not beside the bench; build bench/Platform.Bench (it references the dashboard).", dll);
        }

        var url = $"http://127.0.0.1:{port}";
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--bootstrap", bootstrap, "--urls", url },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        if (alertingUrl is not null)
        {
            start.ArgumentList.Add("--alerting-url");
            start.ArgumentList.Add(alertingUrl);
        }

        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the dashboard process");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine($"[dashboard] {line}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the dashboard exited with {process.ExitCode}");
            }

            try
            {
                if ((await http.GetAsync($"{url}/health", cancellationToken)).IsSuccessStatusCode)
                {
                    return new DashboardProcess(process, url);
                }
            }
            catch (HttpRequestException)
            {
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("the dashboard did not become healthy within 60 s");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>User + system CPU time of the process so far (from /proc/PID/stat).</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>Resident memory now and at its peak, in bytes (VmRSS and VmHWM of /proc/PID/status).</summary>
    public (long Rss, long Peak) Memory()
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kib(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kib(line);
            }
        }

        return (rss, peak);

        static long Kib(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
