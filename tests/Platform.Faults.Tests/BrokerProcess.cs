using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Platform.Faults.Tests;

/// <summary>
/// platform-broker as its own process (<c>dotnet Platform.Broker.dll --listen --data-dir</c>, as the broker's
/// SIGTERM test runs it), so a fault test can kill it with SIGKILL and start it again on the same port and data.
/// </summary>
internal sealed partial class BrokerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private BrokerProcess(Process process) => _process = process;

    public string Bootstrap { get; private set; } = "";

    public string Output => string.Join('\n', _output.TakeLast(50));

    [GeneratedRegex(@"Broker listening on (127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();

    /// <summary>Starts the broker on <paramref name="port"/> (0: a free one) and waits for its listening line.</summary>
    public static async Task<BrokerProcess> StartAsync(string dataDirectory, int port, int partitions, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Platform.Broker.dll");
        var info = new ProcessStartInfo("dotnet", $"\"{dll}\" --listen 127.0.0.1:{port} --data-dir \"{dataDirectory}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["BROKER__DEFAULTPARTITIONS"] = partitions.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var broker = new BrokerProcess(process);
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            broker._output.Enqueue(e.Data);
            if (ListeningLine().Match(e.Data) is { Success: true } m)
            {
                listening.TrySetResult(m.Groups[1].Value);
            }
        };
        process.ErrorDataReceived += (_, e) => broker._output.Enqueue(e.Data ?? "");
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("the broker process exited before listening"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            broker.Bootstrap = await listening.Task.WaitAsync(deadline, cancellationToken);
            return broker;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            broker.Dispose();
            throw new InvalidOperationException($"The broker process did not start: {e.Message}\n{broker.Output}", e);
        }
    }

    public int Port => int.Parse(Bootstrap[(Bootstrap.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>kill -9: the process gets no chance to flush or close anything.</summary>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        _process.Kill(entireProcessTree: false); // SIGKILL on Unix
        await _process.WaitForExitAsync(cancellationToken);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }
}
