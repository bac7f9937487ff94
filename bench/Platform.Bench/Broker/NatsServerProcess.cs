using System.Diagnostics;
using System.Net.Sockets;

namespace Platform.Bench.Broker;

/// <summary>Debian's nats-server with JetStream file storage on loopback; stopped (and its process waited for) on dispose.</summary>
internal sealed class NatsServerProcess : IAsyncDisposable
{
    private static readonly string[] Candidates = ["/usr/sbin/nats-server", "/usr/bin/nats-server"];

    private readonly Process _process;

    private NatsServerProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    public static async Task<NatsServerProcess> StartAsync(string storeDirectory, int port, CancellationToken ct)
    {
        var binary = Candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("nats-server is not installed (apt-get install nats-server)", "nats-server");

        Directory.CreateDirectory(storeDirectory);
        var info = new ProcessStartInfo(binary, $"-a 127.0.0.1 -p {port} -js -sd {storeDirectory}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("nats-server did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new NatsServerProcess(process, $"nats://127.0.0.1:{port}");
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port, ct);
                return server;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(15) && !process.HasExited)
            {
                await Task.Delay(50, ct);
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
